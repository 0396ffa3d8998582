"""Review notes follow the content as it stands, and the approval-only door reads the real policy.

A note stored at draft time ("fill in [confirm: ...]") must not outlive the edit that fixed it on any
card, and a commitment the policy allows must not be refused because a door used the default policy.
World: Kestrel Systems / Aurora Freight (tests/support/trust_world.py), not the demo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.errors import SendBlocked
from communicator_escalation.mail.factory import Transport
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.send_with_approval import request_approval_only
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.drafting.responses import load_draft
from communicator_escalation.workflow.policy import EmailPolicy, Policy
from communicator_escalation.workflow.review.edits import edit_response
from tests.support.trust_world import world

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
CREDIT = "We will apply a service credit to your next invoice."


def _placeholders(notes: list) -> list[str]:  # noqa: ANN001
    return [n.text for n in notes if n.code == "unconfirmed_placeholder"]


def test_a_filled_placeholder_no_longer_shows_as_blocking(store: Store) -> None:
    load_world(store, world(NOW))
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    rid = draft.response_id or ""
    with_gap = draft.email.body.replace("Best regards,", "Owner: [confirm: integration owner]\n\nBest regards,")
    edit_response(store, actor=ACCOUNT_CSM, response_id=rid, body=with_gap, now=NOW)
    shown = load_draft(store, actor=ACCOUNT_CSM, response_id=rid, policy=Policy().email)
    assert _placeholders(shown.review_notes) and shown.review_notes[0].kind == "blocking"

    edit_response(store, actor=ACCOUNT_CSM, response_id=rid, body=with_gap.replace("[confirm: integration owner]",
                                                                                 "Tariq Aziz"), now=NOW)
    shown = load_draft(store, actor=ACCOUNT_CSM, response_id=rid, policy=Policy().email)
    assert _placeholders(shown.review_notes) == []
    assert not [n for n in shown.review_notes if n.kind == "blocking"]
    assert [n.code for n in shown.review_notes if n.code == "sla"] == ["sla"]  # the draft's other notes stay


def test_a_reopened_draft_reports_what_its_edited_content_earns(store: Store) -> None:
    load_world(store, world(NOW))
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    rid = draft.response_id or ""
    edit_response(store, actor=ACCOUNT_CSM, response_id=rid,
                  body=draft.email.body.replace("Best regards,", f"{CREDIT}\n\nBest regards,"), now=NOW)
    reopened = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW).draft
    assert reopened.response_id == rid
    assert [n.kind for n in reopened.review_notes if n.code == "commitment_language"] == ["blocking"]
    credits = Policy(email=EmailPolicy(allowed_commitments=["credit"]))
    allowed = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=credits, now=NOW).draft
    assert allowed.response_id == rid
    assert [n for n in allowed.review_notes if n.code == "commitment_language"] == []


def test_approval_only_reads_the_policys_allowed_commitments(store: Store, tmp_path: Path) -> None:
    load_world(store, world(NOW))
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    rid = draft.response_id or ""
    edit_response(store, actor=ACCOUNT_CSM, response_id=rid,
                  body=draft.email.body.replace("Best regards,", f"{CREDIT}\n\nBest regards,"), now=NOW)
    transport = Transport(mailer=OutboxMailer(tmp_path / "outbox"))
    with pytest.raises(SendBlocked, match="credit"):
        request_approval_only(store, actor=ACCOUNT_CSM, response_id=rid, transport=transport, policy=Policy(),
                              urgent=True, now=NOW)
    credits = Policy(email=EmailPolicy(allowed_commitments=["credit"]))
    status = request_approval_only(store, actor=ACCOUNT_CSM, response_id=rid, transport=transport, policy=credits,
                                   urgent=True, now=NOW)
    assert status.approval is not None and status.approval.expedited
    assert not list((tmp_path / "outbox").glob("*.eml"))
