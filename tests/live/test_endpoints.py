"""``xmargin up`` driven the way users drive it: web3.py's HTTPProvider against each chain's endpoint."""

from __future__ import annotations

import io
import json

import pytest
import requests
from eth_account import Account
from rich.console import Console
from web3 import Web3
from web3.exceptions import Web3RPCError

from chains import COUNTER_SOURCE, DEFAULT_WORLD, compile_contract
from sim.live.console import render


def test_every_chain_answers_on_its_own_port_with_its_own_id(live):
    urls = live.world.urls
    assert list(urls) == [chain.name for chain in DEFAULT_WORLD]
    ports = [int(url.rsplit(":", 1)[1]) for url in urls.values()]
    assert len(set(ports)) == len(ports)
    for config in DEFAULT_WORLD:
        w3 = live.w3(config.name)
        assert w3.eth.chain_id == config.chain_id
        assert w3.net.version == str(config.chain_id)
        assert w3.eth.block_number > 0


def test_the_addresses_file_lists_endpoints_accounts_and_deployed_contracts(live):
    document = json.loads(live.addresses_file.read_text())
    assert document == json.loads(json.dumps(live.manifest))
    assert {name: chain["url"] for name, chain in document["chains"].items()} == live.world.urls
    assert document["perp_chain"] == "perp" and document["vault_chains"] == ["vault-l1", "vault-l2"]
    for name, chain in document["chains"].items():
        w3 = live.w3(name)
        assert chain["chain_id"] == w3.eth.chain_id
        addresses = [a for kind, a in chain["contracts"].items() if kind not in ("tokens", "pools")]
        addresses += list(chain["contracts"].get("tokens", {}).values())
        addresses += list(chain["contracts"].get("pools", {}).values())
        assert all(len(w3.eth.get_code(address)) > 0 for address in addresses)
        for account in document["accounts"]:
            assert Account.from_key(account["private_key"]).address == account["address"]
            assert w3.eth.get_balance(account["address"]) > 0
    assert set(document["chains"]["perp"]["contracts"]) == {"mailbox", "engine", "reader", "oracle", "deleverager",
                                                            "backstop"}
    assert set(document["chains"]["vault-l1"]["contracts"]["tokens"]) == {"USDC", "ETH", "BTC"}
    assert set(document["chains"]["vault-l1"]["contracts"]["pools"]) == {"ETH", "BTC"}
    assert set(document["abis"]) >= {"Mailbox", "CollateralVault", "MarginEngine", "OracleAggregator", "TestToken",
                                     "AmmPool", "Deleverager", "Backstop"}


def test_the_funded_accounts_hold_test_tokens_on_every_vault_chain(live):
    holder = live.account(0).address
    for chain in ("vault-l1", "vault-l2"):
        for asset, amount in live.manifest["token_grant"].items():
            token = live.contract(chain, "tokens", "TestToken", asset)
            decimals = live.manifest["assets"][asset]["decimals"]
            assert token.functions.balanceOf(holder).call() == int(amount) * 10**decimals


def test_deploy_call_and_read_logs_of_a_contract_over_http(live):
    w3 = live.w3("perp")
    sender = live.account(3).address
    assert sender in w3.eth.accounts  # the endpoint signs eth_sendTransaction for the funded accounts
    artifact = compile_contract(COUNTER_SOURCE)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    deployed = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": sender}), timeout=30)
    counter = w3.eth.contract(address=deployed["contractAddress"], abi=artifact.abi)
    log_filter = w3.eth.filter({"address": counter.address})

    receipts = [
        w3.eth.wait_for_transaction_receipt(counter.functions.increment().transact({"from": sender}), timeout=30)
        for _ in range(2)
    ]

    assert all(r["status"] == 1 for r in receipts)
    assert counter.functions.count().call() == 2
    assert counter.functions.chain_id().call() == 31337
    events = counter.events.Incremented().get_logs(from_block=deployed["blockNumber"])
    assert [(e["args"]["caller"], e["args"]["value"]) for e in events] == [(sender, 1), (sender, 2)]
    logs = w3.eth.get_logs({"address": counter.address, "fromBlock": deployed["blockNumber"], "toBlock": "latest"})
    assert [log["transactionHash"] for log in logs] == [r["transactionHash"] for r in receipts]
    assert len(w3.eth.get_filter_changes(log_filter.filter_id)) == 2


def test_a_locally_signed_raw_transaction_is_mined(live, send_signed):
    w3 = live.w3("vault-l1")
    signer = live.account(1)
    receiver = Account.create().address
    before = w3.eth.get_transaction_count(signer.address)

    receipt = send_signed(w3, signer, {"to": receiver, "value": 10**18, "gas": 21_000})

    assert receipt["status"] == 1 and receipt["from"] == signer.address
    assert w3.eth.get_balance(receiver) == 10**18
    assert w3.eth.get_transaction_count(signer.address) == before + 1
    assert w3.eth.get_transaction(receipt["transactionHash"])["blockNumber"] == receipt["blockNumber"]


def test_a_transaction_signed_for_one_chain_is_refused_by_the_others(live):
    signer = live.account(4)
    perp = live.w3("perp")
    transfer = {
        "to": signer.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
        "chainId": perp.eth.chain_id, "nonce": perp.eth.get_transaction_count(signer.address, "pending"),
    }
    raw = Account.sign_transaction(transfer, signer.key).raw_transaction

    for name in ("vault-l1", "vault-l2"):
        w3 = live.w3(name)
        nonce = w3.eth.get_transaction_count(signer.address, "pending")
        with pytest.raises(Web3RPCError) as refused:
            w3.eth.send_raw_transaction(raw)
        assert "signed for chain id 31337" in str(refused.value)
        assert w3.eth.get_transaction_count(signer.address, "pending") == nonce

    receipt = perp.eth.wait_for_transaction_receipt(perp.eth.send_raw_transaction(raw), timeout=30)
    assert receipt["status"] == 1


def test_a_deposit_through_a_vault_endpoint_becomes_margin_through_the_perp_endpoint(live, send_signed, wait_until):
    depositor = live.account(2)
    vault_w3 = live.w3("vault-l2")
    token = live.contract("vault-l2", "tokens", "TestToken", "USDC")
    vault = live.contract("vault-l2", "vault", "CollateralVault")
    engine = live.contract("perp", "engine", "MarginEngine")
    amount = 2_500 * 10**6
    assert sum(engine.functions.credited_all(depositor.address).call()) == 0

    approve = send_signed(vault_w3, depositor, {
        "to": token.address, "data": token.encode_abi("approve", [vault.address, amount]), "gas": 100_000,
    })
    deposit = send_signed(vault_w3, depositor, {
        "to": vault.address, "data": vault.encode_abi("deposit", [token.address, amount, depositor.address]),
    })

    assert approve["status"] == 1 and deposit["status"] == 1
    assert vault.functions.locked(depositor.address, token.address).call() == amount
    credited = wait_until(lambda: [c for c in engine.functions.credited_all(depositor.address).call() if c])
    assert credited == [amount]


def test_batches_unknown_methods_and_malformed_requests_get_json_rpc_errors(live):
    url = live.world.urls["perp"]
    batch = requests.post(url, json=[
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_noSuchMethod", "params": []},
    ], timeout=10).json()
    assert {answer["id"]: answer.get("result", answer.get("error", {}).get("code")) for answer in batch} == {
        1: hex(31337), 2: -32601,
    }
    malformed = requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert malformed.json()["error"]["code"] == -32700
    assert Web3(Web3.HTTPProvider(url)).eth.chain_id == 31337  # and the endpoint carries on


def _text(parts) -> str:
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    for part in parts:
        console.print(part, soft_wrap=isinstance(part, str))
    return out.getvalue()


def test_the_banner_shows_every_endpoint_contract_and_whole_private_keys(live):
    text = _text(render(live.manifest, "up.json"))
    for name, url in live.world.urls.items():
        assert name in text and url in text
    assert live.manifest["chains"]["perp"]["contracts"]["engine"] in text
    assert live.manifest["chains"]["vault-l2"]["contracts"]["pools"]["ETH"] in text
    for account in live.manifest["accounts"]:
        assert account["address"] in text and account["private_key"] in text  # never cut to fit the terminal
    assert "up.json" in text and "Ctrl-C to stop" in text
    assert "333 WETH" in text and "16 WBTC" in text and " ETH," not in text  # token symbols, as the README says
