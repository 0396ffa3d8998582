"""Approval: content-hash binding, normal and urgent (expedited / top of queue) sends, decisions and who may make them,
and least privilege for expedited sends (only the account's CSM or an approver; the CSM is told)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.errors import ConfigurationError, EscalationError, NotFound, Refused, SendBlocked
from communicator_escalation.mail.factory import Transport
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.approval import (
    approval_status,
    approve_send,
    list_approvals,
    reject_send,
    submit_for_approval,
)
from communicator_escalation.workflow.delivery.send_with_approval import request_approval_only
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.policy import ApprovalPolicy, EmailPolicy, Policy, load_policy
from communicator_escalation.workflow.review.edits import edit_response, get_response
from tests.support.step4_world import NOW, audit_actions, insert_drafted, load

REFUND = "We will refund your entire contract."
ZOE_TOLD = ("sent_on_your_account", "zoe.laurent@helios.example", "recorded")


@pytest.fixture
def fjord(store: Store) -> str:
    load(store)
    return insert_drafted(store)


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxMailer:
    return OutboxMailer(tmp_path / "outbox")


def _notifications(store: Store, response_id: str) -> list[tuple[str, str, str]]:
    return [(n.kind, n.recipient_email, n.delivery) for n in approval_status(store, response_id=response_id).notifications]


def test_request_is_bound_to_the_hash_of_the_exact_content(store: Store, fjord: str) -> None:
    status = submit_for_approval(store, response_id=fjord, now=NOW)
    with store.connection() as conn:
        row = conn.execute("SELECT to_addrs, cc_addrs, subject, body FROM escalation_responses WHERE id = %s",
                           (fjord,)).fetchone()
    canonical = json.dumps({"to": row["to_addrs"], "cc": row["cc_addrs"], "subject": row["subject"], "body": row["body"]},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert status.approval.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert status.content_matches


def test_normal_send_waits_for_the_csms_manager(store: Store, fjord: str) -> None:
    status = submit_for_approval(store, response_id=fjord, now=NOW)
    assert status.response_status == "pending_approval"
    assert status.approval.status == "pending"
    assert (status.approval.approver_id, status.approval.approver_name) == ("h-mateus", "Mateus Oliveira")
    assert status.approval.queue_position == 1
    assert not status.approval.urgent
    assert _notifications(store, fjord) == [("approval_requested", "mateus@helios.example", "recorded")]
    assert [a.id for a in list_approvals(store)] == [status.approval.id]


def test_urgent_high_severity_is_expedited_and_the_manager_told(store: Store, fjord: str) -> None:
    status = submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    assert status.response_status == "approved"
    assert status.approval.status == "approved"
    assert status.approval.decided_by == "policy:expedited"
    assert status.approval.expedited
    assert _notifications(store, fjord) == [("expedited_approved", "mateus@helios.example", "recorded")]
    assert ("policy:expedited", "approved") in audit_actions(store, fjord)
    assert list_approvals(store) == []


def test_urgent_lower_severity_goes_to_the_top_of_the_queue(store: Store) -> None:
    load(store)
    first = submit_for_approval(store, response_id=insert_drafted(store), now=NOW)
    ciel = insert_drafted(store, signal_id="sig-ciel", body="Madame Dubois,\n\nNous corrigeons la facture.\n")
    urgent = submit_for_approval(store, response_id=ciel, urgent=True, now=NOW + timedelta(minutes=5))
    assert urgent.response_status == "pending_approval"
    assert urgent.approval.urgent and urgent.approval.status == "pending"
    assert urgent.approval.queue_position == 1
    assert [a.id for a in list_approvals(store)] == [urgent.approval.id, first.approval.id]
    assert _notifications(store, ciel) == [("urgent_approval_requested", "mateus@helios.example", "recorded")]


def test_a_pending_normal_request_can_be_upgraded_to_urgent(store: Store, fjord: str) -> None:
    submit_for_approval(store, response_id=fjord, now=NOW)
    status = submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    assert status.approval.decided_by == "policy:expedited"
    assert [k for k, _, _ in _notifications(store, fjord)] == ["approval_requested", "expedited_approved"]


def test_policy_decides_which_severities_are_expedited(store: Store, fjord: str) -> None:
    status = submit_for_approval(store, response_id=fjord, urgent=True, policy=ApprovalPolicy(expedite_severities=["critical"]),
                                 now=NOW)
    assert status.response_status == "pending_approval"
    assert status.approval.urgent


def test_csm_cannot_approve_their_own_send(store: Store, fjord: str) -> None:
    approval_id = submit_for_approval(store, response_id=fjord, now=NOW).approval.id
    with pytest.raises(Refused, match="cannot approve their own send"):
        approve_send(store, approval_id=approval_id, now=NOW)
    with pytest.raises(Refused, match="cannot approve their own send"):
        approve_send(store, approval_id=approval_id, actor_id="h-zoe", now=NOW)


def test_only_approvers_who_reach_the_customer_may_decide(store: Store, fjord: str) -> None:
    approval_id = submit_for_approval(store, response_id=fjord, now=NOW).approval.id
    with pytest.raises(NotFound):  # another CSM's customer is invisible to Kenji
        approve_send(store, approval_id=approval_id, actor_id="h-kenji", now=NOW)
    with pytest.raises(EscalationError, match="may not decide approvals") as refused:
        approve_send(store, approval_id=approval_id, actor_id="h-soren", now=NOW)
    assert refused.value.code == "forbidden"
    status = approve_send(store, approval_id=approval_id, actor_id="h-amara", reason="go", now=NOW)
    assert (status.response_status, status.approval.decided_by, status.approval.reason) == ("approved", "h-amara", "go")
    assert _notifications(store, fjord)[-1] == ("approved", "zoe.laurent@helios.example", "recorded")


def test_reject_and_decisions_are_final(store: Store, fjord: str) -> None:
    approval_id = submit_for_approval(store, response_id=fjord, now=NOW).approval.id
    status = reject_send(store, approval_id=approval_id, actor_id="h-mateus", reason="Tone it down", now=NOW)
    assert (status.response_status, status.approval.status, status.approval.reason) == ("rejected", "rejected", "Tone it down")
    with pytest.raises(Refused, match="already rejected by h-mateus"):
        approve_send(store, approval_id=approval_id, actor_id="h-mateus", now=NOW)
    assert ("h-mateus", "rejected") in audit_actions(store, fjord)
    assert _notifications(store, fjord)[-1][0] == "rejected"


def test_submitting_without_a_recipient_is_refused(store: Store) -> None:
    load(store)
    response_id = insert_drafted(store, to=[])
    with pytest.raises(Refused, match="no To recipient"):
        submit_for_approval(store, response_id=response_id, now=NOW)
    with pytest.raises(NotFound):
        approval_status(store, response_id="resp-missing")


def test_notifications_are_emailed_when_a_transport_is_given(store: Store, fjord: str, tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path / "outbox")
    submit_for_approval(store, response_id=fjord, urgent=True, mailer=mailer, now=NOW)

    assert _notifications(store, fjord) == [("expedited_approved", "mateus@helios.example", "sent")]
    [path] = sorted((tmp_path / "outbox").glob("*.eml"))
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["To"] == "Mateus Oliveira <mateus@helios.example>"
    assert message["From"] == "Zoë Laurent <zoe.laurent@helios.example>"
    assert message["Subject"] == "Expedited: escalation response to Fjordline AS approved by policy"
    body = message.get_content()
    assert "Hi Mateus," in body and "Dear Ingrid," in body and "no action is needed" in body


# -- least privilege for expedited sends (issue 11, finding 2) ----------------------------------

def sent_bodies(outbox: OutboxMailer) -> list[str]:
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()).get_content() for p in sorted(outbox.folder.glob("*.eml"))]


def notice_body(store: Store, response_id: str, kind: str) -> str:
    with store.connection() as conn:
        row = conn.execute("SELECT subject, body FROM approval_notifications WHERE response_id = %s AND kind = %s",
                           (response_id, kind)).fetchone()
    return f"{row['subject']}\n\n{row['body']}"


def test_finding_2_an_account_executives_urgent_rewrite_waits_for_a_human_and_the_csm_is_told(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    edit_response(store, response_id=fjord, actor=Actor.of("h-lucia"), body=f"Dear Ingrid,\n\n{REFUND}\n\nZoë\n", now=NOW)
    # The send gate comes first: under the default policy the promise is refused before any approval or lease.
    with pytest.raises(SendBlocked, match="refund"):
        send_response(store, response_id=fjord, mailer=outbox, actor_id="h-lucia", urgent=True, now=NOW)
    assert approval_status(store, response_id=fjord).approval is None and _notifications(store, fjord) == []
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM send_leases WHERE response_id = %s", (fjord,)).fetchone()["n"] == 0

    # Where the policy allows refunds, the account executive's urgent rewrite still waits for a human.
    refunds = Policy(email=EmailPolicy(allowed_commitments=["refund"]))
    outcome = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-lucia", urgent=True, policy=refunds,
                            now=NOW)

    assert outcome.outcome == "pending_approval" and outcome.status == "pending_approval"
    assert outcome.approval.urgent and not outcome.approval.expedited and outcome.approval.queue_position == 1
    assert sent_bodies(outbox) == []
    assert _notifications(store, fjord) == [("urgent_approval_requested", "mateus@helios.example", "recorded"),
                                            ("sent_on_your_account", "zoe.laurent@helios.example", "recorded")]
    told = notice_body(store, fjord, "sent_on_your_account")
    assert "Lucía Fernández" in told and "Fjordline AS" in told and REFUND in told
    assert outcome.approval.id in told and "Mateus Oliveira" in told

    approve_send(store, approval_id=outcome.approval.id, actor_id="h-mateus", now=NOW)
    sent = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-mateus", policy=refunds, now=NOW)
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
    assert (ZOE_TOLD in _notifications(store, fjord)) is csm_told
    if not expedited:
        assert outcome.approval.status == "pending" and outcome.approval.urgent


@pytest.mark.parametrize(("actor", "expedited"), [("h-zoe", True), ("h-mateus", True), ("h-lucia", False)])
def test_asking_for_approval_only_applies_the_same_rule(store: Store, fjord: str, outbox: OutboxMailer, actor: str,
                                                        expedited: bool) -> None:
    """The door without a review card (MCP) asks through request_approval_only: same least privilege, nothing sent."""
    status = request_approval_only(store, actor=Actor.of(actor), response_id=fjord, urgent=True,
                                   transport=Transport(mailer=outbox), policy=Policy(), now=NOW)

    assert status.approval.urgent and status.approval.expedited is expedited
    assert status.response_status == ("approved" if expedited else "pending_approval")
    assert (ZOE_TOLD in _notifications(store, fjord)) is (actor != "h-zoe")
    assert sent_bodies(outbox) == []


def test_the_csm_sending_someone_elses_rewrite_urgently_sees_it_first(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    """The AE changed the content last: the CSM's urgent send is expedited only for the content they were shown."""
    edit_response(store, response_id=fjord, actor=Actor.of("h-lucia"), replace=("18:00", "16:00"), now=NOW)
    blind = send_response(store, response_id=fjord, mailer=outbox, urgent=True, now=NOW)
    assert blind.outcome == "pending_approval" and not blind.approval.expedited
    assert ZOE_TOLD not in _notifications(store, fjord)  # the CSM sent it: nobody else to tell

    shown = get_response(store, actor=ACCOUNT_CSM, response_id=fjord)
    seen = send_response(store, response_id=fjord, mailer=outbox, urgent=True, now=NOW,
                         expected_content_hash=shown.content_hash)
    assert seen.outcome == "sent" and seen.approval.id == blind.approval.id and seen.approval.expedited
    assert "16:00" in sent_bodies(outbox)[0]


def test_a_policy_can_narrow_who_is_expedited(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    narrow = Policy(approval=ApprovalPolicy(expedite_senders=["csm"]))
    outcome = send_response(store, response_id=fjord, mailer=outbox, actor_id="h-mateus", urgent=True, policy=narrow,
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
