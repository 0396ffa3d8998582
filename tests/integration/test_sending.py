"""Exactly-once sending: claims under row locks, approval hash re-check, tracking, retries, reconcile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.errors import AlreadyAnswered, EscalationError, Refused
from communicator_escalation.mail.base import Address, OutgoingEmail
from communicator_escalation.mail.factory import make_mailer
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.approval import approve_send, reject_send, submit_for_approval
from communicator_escalation.workflow.delivery.sending import SendOutcome, reconcile, send_response
from communicator_escalation.workflow.delivery.tracking import list_responses
from communicator_escalation.workflow.review.edits import add_cc, edit_response
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import AcceptThenDrop, AcceptThenHang, FakeGmail, Reply, running_fake_gmail
from tests.support.step4_world import CUSTOMER_EMAIL, NOW, audit_actions, insert_drafted, load, world

FAST = Settings(send_max_attempts=3, send_backoff_seconds=0.001, send_backoff_cap_seconds=0.01)


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxMailer:
    return OutboxMailer(tmp_path / "outbox")


@pytest.fixture
def fjord(store: Store) -> str:
    load(store)
    return insert_drafted(store)


def sent_files(mailer: OutboxMailer) -> list[EmailMessage]:
    files = sorted(mailer.folder.glob("*.eml"))
    return [BytesParser(policy=email_policy.default).parsebytes(f.read_bytes()) for f in files]


def signal(store: Store, signal_id: str = "sig-fjord") -> dict:
    with store.connection() as conn:
        return conn.execute("SELECT * FROM risk_signals WHERE id = %s", (signal_id,)).fetchone()


def test_urgent_send_is_expedited_threaded_and_tracked(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    outcome = send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)

    assert outcome.outcome == "sent" and outcome.status == "sent"
    assert outcome.approval.expedited and outcome.approval.decided_by == "policy:expedited"
    [message] = sent_files(outbox)
    assert message["To"] == "Ingrid Bjørnstad <ingrid@fjordline.no>"
    assert message["From"] == "Zoë Laurent <zoe.laurent@helios.example>"
    assert message["In-Reply-To"] == "<ingrid.77@mail.fjordline.no>"
    assert message["References"] == "<ingrid.77@mail.fjordline.no>"
    assert message["Subject"] == "RE: Ingestion stalls again"
    assert message["Message-ID"] == outcome.message_id
    assert message.get_content().startswith("Dear Ingrid,")

    row = signal(store)
    assert row["response_sent_at"] == NOW
    assert row["response_email_id"] == outcome.email_id
    assert outcome.response_minutes == 40  # detected 40 minutes before NOW
    assert (outcome.sla.state, outcome.sla.minutes) == ("met", 20)  # high: first response within 1 hour
    assert outcome.sla.first_response_due == NOW + timedelta(minutes=20)
    assert [a for _, a in audit_actions(store, fjord)][-4:] == ["submitted", "approved", "sending", "sent"]

    again = send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert again.outcome == "already_sent"
    assert again.email_id == outcome.email_id
    assert len(sent_files(outbox)) == 1


def test_twenty_concurrent_sends_give_one_message(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    outcomes: list[SendOutcome] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def send() -> None:
        start.wait()
        try:
            outcomes.append(send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW))
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(sent_files(outbox)) == 1
    kinds = sorted(o.outcome for o in outcomes)
    assert kinds.count("sent") == 1
    assert set(kinds) <= {"sent", "already_sent", "already_sending"}
    with store.connection() as conn:
        attempts = conn.execute("SELECT count(*) AS n FROM send_attempts WHERE response_id = %s", (fjord,)).fetchone()
    assert attempts["n"] == 1


def test_two_responses_of_one_escalation_sent_concurrently_give_one_message(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    second = insert_drafted(store, body="Dear Ingrid,\n\nA second draft of the same answer.\n\nZoë\n")
    for response_id in (fjord, second):
        submit_for_approval(store, response_id=response_id, urgent=True, now=NOW)
    outcomes: list[SendOutcome] = []
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def send(response_id: str) -> None:
        start.wait()
        try:
            outcomes.append(send_response(store, response_id=response_id, mailer=outbox, settings=FAST, now=NOW))
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=send, args=((fjord, second)[n % 2],)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(sent_files(outbox)) == 1
    [winner] = [o for o in outcomes if o.outcome == "sent"]
    loser = second if winner.response_id == fjord else fjord
    assert all(o.response_id == winner.response_id for o in outcomes)
    assert {o.outcome for o in outcomes} <= {"sent", "already_sent", "already_sending"}
    assert len(errors) == 5 and all(isinstance(e, AlreadyAnswered) for e in errors)
    assert all(e.code == "already_answered" and winner.response_id in e.message for e in errors)
    assert signal(store)["response_email_id"] == winner.email_id
    with store.connection() as conn:
        row = conn.execute("SELECT status, message_id FROM escalation_responses WHERE id = %s", (loser,)).fetchone()
        tries = conn.execute("SELECT count(*) AS n FROM send_attempts WHERE response_id = %s", (loser,)).fetchone()
    assert (row["status"], row["message_id"], tries["n"]) == ("approved", None, 0)


def test_a_second_response_of_an_answered_escalation_is_refused(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    later = insert_drafted(store)
    first = send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert first.outcome == "sent"

    with pytest.raises(AlreadyAnswered) as refused:
        send_response(store, response_id=later, mailer=outbox, urgent=True, settings=FAST,
                      now=NOW + timedelta(minutes=5))
    message = refused.value.message
    assert "2026-02-03 14:00 UTC" in message and fjord in message and first.email_id in message
    assert f"response {later} stays drafted" in message
    assert len(sent_files(outbox)) == 1
    assert [a for _, a in audit_actions(store, later)] == ["drafted"]  # no approval requested either
    again = send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert again.outcome == "already_sent"  # the answering response itself still answers as before


def test_an_escalation_answered_in_the_world_file_is_not_answered_again(store: Store, outbox: OutboxMailer) -> None:
    answered = world()
    ciel = next(s for s in answered["risk_signals"] if s["id"] == "sig-ciel")
    ciel.update(response_sent_at=(NOW - timedelta(minutes=30)).isoformat(), response_email_id="mail-ciel-1")
    load_world(store, answered, now=NOW)
    response_id = insert_drafted(store, signal_id="sig-ciel", body="Madame Dubois,\n\nNous corrigeons.\n")

    with pytest.raises(AlreadyAnswered, match=r"already answered at 2026-02-03 13:30 UTC by email mail-ciel-1"
                                              r" \(recorded in the world file"):
        send_response(store, response_id=response_id, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert sent_files(outbox) == []
    assert signal(store, "sig-ciel")["response_email_id"] == "mail-ciel-1"
    assert [a for _, a in audit_actions(store, response_id)] == ["drafted"]


def test_normal_send_waits_for_approval_then_sends(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    pending = send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW)
    assert pending.outcome == "pending_approval"
    assert pending.approval.approver_id == "h-mateus"
    assert sent_files(outbox) == []
    assert send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW).outcome == "pending_approval"

    approve_send(store, approval_id=pending.approval.id, actor_id="h-mateus", now=NOW)
    later = NOW + timedelta(minutes=50)
    sent = send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=later)
    assert sent.outcome == "sent"
    assert (sent.response_minutes, sent.sla.state, sent.sla.minutes) == (90, "breached", 30)
    assert len(sent_files(outbox)) == 1
    [summary] = list_responses(store, actor=ACCOUNT_CSM, customer="fjordline")
    assert (summary.status, summary.approval_status, summary.decided_by, summary.response_minutes) == (
        "sent", "approved", "h-mateus", 90)


def test_content_changed_behind_the_approval_is_not_sent(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    with store.connection() as conn:  # bypassing review.py, as a stray writer would
        conn.execute("UPDATE escalation_responses SET body = body || 'P.S. see you on Monday' WHERE id = %s", (fjord,))
    with pytest.raises(Refused, match="no approval for its current content"):
        send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW)
    assert sent_files(outbox) == []


def test_an_edit_after_expedited_approval_needs_a_new_one(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    first = submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"), now=NOW)
    outcome = send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert outcome.outcome == "sent"
    assert outcome.approval.id != first.approval.id
    assert "17:00" in sent_files(outbox)[0].get_content()


def test_rejected_and_recipientless_responses_are_refused(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    pending = send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW)
    reject_send(store, approval_id=pending.approval.id, actor_id="h-mateus", reason="no", now=NOW)
    with pytest.raises(Refused, match="rejected"):
        send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW)
    nobody = insert_drafted(store, to=[])
    with pytest.raises(Refused, match="no To recipient"):
        send_response(store, response_id=nobody, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    assert sent_files(outbox) == []


def test_injected_header_is_refused_before_anything_happens(store: Store, fjord: str, outbox: OutboxMailer) -> None:
    with store.connection() as conn:
        conn.execute("UPDATE escalation_responses SET subject = 'Hi\r\nBcc: leak@evil.example' WHERE id = %s", (fjord,))
    with pytest.raises(EscalationError):
        send_response(store, response_id=fjord, mailer=outbox, urgent=True, settings=FAST, now=NOW)
    with store.connection() as conn:
        row = conn.execute("SELECT status FROM escalation_responses WHERE id = %s", (fjord,)).fetchone()
    assert row["status"] == "drafted"
    assert sent_files(outbox) == []


def _crash_after(store: Store, fjord: str, outbox: OutboxMailer, *, delivered: bool) -> str:
    """Leave the row as a process killed mid-send would: `sending`, draft created, maybe delivered."""
    submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    with store.connection() as conn:
        row = conn.execute("SELECT * FROM escalation_responses WHERE id = %s", (fjord,)).fetchone()
    message_id = "<esc-crash-1@helios.example>"
    draft_id = outbox.create_draft(OutgoingEmail(
        sender=Address(name="Zoë Laurent", email="zoe.laurent@helios.example"),
        to=[Address(email=row["to_addrs"][0])], subject=row["subject"], body=row["body"], message_id=message_id))
    if delivered:
        outbox.send_draft(draft_id)
    with store.connection() as conn:
        conn.execute(
            "UPDATE escalation_responses SET status = 'sending', claimed_at = %s, message_id = %s,"
            " provider_draft_id = %s WHERE id = %s",
            (NOW, message_id, draft_id, fjord),
        )
        conn.execute(
            "INSERT INTO send_attempts (response_id, attempt, transport, step, started_at) VALUES (%s, 1, 'outbox',"
            " 'send_draft', %s)",
            (fjord, NOW),
        )
    return draft_id


def test_crash_after_delivery_is_reconciled_as_sent_without_resending(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    _crash_after(store, fjord, outbox, delivered=True)
    assert send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW).outcome == "already_sending"
    assert reconcile(store, mailer=outbox, now=NOW + timedelta(minutes=1)) == []  # not stale yet

    [result] = reconcile(store, mailer=outbox, now=NOW + timedelta(hours=1))
    assert (result.before, result.after) == ("sending", "sent")
    assert signal(store)["response_sent_at"] == NOW  # the time the send was attempted
    assert send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW).outcome == "already_sent"
    assert len(sent_files(outbox)) == 1


def test_crash_before_delivery_is_reconciled_as_failed_then_sent_once(
    store: Store, fjord: str, outbox: OutboxMailer
) -> None:
    _crash_after(store, fjord, outbox, delivered=False)
    [result] = reconcile(store, mailer=outbox, now=NOW + timedelta(hours=1))
    assert (result.before, result.after) == ("sending", "failed")
    assert sent_files(outbox) == []

    outcome = send_response(store, response_id=fjord, mailer=outbox, settings=FAST, now=NOW + timedelta(hours=1))
    assert outcome.outcome == "sent"
    assert len(sent_files(outbox)) == 1
    assert sent_files(outbox)[0]["Message-ID"] == "<esc-crash-1@helios.example>"  # the same message, not a new one


# -- Gmail, through the real google-api-python-client against a loopback Gmail API ------------------

@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    yield from running_fake_gmail()


@pytest.fixture
def gmail_settings(gmail: FakeGmail, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for Gmail with a service account (domain-wide delegation) whose token endpoint is the fake's."""
    account = write_service_account(
        tmp_path / "service-account.json", token_uri=gmail.token_uri,
        client_email="escalations@helios-test.iam.gserviceaccount.com",
    )

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "home": tmp_path, "mail_transport": "gmail", "gmail_service_account_file": account,
            "gmail_sender": "zoe.laurent@helios.example", "gmail_api_endpoint": gmail.url,
            "gmail_timeout_seconds": 1.0, "send_max_attempts": 3, "send_backoff_seconds": 0.001,
            "send_backoff_cap_seconds": 0.01, **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture
def threaded(store: Store, fjord: str, gmail: FakeGmail) -> str:
    """The response, approved (expedited), replying on the Gmail thread of the customer's email."""
    gmail.add_message(CUSTOMER_EMAIL, thread_id="thr-fjord-77")
    submit_for_approval(store, response_id=fjord, urgent=True, now=NOW)
    return fjord


def test_gmail_threaded_reply_parses_back_to_the_right_headers(
    store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]
) -> None:
    settings = gmail_settings()
    add_cc(store, actor=ACCOUNT_CSM, response_id=threaded, who="support lead", now=NOW)  # voids the approval: ask again
    submit_for_approval(store, response_id=threaded, urgent=True, now=NOW)
    outcome = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW)

    assert outcome.outcome == "sent", outcome.last_error
    [sent] = gmail.sent
    assert sent.thread_id == "thr-fjord-77"
    message = sent.parsed
    assert message["To"] == "Ingrid Bjørnstad <ingrid@fjordline.no>"
    assert message["Cc"] == "Søren Dahl <soren@helios.example>"
    assert message["In-Reply-To"] == message["References"] == "<ingrid.77@mail.fjordline.no>"
    assert message["Subject"] == "RE: Ingestion stalls again"
    assert outcome.email_id == sent.id
    assert signal(store)["response_email_id"] == sent.id


def test_gmail_500_500_200_sends_one_message_after_three_attempts(
    store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]
) -> None:
    settings = gmail_settings()
    gmail.script("drafts.send", [500, 500, 200])
    waits: list[float] = []
    outcome = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW,
                            sleep=waits.append)

    assert outcome.outcome == "sent"
    assert outcome.attempts == 3
    assert len(gmail.sent) == 1
    assert len(gmail.calls("drafts.send")) == 3
    assert len(gmail.calls("drafts.create")) == 1  # the draft is created once and reused
    assert len(waits) == 2 and all(0 < w <= 0.01 for w in waits)
    with store.connection() as conn:
        attempts = conn.execute("SELECT attempt, outcome, status_code FROM send_attempts WHERE response_id = %s"
                                " ORDER BY id", (threaded,)).fetchall()
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in attempts] == [
        (1, "transient", 500), (2, "transient", 500), (3, "sent", None)]


def test_gmail_429_retry_after_is_honoured(store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]) -> None:
    settings = gmail_settings(send_backoff_cap_seconds=5.0)
    gmail.script("drafts.send", [Reply(429, retry_after="3")])
    waits: list[float] = []
    outcome = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW,
                            sleep=waits.append)
    assert outcome.outcome == "sent"
    assert waits and waits[0] >= 3.0
    assert len(gmail.sent) == 1


def test_gmail_500_on_every_attempt_fails_then_the_resend_asks_gmail_first(
    store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]
) -> None:
    settings = gmail_settings()
    gmail.script("drafts.send", [500] * 3)  # every attempt of this send
    outcome = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW,
                            sleep=lambda _: None)

    assert outcome.outcome == "failed" and outcome.status == "failed"
    assert outcome.attempts == 3
    assert "gave up after 3 attempts" in outcome.last_error
    assert gmail.sent == []
    assert len(gmail.drafts) == 1  # kept for a retry
    assert signal(store)["response_sent_at"] is None
    [summary] = list_responses(store, actor=ACCOUNT_CSM)
    assert summary.status == "failed" and summary.last_error == outcome.last_error

    retry = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW,
                          sleep=lambda _: None)
    assert retry.outcome == "sent"
    assert len(gmail.sent) == 1 and gmail.drafts == {}
    # the resend asked Gmail by Message-ID first: the earlier draft was deleted, then a new one created
    [search] = gmail.calls("drafts.list")
    assert search.query["q"] == [f"rfc822msgid:{retry.message_id.strip('<>')}"]
    assert len(gmail.calls("drafts.delete")) == 1 and len(gmail.calls("drafts.create")) == 2
    assert gmail.sent[0].parsed["Message-ID"] == outcome.message_id == retry.message_id


def test_gmail_timeout_after_accept_is_unknown_and_reconciled_without_a_second_message(
    store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]
) -> None:
    settings = gmail_settings(gmail_timeout_seconds=0.3)
    gmail.script("drafts.send", [AcceptThenHang(1.5)])
    mailer = make_mailer(settings)
    outcome = send_response(store, response_id=threaded, mailer=mailer, settings=settings, now=NOW,
                            sleep=lambda _: None)
    assert outcome.outcome == "unknown" and outcome.status == "unknown"
    assert signal(store)["response_sent_at"] is None

    [result] = reconcile(store, mailer=make_mailer(settings), now=NOW + timedelta(minutes=2))
    assert (result.before, result.after) == ("unknown", "sent")
    again = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW)
    assert again.outcome == "already_sent"
    assert len(gmail.sent) == 1
    assert len(gmail.calls("drafts.send")) == 1
    assert signal(store)["response_email_id"] == gmail.sent[0].id


def test_send_on_unknown_reconciles_first(store: Store, threaded: str, gmail: FakeGmail, gmail_settings: Callable[..., Settings]) -> None:
    settings = gmail_settings(gmail_timeout_seconds=0.3)
    gmail.script("drafts.send", [AcceptThenDrop()])
    first = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW)
    assert first.outcome == "unknown"
    second = send_response(store, response_id=threaded, mailer=make_mailer(settings), settings=settings, now=NOW)
    assert second.outcome == "already_sent"
    assert len(gmail.sent) == 1
    assert len(gmail.calls("drafts.send")) == 1  # no transport-level resend of the dropped POST
    assert ("system:reconcile", "sent") in audit_actions(store, threaded)
