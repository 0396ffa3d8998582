"""Least privilege for expedited sends: only the account's CSM or an approver is approved at once; the CSM is told."""

from __future__ import annotations

from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.errors import ConfigurationError
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.approval import approval_status, approve_send
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.policy import ApprovalPolicy, Policy, load_policy
from communicator_escalation.workflow.review.edits import edit_response, get_response
from tests.support.step4_world import NOW, insert_drafted, load

REFUND = "We will refund your entire contract."


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxMailer:
    return OutboxMailer(tmp_path / "outbox")


@pytest.fixture
def fjord(store: Store) -> str:
    load(store)
    return insert_drafted(store)


def sent_bodies(outbox: OutboxMailer) -> list[str]:
    parser = BytesParser(policy=email_policy.default)
    return [parser.parsebytes(p.read_bytes()).get_content() for p in sorted(outbox.folder.glob("*.eml"))]


def notices(store: Store, response_id: str) -> list[tuple[str, str | None]]:
    return [(n.kind, n.recipient_id) for n in approval_status(store, response_id=response_id).notifications]


def notice_body(store: Store, response_id: str, kind: str) -> str:
    with store.connection() as conn:
        row = conn.execute("SELECT subject, body FROM approval_notifications WHERE response_id = %s AND kind = %s",
                           (response_id, kind)).fetchone()
    return f"{row['subject']}\n\n{row['body']}"


def test_finding_2_an_account_executives_urgent_rewrite_waits_for_a_human_and_the_csm_is_told(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    edit_response(store, response_id=fjord, actor_id="h-lucia", body=f"Dear Ingrid,\n\n{REFUND}\n\nZoë\n", now=NOW)

    outcome = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-lucia", urgent=True, now=NOW)

    assert outcome.outcome == "pending_approval" and outcome.status == "pending_approval"
    assert outcome.approval.urgent and not outcome.approval.expedited and outcome.approval.queue_position == 1
    assert sent_bodies(outbox) == []
    assert notices(store, fjord) == [("urgent_approval_requested", "h-mateus"), ("sent_on_your_account", "h-zoe")]
    told = notice_body(store, fjord, "sent_on_your_account")
    assert "Lucía Fernández" in told and "Fjordline AS" in told and REFUND in told
    assert outcome.approval.id in told and "Mateus Oliveira" in told

    approve_send(store, approval_id=outcome.approval.id, actor_id="h-mateus", now=NOW)
    sent = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-mateus", now=NOW)
    assert sent.outcome == "sent"
    [body] = sent_bodies(outbox)
    assert REFUND in body


@pytest.mark.parametrize(("actor", "expedited", "csm_told"), [
    ("h-zoe", True, False),     # the account's CSM
    ("h-mateus", True, True),   # the CSM's manager: approves sends of this account
    ("h-amara", True, True),    # an executive: an approver role
    ("h-soren", False, True),   # the support lead reaches the customer but approves nothing
    ("h-lucia", False, True),   # the account executive, likewise
])
def test_who_is_approved_at_once(store: Store, fjord: str, outbox: OutboxMailer, actor: str, expedited: bool,
                                 csm_told: bool) -> None:
    outcome = send_response(store, response_id=fjord, mailer=outbox, actor_id=actor, urgent=True, now=NOW)

    assert (outcome.outcome == "sent") is expedited
    assert len(sent_bodies(outbox)) == (1 if expedited else 0)
    assert (("sent_on_your_account", "h-zoe") in notices(store, fjord)) is csm_told
    if not expedited:
        assert outcome.approval.status == "pending" and outcome.approval.urgent


def test_the_csm_sending_someone_elses_rewrite_urgently_sees_it_first(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    """The AE changed the content last: the CSM's urgent send is expedited only for the content they were shown."""
    edit_response(store, response_id=fjord, actor_id="h-lucia", replace=("18:00", "16:00"), now=NOW)
    blind = send_response(store, response_id=fjord, mailer=outbox, urgent=True, now=NOW)
    assert blind.outcome == "pending_approval" and not blind.approval.expedited
    assert ("sent_on_your_account", "h-zoe") not in notices(store, fjord)  # the CSM sent it: nobody else to tell

    shown = get_response(store, response_id=fjord)
    seen = send_response(store, response_id=fjord, mailer=outbox, urgent=True, now=NOW,
                         expected_content_hash=shown.content_hash)
    assert seen.outcome == "sent" and seen.approval.id == blind.approval.id and seen.approval.expedited
    assert "16:00" in sent_bodies(outbox)[0]


def test_a_policy_can_narrow_who_is_expedited(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    policy = Policy(approval=ApprovalPolicy(expedite_senders=["csm"]))
    outcome = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-mateus", urgent=True, policy=policy,
                            now=NOW)
    assert outcome.outcome == "pending_approval" and sent_bodies(outbox) == []

    nobody = Policy(approval=ApprovalPolicy(expedite_senders=[]))
    other = insert_drafted(store)
    assert send_response(store, response_id=other, mailer=outbox, urgent=True, policy=nobody,
                         now=NOW).outcome == "pending_approval"


@pytest.mark.parametrize("senders", ['["anyone"]', '["csm", "account_executive"]'])
def test_a_policy_cannot_widen_it_beyond_the_csm_and_approvers(tmp_path: Path, senders: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f"[approval]\nexpedite_senders = {senders}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="expedite_senders"):
        load_policy(path)
