"""Fenced send attempts: exactly one email per response while reconcile, a second sender, an edit and a resend race.

A send is paused at each step of a real transport (the outbox, and Gmail through its client against
the loopback server): before the provider call, inside it (the server holds the request), after it
(the server did it and holds the answer) and before the final commit. Meanwhile a second sender,
an edit, `reconcile` (with `--stale-minutes 0` while the lease runs, then after it expired) and a
resend run; then the paused attempt resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.errors import Refused
from communicator_escalation.mail.base import Mailer
from communicator_escalation.mail.factory import make_mailer
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.utc import utcnow
from communicator_escalation.workflow.delivery.approval import submit_for_approval
from communicator_escalation.workflow.delivery.sending import SendOutcome, reconcile, send_response
from communicator_escalation.workflow.review.edits import edit_response
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import FakeGmail, Hold, Reply, running_fake_gmail
from tests.support.pausing import PausingMailer, Running, wait
from tests.support.step4_world import CUSTOMER_EMAIL, NOW, audit_actions, insert_drafted, load

LEASE = timedelta(minutes=15)


@dataclass
class Transport:
    """A real transport for the test, and how to read what it delivered."""

    make: Callable[[], Mailer]
    delivered: Callable[[], list[EmailMessage]]
    settings: Settings
    gmail: FakeGmail | None = None


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=email_policy.default).parsebytes(raw)  # type: ignore[return-value]


@pytest.fixture
def outbox_transport(tmp_path: Path) -> Transport:
    folder = tmp_path / "outbox"
    settings = Settings(home=tmp_path, send_max_attempts=2, send_backoff_seconds=0.001, send_backoff_cap_seconds=0.01)
    return Transport(make=lambda: OutboxMailer(folder),
                     delivered=lambda: [_parse(p.read_bytes()) for p in sorted(folder.glob("*.eml"))],
                     settings=settings)


@pytest.fixture
def gmail_transport(tmp_path: Path) -> Iterator[Transport]:
    for gmail in running_fake_gmail():
        account = write_service_account(tmp_path / "sa.json", token_uri=gmail.token_uri,
                                        client_email="escalations@helios-test.iam.gserviceaccount.com")
        settings = Settings(home=tmp_path, mail_transport="gmail", gmail_service_account_file=account,
                            gmail_sender="zoe.laurent@helios.example", gmail_api_endpoint=gmail.url,
                            gmail_timeout_seconds=20, send_max_attempts=2, send_backoff_seconds=0.001,
                            send_backoff_cap_seconds=0.01)
        gmail.add_message(CUSTOMER_EMAIL, thread_id="thr-fjord-77")  # the thread the response replies on
        yield Transport(make=lambda: make_mailer(settings), delivered=lambda: [m.parsed for m in gmail.sent],
                        settings=settings, gmail=gmail)


@pytest.fixture(params=["outbox", "gmail"])
def transport(request: pytest.FixtureRequest) -> Transport:
    return request.getfixturevalue(f"{request.param}_transport")


@pytest.fixture
def fjord(store: Store) -> str:
    load(store)
    response_id = insert_drafted(store)
    submit_for_approval(store, response_id=response_id, urgent=True, now=NOW)
    return response_id


def row_of(store: Store, response_id: str) -> dict:
    with store.connection() as conn:
        return conn.execute(
            "SELECT r.*, s.response_email_id FROM escalation_responses r"
            " JOIN risk_signals s ON s.id = r.risk_signal_id WHERE r.id = %s",
            (response_id,),
        ).fetchone()


def assert_one_email_recorded(store: Store, response_id: str, transport: Transport) -> EmailMessage:
    """Exactly one email went out, and the response records it: state, email id, content, signal."""
    [message] = transport.delivered()
    row = row_of(store, response_id)
    assert row["status"] == "sent"
    assert message["Message-ID"] == row["message_id"]
    assert message.get_content().replace("\r\n", "\n") == row["body"]
    assert row["response_email_id"] == row["email_id"]
    return message


@dataclass
class Paused:
    """A send of the response started in a thread and held at one step."""

    running: Running[SendOutcome]
    release: Callable[[], None]


def pause_send(store: Store, response_id: str, transport: Transport, at: str) -> Paused:
    """Start a send and wait until it is held at `at` (a `PausingMailer` point, or inside/after the Gmail call)."""
    if at in ("inside", "after"):
        assert transport.gmail is not None
        hold = Hold(perform_first=at == "after")
        transport.gmail.script("drafts.send", [hold])
        mailer, reached, release = transport.make(), hold.reached, hold.release.set
    else:
        pausing = PausingMailer(transport.make(), at=at)
        mailer, reached, release = pausing, pausing.reached, pausing.release.set
    running = Running(lambda: send_response(store, response_id=response_id, mailer=mailer,
                                            settings=transport.settings))
    wait(reached)
    return Paused(running=running, release=release)


def after_lease() -> datetime:
    return utcnow() + LEASE + timedelta(minutes=1)


# (transport, pause point, delivered before the takeover). The outbox's send is one link(2): it has no
# "inside"; the Gmail server holds the request before doing it (inside) or before answering (after).
POINTS = [("outbox", "before_create", False), ("outbox", "before_send", False), ("outbox", "after_send", True),
          ("gmail", "before_create", False), ("gmail", "before_send", False), ("gmail", "inside", False),
          ("gmail", "after", True), ("gmail", "after_send", True)]


@pytest.mark.parametrize(("kind", "at", "delivered_before_takeover"), POINTS)
def test_one_email_whatever_runs_while_a_send_is_paused(
    request: pytest.FixtureRequest, store: Store, fjord: str, kind: str, at: str, delivered_before_takeover: bool
) -> None:
    transport: Transport = request.getfixturevalue(f"{kind}_transport")
    paused = pause_send(store, fjord, transport, at)
    real = transport.make()

    second = send_response(store, response_id=fjord, mailer=real, settings=transport.settings)
    assert second.outcome == "already_sending" and second.status == "sending"
    assert second.in_flight is not None and second.in_flight.started_at <= utcnow() < second.in_flight.reclaimable_at
    assert reconcile(store, mailer=real, stale_after=timedelta(0)) == []  # `--stale-minutes 0`: the lease still runs
    with pytest.raises(Refused, match="sending"):
        edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"))

    later = after_lease()  # the paused process stays suspended past its lease
    [taken] = reconcile(store, mailer=real, settings=transport.settings, now=later)
    assert (taken.before, taken.after) == ("sending", "sent" if delivered_before_takeover else "failed")
    if delivered_before_takeover:
        with pytest.raises(Refused, match="sent"):
            edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"), now=later)
        resend = send_response(store, response_id=fjord, mailer=real, urgent=True, settings=transport.settings,
                               now=later)
        assert resend.outcome == "already_sent"
    else:
        edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"), now=later)
        resend = send_response(store, response_id=fjord, mailer=real, urgent=True, settings=transport.settings,
                               now=later)
        assert resend.outcome == "sent"

    paused.release()
    late = paused.running.result()

    assert late.outcome == "already_sent" and late.status == "sent"
    message = assert_one_email_recorded(store, fjord, transport)
    assert ("17:00" in message.get_content()) is not delivered_before_takeover
    actions = [a for _, a in audit_actions(store, fjord)]
    assert actions.count("sent") == 1 and "taken_over" in actions


def test_a_late_finisher_records_what_it_delivered_when_reconcile_could_not_tell(
    store: Store, fjord: str, gmail_transport: Transport
) -> None:
    """The takeover cannot reach the provider's search; the paused attempt then completes and records its email."""
    transport = gmail_transport
    assert transport.gmail is not None
    paused = pause_send(store, fjord, transport, "after")
    transport.gmail.script("messages.list", [503])
    [taken] = reconcile(store, mailer=transport.make(), settings=transport.settings, now=after_lease())
    assert (taken.after, taken.reason) == ("unknown", "provider_error")

    paused.release()
    late = paused.running.result()

    assert late.outcome == "sent"
    assert_one_email_recorded(store, fjord, transport)
    again = send_response(store, response_id=fjord, mailer=transport.make(), urgent=True,
                          settings=transport.settings)
    assert again.outcome == "already_sent"
    assert len(transport.delivered()) == 1


def test_a_late_delivery_the_provider_did_not_show_is_recorded_with_the_content_that_went_out(
    store: Store, fjord: str, gmail_transport: Transport
) -> None:
    """A provider whose search lags: reconcile concludes "not delivered", the CSM edits, the late attempt's
    email went out after all. It records that email and its content; the edit stays in the audit log."""
    transport = gmail_transport
    assert transport.gmail is not None
    paused = pause_send(store, fjord, transport, "after")
    transport.gmail.script("messages.list", [Reply(200, body={"resultSizeEstimate": 0})])
    later = after_lease()
    [taken] = reconcile(store, mailer=transport.make(), settings=transport.settings, now=later)
    assert taken.after == "failed"
    edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"), now=later)

    paused.release()
    late = paused.running.result()

    assert late.outcome == "sent"
    message = assert_one_email_recorded(store, fjord, transport)
    assert "18:00" in message.get_content()
    assert "content_restored" in [a for _, a in audit_actions(store, fjord)]
    resend = send_response(store, response_id=fjord, mailer=transport.make(), urgent=True,
                           settings=transport.settings, now=later)
    assert resend.outcome == "already_sent"
    assert len(transport.delivered()) == 1


def test_finding_1_reconcile_with_stale_zero_during_a_live_send(
    store: Store, fjord: str, transport: Transport
) -> None:
    """The attack as reported: a slow send, `reconcile --stale-minutes 0`, the send completes, an edit, a new send."""
    paused = pause_send(store, fjord, transport, "before_send")
    assert reconcile(store, mailer=transport.make(), stale_after=timedelta(0)) == []
    paused.release()
    assert paused.running.result().outcome == "sent"
    with pytest.raises(Refused):
        edit_response(store, actor=ACCOUNT_CSM, response_id=fjord, replace=("18:00", "17:00"))
    again = send_response(store, response_id=fjord, mailer=transport.make(), urgent=True,
                          settings=transport.settings)
    assert again.outcome == "already_sent"
    assert_one_email_recorded(store, fjord, transport)

