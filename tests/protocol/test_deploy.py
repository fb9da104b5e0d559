"""Deployment: wiring, layouts it refuses, auto-mine mode, one vault chain, seeded reporters, typed reads and events."""

from dataclasses import dataclass

import pytest

from chains import DEFAULT_WORLD, ChainConfig, ChainSet
from chains.errors import ConfigError, UnknownChainError
from protocol.artifacts import artifact
from protocol.config import ProtocolConfig
from protocol.deploy import deploy_protocol
from protocol.errors import ProtocolError
from protocol.events import ContractEvent, EventDecoder, SeizeDispatched
from protocol.messages import Dest, Source
from protocol.units import WAD, to_wad

USDC = 10**6


def test_the_deployment_is_wired_both_ways(world):
    d = world.d
    for name in d.vault_chains:
        chain = world.chains[name]
        assert d.engine.contract.functions.vaults(chain.chain_id).call() == d.vault(name).address
        assert d.vault(name).engine() == (world.perp.chain_id, d.engine.address)
        for asset in d.config.assets:
            ledger = d.vault(name).ledger(asset.name)
            assert ledger.listed and ledger.deposit_cap == asset.units(asset.deposit_cap)
            assert ledger.pool == asset.units(asset.pool_liquidity) and ledger.conserved
    assert world.oracle.reporters() == tuple(r.address for r in d.reporters)
    assert world.oracle.prices() == {"USDC": WAD, "ETH": to_wad(3000), "BTC": to_wad(60_000)}
    # the engine counts the seeded liquidity once the FUNDED messages arrive (the fixture relayed them)
    funds = {(f.chain, f.asset): (f.pool, f.insurance) for f in world.engine.funds()}
    assert funds[("vault-l2", "USDC")] == (2_000_000 * USDC, 250_000 * USDC)


def test_without_an_oracle_delay_the_engine_reads_the_aggregator(world):
    d = world.d
    assert d.delayed_oracle is None and d.engine_oracle is d.oracle
    assert d.engine.contract.functions.ORACLE().call() == d.oracle.address


def test_engine_parameters_read_back_as_configured(world):
    functions = world.engine.contract.functions
    info = world.d.collateral("vault-l2", "ETH")
    assert functions.collaterals(info.cid).call() == (info.chain_id, info.token, 10**18, WAD // 10, info.feed)
    assert functions.markets(1).call() == (2, WAD // 20, 3 * WAD // 100, 20 * WAD, 250 * WAD, 5 * WAD // 10_000,
                                           50_000 * WAD, 9 * WAD)
    assert functions.collateral_id(info.chain_id, info.token).call() == info.cid


def test_catalog_lookups_name_what_is_missing(world):
    catalog = world.d.catalog
    assert catalog.market_id("BTC") == 1 and catalog.feed_id("ETH") == 1
    with pytest.raises(ProtocolError, match="unknown market 'DOGE'"):
        catalog.market_id("DOGE")
    with pytest.raises(ProtocolError, match="no collateral 'SOL'"):
        catalog.collateral("vault-l1", "SOL")
    with pytest.raises(ProtocolError, match="unknown collateral id 6"):
        catalog.by_cid(6)
    with pytest.raises(ProtocolError, match="bucket must be"):
        world.engine.bucket(world.user("alice").address, 8)


@pytest.fixture(scope="module")
def chain_set():
    return ChainSet.from_configs(DEFAULT_WORLD, seed=0)


MAILBOX = "0x" + "11" * 20


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"perp_chain": "l3"}, UnknownChainError, "unknown chain 'l3'"),
        ({"vault_chains": ()}, ConfigError, "at least one vault chain"),
        ({"vault_chains": ("vault-l1", "vault-l1")}, ConfigError, "vault chains repeat"),
        ({"vault_chains": ("vault-l1", "perp")}, ConfigError, "cannot also be a vault chain"),
        ({"mailboxes": {"perp": MAILBOX, "vault-l1": MAILBOX}}, ConfigError, "no mailbox address for chain 'vault-l2'"),
        ({"mailboxes": {"perp": MAILBOX, "vault-l1": MAILBOX, "vault-l2": "0x1234"}}, ConfigError, "not a valid address"),
        ({"mailboxes": {"perp": "0x" + "00" * 20, "vault-l1": MAILBOX, "vault-l2": MAILBOX}}, ConfigError, "not a valid address"),
    ],
)
def test_layouts_that_cannot_work_are_refused_before_anything_is_deployed(chain_set, kwargs, error, message):
    heads = {c.name: c.head_number for c in chain_set}
    arguments = {"mailboxes": {"perp": MAILBOX, "vault-l1": MAILBOX, "vault-l2": MAILBOX}, **kwargs}
    with pytest.raises(error, match=message):
        deploy_protocol(chain_set, ProtocolConfig.from_dict({}), **arguments)
    assert {c.name: c.head_number for c in chain_set} == heads


def test_too_many_collaterals_are_refused():
    chains = ChainSet.from_configs([*DEFAULT_WORLD, ChainConfig("vault-l3", 31_003)], seed=0)
    assets = {f"T{i}": {"decimals": 6, "initial_price": 1, "deposit_cap": 1, "rate_limit": {"capacity": 1, "refill_per_second": 0}}
              for i in range(3)}
    config = ProtocolConfig.from_dict({"assets": assets})  # 6 assets on 3 vault chains: 18 collaterals
    with pytest.raises(ConfigError, match="make 18 collaterals; the engine takes at most 16"):
        deploy_protocol(chains, config, {c.name: MAILBOX for c in chains}, vault_chains=("vault-l1", "vault-l2", "vault-l3"))


def test_deploys_with_auto_mining_on_one_vault_chain(make_world):
    w = make_world(vault_chains=("vault-l1",), auto_mine=True)
    assert [(c.chain, c.asset) for c in w.d.catalog.collaterals] == [("vault-l1", "USDC"), ("vault-l1", "ETH"), ("vault-l1", "BTC")]
    w.deposit("alice", "vault-l1", "ETH", 1)
    w.trade("alice", "BTC", 0.01)
    bucket = w.bucket("alice")
    # 1 ETH at $3000 less the 10 % haircut, less the 0.30 fee paid in ETH at $3000 (rounded up to the wei)
    assert 2_699 * WAD < bucket.equity < 2_700 * WAD
    assert bucket.positions[0].market == "BTC"


def test_reporter_keys_come_from_the_seed(world):
    from chains.accounts import keyed_account

    assert [r.address for r in world.d.reporters] == [keyed_account(f"oracle-reporter-{i}", 0).address for i in range(5)]
    assert keyed_account("oracle-reporter-0", 1).address != world.d.reporters[0].address


def test_events_decode_into_dataclasses(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    start = w.perp.head_number + 1
    w.trade("alice", "ETH", 1)
    kinds = [type(e).__name__ for e in w.engine.events_in_blocks(start)]
    assert kinds[:3] == ["FundingUpdated", "PositionChanged", "SeizeDispatched"]
    seize = next(e for e in w.engine.events_in_blocks(start) if isinstance(e, SeizeDispatched))
    token = w.d.vault("vault-l1").token("USDC")
    # fee 1 ETH * 3000 * 0.05 % = 1.5 USDC: 0.3 to the treasury, 1.2 to the pool
    assert [(i.token, i.amount, i.source, i.dest) for i in seize.items] == [
        (token, 300_000, Source.ACCOUNT, Dest.TREASURY), (token, 1_200_000, Source.ACCOUNT, Dest.POOL)]
    vault_events = w.d.vault("vault-l1").events_in_blocks(w.chains["vault-l1"].head_number)
    assert [type(e).__name__ for e in vault_events] == ["Seized", "Seized"]
    assert vault_events[0].seize_id == seize.seize_id
    assert w.engine.events_in_blocks(5, 4) == []


def test_an_event_dataclass_that_drifts_from_the_contract_is_refused():
    @dataclass(frozen=True)
    class Deposited(ContractEvent):
        account: str
        amount: int

    with pytest.raises(TypeError, match="Deposited declares"):
        EventDecoder(artifact("CollateralVault").abi, [Deposited])
