"""Mailbox.process against mutated genuine inputs: nothing but a genuine first delivery gets through.

The short profile runs here; the long one is ``python benchmarks/fuzz_mailbox.py --examples N``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.fuzz import MailboxFuzzTarget, fuzz_process
from bridge.submit import NO_REASON
from chains import compile_contract

SHORT_PROFILE = 250
MAILBOX = Path(__file__).resolve().parents[2] / "bridge" / "contracts" / "Mailbox.vy"


@pytest.fixture(scope="module")
def report():
    return fuzz_process(SHORT_PROFILE)


def test_no_mutated_input_is_accepted_that_should_not_be(report):
    assert report.tried == SHORT_PROFILE
    assert report.false_acceptances == 0, report.first_false
    assert report.accepted > 0  # genuine first deliveries, with harmless mutations, still get through


def test_every_refusal_names_its_reason_and_many_checks_are_reached(report):
    assert NO_REASON not in report.refusals
    deep = {"signature does not match signer", "root not signed by signer", "inclusion proof does not match root",
            "message already delivered", "message id does not match proof"}
    assert deep <= set(report.refusals), report.refusals


def test_the_fuzzer_catches_a_mailbox_that_forgets_deliveries(tmp_path):
    source = MAILBOX.read_text()
    check = '    assert not self.delivered[message_id], "message already delivered"\n'
    assert source.count(check) == 1
    (tmp_path / "Mailbox.vy").write_text(source.replace(check, ""))
    planted = MailboxFuzzTarget(compile_contract(tmp_path / "Mailbox.vy"))
    found = fuzz_process(60, target=planted)
    assert found.false_acceptances > 0
    assert found.first_false["seed"].endswith("delivered")  # a replay
