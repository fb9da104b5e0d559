"""The planted bug: a CollateralVault that pays a withdrawal the moment it is requested, without a RELEASE."""

from __future__ import annotations

from pathlib import Path

import pytest

VAULT = Path(__file__).resolve().parents[2] / "protocol" / "contracts" / "CollateralVault.vy"
REQUEST = '''    message_id: bytes32 = self._send(
        abi_encode(messages.WITHDRAW_REQUEST, request_id, msg.sender, token, amount, recipient)
    )'''
PAY_AT_ONCE = '''    self.locked[msg.sender][token] -= amount
    self.total_locked[token] -= amount
    assert extcall IERC20(token).transfer(recipient, amount, default_return_value=True), "token transfer failed"
'''


@pytest.fixture(scope="session")
def leaky_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped vault's source with the bug planted in ``request_withdraw`` (so it never drifts from it)."""
    source = VAULT.read_text()
    assert source.count(REQUEST) == 1, "request_withdraw changed: update the planted bug"
    path = tmp_path_factory.mktemp("planted") / "LeakyVault.vy"
    path.write_text(source.replace(REQUEST, PAY_AT_ONCE + REQUEST))
    return path
