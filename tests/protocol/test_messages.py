"""Message bodies: Python encoding round-trips, matches the contracts, and malformed bodies are refused."""

import pytest
from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st

from protocol.messages import (
    Dest,
    Fund,
    Funded,
    MarginLocked,
    MessageDecodeError,
    RefusalReason,
    Release,
    Seize,
    SeizeItem,
    Source,
    WithdrawRefused,
    WithdrawRequest,
    decode_body,
    encode_body,
)
from protocol.units import from_units, from_wad, to_units, to_wad

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
amounts = st.integers(min_value=0, max_value=2**256 - 1)


def checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


messages = st.one_of(
    st.builds(MarginLocked, addresses.map(checksum), addresses.map(checksum), amounts),
    st.builds(WithdrawRequest, amounts, addresses.map(checksum), addresses.map(checksum), amounts, addresses.map(checksum)),
    st.builds(Funded, st.sampled_from(Fund), addresses.map(checksum), amounts),
    st.builds(Release, amounts, addresses.map(checksum), addresses.map(checksum), amounts, amounts),
    st.builds(WithdrawRefused, amounts, addresses.map(checksum), addresses.map(checksum), amounts, st.sampled_from(RefusalReason)),
    st.builds(
        Seize,
        amounts,
        addresses.map(checksum),
        st.lists(
            st.builds(SeizeItem, addresses.map(checksum), amounts, st.sampled_from(Source), st.sampled_from(Dest), addresses.map(checksum)),
            max_size=8,
        ).map(tuple),
    ),
)


@given(messages)
def test_every_message_round_trips(message):
    assert decode_body(encode_body(message)) == message


def test_encoding_is_the_abi_tuple_with_the_kind_first():
    account, token = "0x" + "11" * 20, "0x" + "22" * 20
    body = encode_body(MarginLocked(checksum(account), checksum(token), 5))
    assert body == encode(["uint256", "address", "address", "uint256"], [1, account, token, 5])


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "too short"),
        (encode(["uint256"], [99]), "unknown message kind 99"),
        (encode(["uint256"], [1]), "malformed MarginLocked body"),
        (encode(["uint256", "uint256", "address", "uint256"], [3, 7, "0x" + "22" * 20, 1]), "malformed Funded body"),
    ],
)
def test_malformed_bodies_are_refused(body, message):
    with pytest.raises(MessageDecodeError, match=message):
        decode_body(body)


def test_a_seize_carries_at_most_eight_items():
    item = SeizeItem(checksum("0x" + "11" * 20), 1, Source.ACCOUNT, Dest.POOL, checksum("0x" + "00" * 20))
    with pytest.raises(ValueError, match="at most 8 items"):
        encode_body(Seize(1, checksum("0x" + "33" * 20), (item,) * 9))


def test_units_convert_exactly():
    assert to_wad("0.05") == 5 * 10**16
    assert to_wad(0.1) == 10**17
    assert to_units(1.5, 6) == 1_500_000
    assert str(from_units(1_500_000, 6)) == "1.500000"
    assert from_wad(2000 * 10**18) == 2000
    with pytest.raises(ValueError, match="more than 6 decimal places"):
        to_units("0.0000001", 6)
    with pytest.raises(TypeError):
        to_wad(True)
