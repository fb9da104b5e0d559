"""Deploying the whole protocol onto a ChainSet from one ProtocolConfig.

Each vault chain gets one test token per asset, a CollateralVault and a constant-product AmmPool
per asset against the quote asset (seeded at the asset's initial price with the configured
depth); the perp chain gets the OracleAggregator (with a DelayedOracle in front of it when
``protocol.oracle.delay`` is set), the MarginEngine and its MarginReader, the Deleverager and the
Backstop. Remotes are wired both ways, reporters (keys derived from the seed)
are registered, funded with gas and post the initial prices, and each vault's pool and insurance
fund are seeded. Seeding dispatches FUNDED messages (and the backstop's deposit a MARGIN_LOCKED):
the engine counts them once the bridge has delivered them. The deployer of each chain owns every
contract there and is the first operator of the Deleverager and the Backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes
from web3.contract.contract import ContractFunction

from chains.abi import bound_from_web3
from chains.accounts import keyed_account
from chains.chain import Chain
from chains.chain_set import ChainSet
from chains.compiler import Artifact
from chains.errors import ConfigError
from chains.transactions import confirm, deploy
from protocol.amm import AmmPool
from protocol.artifacts import artifact
from protocol.catalog import Catalog, CollateralInfo
from protocol.config import AmmPoolConfig, AssetConfig, MarketConfig, ProtocolConfig
from protocol.deleverager import MODES, Backstop, Deleverager
from protocol.config import MarketConfig, ProtocolConfig
from protocol.delayed_oracle import DelayedOracle
from protocol.engine import MarginEngine
from protocol.oracle import Oracle, PriceSource
from protocol.token import Token
from protocol.units import Number, to_wad
from protocol.vault import Vault

MAX_COLLATERALS = 16
REPORTER_GAS_ETH = 400  # ether sent to each reporter on the perp chain: a day of rounds at a few hundred gwei
SETUP_GAS = 1_000_000


@dataclass
class ProtocolDeployment:
    config: ProtocolConfig
    chain_set: ChainSet
    perp_chain: str
    vault_chains: tuple[str, ...]
    mailboxes: dict[str, str]
    catalog: Catalog
    engine: MarginEngine
    oracle: Oracle
    vaults: dict[str, Vault]
    tokens: dict[str, dict[str, Token]]  # chain -> asset -> token
    reporters: tuple[LocalAccount, ...]
    deployers: dict[str, str]  # chain -> the deployer (owner of every contract, minter of the tokens)
    pools: dict[str, dict[str, AmmPool]]  # chain -> asset -> its pool against the quote asset
    deleverager: Deleverager
    backstop: Backstop
    backstop_chain: str  # the vault chain holding the backstop's margin
    delayed_oracle: DelayedOracle | None = None  # between the aggregator and the engine when the oracle has a delay

    @property
    def perp(self) -> Chain:
        return self.chain_set[self.perp_chain]

    @property
    def engine_oracle(self) -> PriceSource:
        """Where the engine reads its prices: the delayed oracle if there is one, else the aggregator."""
        return self.delayed_oracle if self.delayed_oracle is not None else self.oracle

    def vault(self, chain: str) -> Vault:
        try:
            return self.vaults[chain]
        except KeyError:
            raise ConfigError(f"no vault on chain {chain!r}; vault chains: {', '.join(self.vault_chains)}") from None

    def token(self, chain: str, asset: str) -> Token:
        tokens = self.tokens.get(chain)
        if tokens is None or asset not in tokens:
            raise ConfigError(f"no token {asset!r} on chain {chain!r}")
        return tokens[asset]

    def pool(self, chain: str, asset: str) -> AmmPool:
        pools = self.pools.get(chain, {})
        if asset not in pools:
            listed = ", ".join(p.key for chain_pools in self.pools.values() for p in chain_pools.values()) or "none"
            raise ConfigError(f"no pool for {asset!r} on chain {chain!r}; pools: {listed}")
        return pools[asset]

    def all_pools(self) -> list[AmmPool]:
        return [pool for chain in self.vault_chains for pool in self.pools.get(chain, {}).values()]

    def collateral(self, chain: str, asset: str) -> CollateralInfo:
        return self.catalog.collateral(chain, asset)

    def mint(self, chain: str, asset: str, receiver: str, amount: int) -> HexBytes:
        """Mint ``amount`` (native units) of a test token to ``receiver``; submits, does not mine."""
        return self.token(chain, asset).mint(self.deployers[chain], receiver, amount)

    def post_prices(self, usd_prices: Mapping[str, Number], timestamp: int | None = None) -> HexBytes:
        """Every reporter reports the same USD prices (e.g. ``{"ETH": 2000}``) in one signed batch.

        The reports are timestamped with the perp chain's pending block unless ``timestamp``
        is given; submits the transaction, does not mine.
        """
        when = self.perp.next_timestamp if timestamp is None else timestamp
        prices = {feed: to_wad(value) for feed, value in usd_prices.items()}
        epoch = self.oracle.epoch()
        reports = [self.oracle.sign_report(reporter, prices, when, epoch) for reporter in self.reporters]
        return self.oracle.report_signed(self.deployers[self.perp_chain], reports)


def deploy_protocol(
    chain_set: ChainSet,
    config: ProtocolConfig,
    mailboxes: Mapping[str, str],
    perp_chain: str = "perp",
    vault_chains: Sequence[str] = ("vault-l1", "vault-l2"),
    seed: int = 0,
    variants: Mapping[str, Artifact] | None = None,
) -> ProtocolDeployment:
    """Deploy and wire the protocol; ``mailboxes`` maps each involved chain's name to its Mailbox address.

    ``variants`` replaces contracts by name with other builds of the same interface (for mutation
    testing: a vault with a planted bug must make the invariant checks fail).
    """
    variants = dict(variants or {})

    def build(name: str) -> Artifact:
        return variants.get(name) or artifact(name)

    vault_chains = tuple(vault_chains)
    mailboxes = _check_layout(chain_set, config, mailboxes, perp_chain, vault_chains)
    perp = chain_set[perp_chain]
    deployers = {name: chain_set[name].accounts[0].address for name in (perp_chain, *vault_chains)}

    tokens: dict[str, dict[str, Token]] = {}
    vault_contracts = {}
    for name in vault_chains:
        chain = chain_set[name]
        tokens[name] = {
            asset.name: Token(chain, deploy(chain, build("TestToken"), f"Test {asset.symbol}", asset.symbol, asset.decimals))
            for asset in config.assets
        }
        vault_contracts[name] = deploy(chain, build("CollateralVault"), mailboxes[name])

    catalog = _catalog(chain_set, config, vault_chains, tokens)
    reporters = tuple(keyed_account(f"oracle-reporter-{i}", seed) for i in range(config.oracle.reporters))
    oracle_contract = deploy(
        perp,
        build("OracleAggregator"),
        len(config.feeds),
        [r.address for r in reporters],
        config.oracle.quorum,
        config.oracle.staleness,
        to_wad(config.oracle.max_deviation),
        config.oracle.liquidation_staleness,
        config.oracle.close_staleness,
    )
    delayed_contract = (
        deploy(perp, build("DelayedOracle"), oracle_contract.address, config.oracle.delay) if config.oracle.delay else None
    )
    engine_contract = deploy(
        perp,
        build("MarginEngine"),
        mailboxes[perp_chain],
        (delayed_contract or oracle_contract).address,
        [(c.chain_id, c.token, 10**c.decimals, to_wad(c.haircut), c.feed) for c in catalog.collaterals],
        [_market_params(config, market) for market in config.markets],
        (
            to_wad(config.liquidation.close_factor),
            to_wad(config.liquidation.full_close_health),
            to_wad(config.liquidation.dust_notional),
            to_wad(config.liquidation.bonus),
        ),
        to_wad(config.fees.treasury_share),
    )
    reader_contract = deploy(perp, build("MarginReader"), engine_contract.address)
    engine = MarginEngine(perp, engine_contract, reader_contract, catalog)
    deleverager_contract = deploy(perp, artifact("Deleverager"), engine_contract.address, MODES[config.adl.mode])
    backstop_contract = deploy(perp, artifact("Backstop"), engine_contract.address)
    backstop_chain = config.backstop.chain or vault_chains[0]
    oracle = Oracle(perp, oracle_contract, config.feeds)
    vaults = {name: Vault(chain_set[name], vault_contracts[name], {a: t.address for a, t in tokens[name].items()})
              for name in vault_chains}

    _run(perp, deployers[perp_chain], [
        *(engine_contract.functions.set_vault(chain_set[name].chain_id, vaults[name].address) for name in vault_chains),
        engine_contract.functions.set_deleverager(deleverager_contract.address),
        deleverager_contract.functions.set_operator(deployers[perp_chain], True),
        backstop_contract.functions.set_operator(deployers[perp_chain], True),
    ])
    for reporter in reporters:
        perp.add_account(reporter)
    _transfer_gas(perp, deployers[perp_chain], [r.address for r in reporters])

    for name in vault_chains:
        chain, owner, vault = chain_set[name], deployers[name], vault_contracts[name]
        calls = [vault.functions.set_engine(perp.chain_id, engine.address)]
        for asset in config.assets:
            token = tokens[name][asset.name]
            calls.append(vault.functions.list_asset(
                token.address,
                asset.units(asset.deposit_cap),
                asset.units(asset.rate_limit.capacity),
                asset.units(asset.rate_limit.refill_per_second),
            ))
            seed_amount = asset.units(asset.pool_liquidity) + asset.units(asset.insurance_liquidity)
            if seed_amount:
                calls.append(token.contract.functions.mint(owner, seed_amount))
                calls.append(token.contract.functions.approve(vault.address, seed_amount))
            if asset.pool_liquidity:
                calls.append(vault.functions.fund_pool(token.address, asset.units(asset.pool_liquidity)))
            if asset.insurance_liquidity:
                calls.append(vault.functions.fund_insurance(token.address, asset.units(asset.insurance_liquidity)))
        if name == backstop_chain and config.backstop.capital:
            quote = config.asset(config.amm.quote)
            token, capital = tokens[name][quote.name], quote.units(config.backstop.capital)
            calls += [token.contract.functions.mint(owner, capital), token.contract.functions.approve(vault.address, capital),
                      vault.functions.deposit(token.address, capital, backstop_contract.address)]
        _run(chain, owner, calls)
    pools = {name: _deploy_pools(chain_set[name], config, tokens[name], deployers[name]) for name in vault_chains}

    deployment = ProtocolDeployment(
        config=config,
        chain_set=chain_set,
        perp_chain=perp_chain,
        vault_chains=vault_chains,
        mailboxes=mailboxes,
        catalog=catalog,
        engine=engine,
        oracle=oracle,
        vaults=vaults,
        tokens=tokens,
        reporters=reporters,
        deployers=deployers,
        pools=pools,
        deleverager=Deleverager(perp, deleverager_contract, catalog),
        backstop=Backstop(perp, backstop_contract, catalog),
        backstop_chain=backstop_chain,
        delayed_oracle=DelayedOracle(perp, delayed_contract, config.feeds) if delayed_contract is not None else None,
    )
    confirm(perp, deployment.post_prices({a.name: a.initial_price for a in config.assets}))
    if deployment.delayed_oracle is not None:  # the first poke publishes the initial prices at once
        confirm(perp, deployment.delayed_oracle.poke(deployers[perp_chain]))
    return deployment


def _deploy_pools(chain: Chain, config: ProtocolConfig, tokens: Mapping[str, Token], owner: str) -> dict[str, AmmPool]:
    """One pool per configured asset against the quote asset, seeded at the asset's initial price (v2's
    ``mint``: the tokens are minted into the pool, then the shares to the deployer)."""
    if not config.amm.enabled:
        return {}
    quote = config.asset(config.amm.quote)
    pools: dict[str, AmmPool] = {}
    calls = []
    for pool_config in config.amm.pools:
        asset = config.asset(pool_config.asset)
        contract = deploy(chain, artifact("AmmPool"), tokens[asset.name].address, tokens[quote.name].address,
                          config.amm.fee_pips)
        base_units, quote_units = _seed_amounts(pool_config, asset, quote)
        calls += [tokens[asset.name].contract.functions.mint(contract.address, base_units),
                  tokens[quote.name].contract.functions.mint(contract.address, quote_units),
                  contract.functions.mint(owner)]
        pools[asset.name] = AmmPool(chain, contract, asset.name, quote.name, tokens[asset.name].address,
                                    tokens[quote.name].address, asset.decimals, quote.decimals, config.amm.fee_pips)
    _run(chain, owner, calls)
    return pools


def _seed_amounts(pool: AmmPoolConfig, asset: AssetConfig, quote: AssetConfig) -> tuple[int, int]:
    """``depth`` quote tokens and their worth of the asset at the initial prices."""
    base_whole = pool.depth * quote.initial_price / asset.initial_price
    return asset.units(f"{base_whole:.{asset.decimals}f}"), quote.units(pool.depth)


def _check_layout(
    chain_set: ChainSet, config: ProtocolConfig, mailboxes: Mapping[str, str], perp_chain: str, vault_chains: tuple[str, ...]
) -> dict[str, str]:
    for name in (perp_chain, *vault_chains):
        chain_set[name]  # raises UnknownChainError naming the configured chains
    if not vault_chains:
        raise ConfigError("at least one vault chain is needed")
    if len(set(vault_chains)) != len(vault_chains):
        raise ConfigError(f"vault chains repeat: {', '.join(vault_chains)}")
    if perp_chain in vault_chains:
        raise ConfigError(f"the perp chain {perp_chain!r} cannot also be a vault chain")
    collaterals = len(config.assets) * len(vault_chains)
    if collaterals > MAX_COLLATERALS:
        raise ConfigError(
            f"{len(config.assets)} assets on {len(vault_chains)} vault chains make {collaterals} collaterals; "
            f"the engine takes at most {MAX_COLLATERALS}"
        )
    if config.backstop.chain is not None and config.backstop.chain not in vault_chains:
        raise ConfigError(f"protocol.backstop.chain: {config.backstop.chain!r} is not a vault chain ({', '.join(vault_chains)})")
    checked = {}
    for name in (perp_chain, *vault_chains):
        address = mailboxes.get(name)
        if address is None:
            raise ConfigError(f"no mailbox address for chain {name!r}")
        if not isinstance(address, str) or not is_address(address) or int(address, 16) == 0:
            raise ConfigError(f"mailbox address for chain {name!r} is not a valid address: {address!r}")
        checked[name] = to_checksum_address(address)
    return checked


def _catalog(chain_set: ChainSet, config: ProtocolConfig, vault_chains: tuple[str, ...], tokens: dict[str, dict[str, Token]]) -> Catalog:
    """Collateral ids run asset by asset (in config order), chain by chain: seizures take them in that order."""
    collaterals = []
    for feed, asset in enumerate(config.assets):
        for name in vault_chains:
            collaterals.append(CollateralInfo(
                cid=len(collaterals),
                chain=name,
                chain_id=chain_set[name].chain_id,
                asset=asset.name,
                token=tokens[name][asset.name].address,
                decimals=asset.decimals,
                haircut=asset.haircut,
                feed=feed,
            ))
    return Catalog(feeds=config.feeds, markets=tuple(m.name for m in config.markets), collaterals=tuple(collaterals))


def _market_params(config: ProtocolConfig, market: MarketConfig) -> tuple[int, ...]:
    return (
        config.feeds.index(market.asset),
        to_wad(market.initial_margin),
        to_wad(market.maintenance_margin),
        to_wad(market.max_leverage),
        to_wad(market.oi_cap),
        to_wad(market.trading_fee),
        to_wad(market.skew_scale),
        to_wad(market.max_funding_velocity),
    )


def _run(chain: Chain, sender: str, calls: Iterable[ContractFunction]) -> None:
    """Submit the calls in order, mine them together, and fail loudly if any reverted."""
    bound = [bound_from_web3(call) for call in calls]
    hashes = [chain.send(sender, call.to, call.calldata, SETUP_GAS) for call in bound]
    for tx_hash in hashes:
        confirm(chain, tx_hash)


def _transfer_gas(chain: Chain, sender: str, receivers: Iterable[str]) -> None:
    hashes = [chain.send(sender, r, b"", 21_000, REPORTER_GAS_ETH * 10**18) for r in receivers]
    for tx_hash in hashes:
        confirm(chain, tx_hash)
