"""Gmail transport through the real google-api-python-client and google-auth, against a loopback
Gmail server (tests/support/gmail_server.py); the service-account token exchange runs offline too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from communicator_escalation.config import Settings
from communicator_escalation.errors import ConfigurationError, MailError
from communicator_escalation.mail.base import (
    Address,
    AmbiguousMailError,
    DraftGone,
    Mailer,
    OutgoingEmail,
    TransientMailError,
)
from communicator_escalation.mail.factory import make_mailer
from communicator_escalation.mail.gmail import GmailMailer, build_gmail_service, parse_retry_after
from communicator_escalation.mail.message import make_message_id, reply_subject
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import AcceptThenDrop, AcceptThenHang, FakeGmail, Reply, running_fake_gmail

SENDER = "yuki.sato@supplier.example"
TIMEOUT = 1.0


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    yield from running_fake_gmail()


def _service_account_file(folder: Path, token_uri: str) -> Path:
    return write_service_account(
        folder / "sa.json", token_uri=token_uri, client_email="sender@escalation-test.iam.gserviceaccount.com"
    )


@pytest.fixture
def settings(tmp_path: Path, gmail: FakeGmail) -> Settings:
    return Settings(
        home=tmp_path, mail_transport="gmail", gmail_sender=SENDER, gmail_api_endpoint=gmail.url,
        gmail_service_account_file=_service_account_file(tmp_path, gmail.token_uri),
        gmail_timeout_seconds=TIMEOUT,
    )


@pytest.fixture
def mailer(settings: Settings) -> Mailer:
    built = make_mailer(settings)
    assert isinstance(built, GmailMailer)
    return built


def _customer_email(gmail: FakeGmail) -> tuple[str, str]:
    """Seed the customer's original email; return (its Message-ID, its thread id)."""
    original = EmailMessage()
    original["From"] = "Amara Okafor <amara@lagosfreight.example>"
    original["To"] = SENDER
    original["Subject"] = "Tracking-Updates kommen nicht an"
    original["Message-ID"] = "<ticket-5521@lagosfreight.example>"
    original.set_content("Since Monday no tracking updates arrive.")
    stored = gmail.add_message(original.as_bytes())
    return "<ticket-5521@lagosfreight.example>", stored.thread_id


def _reply(gmail: FakeGmail, token: str = "resp-17") -> OutgoingEmail:
    original_id, thread_id = _customer_email(gmail)
    return OutgoingEmail(
        sender=Address(name="Yuki Satō", email=SENDER),
        to=[Address(name="Amara Okafor", email="amara@lagosfreight.example")],
        cc=[Address(name="Søren Ålund", email="soren.alund@supplier.example")],
        subject=reply_subject("Tracking-Updates kommen nicht an"),
        body="Hallo Amara,\n\nwir kümmern uns sofort darum.\n",
        message_id=make_message_id(domain="supplier.example", token=token),
        in_reply_to=original_id,
        references=[original_id],
        thread_id=thread_id,
    )


def test_threaded_reply_goes_out_once_with_the_right_headers(gmail: FakeGmail, mailer: Mailer) -> None:
    email = _reply(gmail)
    draft_id = mailer.create_draft(email)
    assert mailer.draft_status(draft_id, email.message_id) == ("draft", None)
    assert gmail.sent == []

    receipt = mailer.send_draft(draft_id)

    [sent] = gmail.sent
    assert receipt.transport == "gmail"
    assert receipt.email_id == sent.id
    assert receipt.thread_id == sent.thread_id == email.thread_id
    assert receipt.message_id == email.message_id
    parsed = sent.parsed
    assert parsed["Subject"] == "Re: Tracking-Updates kommen nicht an"
    assert parsed["In-Reply-To"] == "<ticket-5521@lagosfreight.example>"
    assert parsed["References"] == "<ticket-5521@lagosfreight.example>"
    assert parsed["Message-ID"] == email.message_id
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [("Amara Okafor", "amara@lagosfreight.example")]
    assert [(a.display_name, a.addr_spec) for a in parsed["Cc"].addresses] == [("Søren Ålund", "soren.alund@supplier.example")]
    assert [(a.display_name, a.addr_spec) for a in parsed["From"].addresses] == [("Yuki Satō", SENDER)]
    assert [m.id for m in gmail.thread(email.thread_id or "")][-1] == sent.id
    [create] = gmail.calls("drafts.create")
    assert create.body["message"]["threadId"] == email.thread_id
    assert len(gmail.calls("drafts.send")) == 1
    assert mailer.draft_status(draft_id, email.message_id) == ("sent", receipt)


def test_service_account_token_exchange_impersonates_the_sender(gmail: FakeGmail, mailer: Mailer) -> None:
    mailer.create_draft(_reply(gmail))
    [token] = gmail.token_requests
    assert token["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = token["claims"]
    assert claims["sub"] == SENDER
    assert claims["iss"] == "sender@escalation-test.iam.gserviceaccount.com"
    assert [call.path for call in gmail.calls("token")] == ["/token"]  # token_uri from the key file
    assert set(claims["scope"].split()) == {
        "https://www.googleapis.com/auth/gmail.compose", "https://www.googleapis.com/auth/gmail.readonly"}
    [create] = gmail.calls("drafts.create")
    assert create.headers["authorization"].startswith("Bearer fake-token-")


def test_server_errors_are_transient_and_each_send_is_one_request(gmail: FakeGmail, mailer: Mailer) -> None:
    draft_id = mailer.create_draft(_reply(gmail))
    gmail.script("drafts.send", [500, 503, 200])
    for status in (500, 503):
        with pytest.raises(TransientMailError) as caught:
            mailer.send_draft(draft_id)
        assert caught.value.status == status
    mailer.send_draft(draft_id)
    assert len(gmail.calls("drafts.send")) == 3
    assert len(gmail.sent) == 1


@pytest.mark.parametrize(("retry_after", "expected"), [("7", 7.0), ("0.5", 0.5), (None, None)])
def test_429_is_transient_with_retry_after(gmail: FakeGmail, mailer: Mailer, retry_after: str | None, expected: float | None) -> None:
    draft_id = mailer.create_draft(_reply(gmail))
    gmail.script("drafts.send", [Reply(429, retry_after=retry_after)])
    with pytest.raises(TransientMailError) as caught:
        mailer.send_draft(draft_id)
    assert (caught.value.status, caught.value.retry_after) == (429, expected)
    assert gmail.sent == []


def test_403_rate_limit_is_transient_other_4xx_are_not(gmail: FakeGmail, mailer: Mailer) -> None:
    draft_id = mailer.create_draft(_reply(gmail))
    rate_limited = {"error": {"code": 403, "message": "User-rate limit exceeded",
                              "errors": [{"reason": "userRateLimitExceeded", "domain": "usageLimits"}]}}
    gmail.script("drafts.send", [Reply(403, body=rate_limited), Reply(400)])
    with pytest.raises(TransientMailError, match="User-rate limit exceeded"):
        mailer.send_draft(draft_id)
    with pytest.raises(MailError) as caught:
        mailer.send_draft(draft_id)
    assert not isinstance(caught.value, (TransientMailError, AmbiguousMailError))
    assert "HTTP 400" in caught.value.message


def test_timeout_after_accept_is_ambiguous_and_reconciles_to_sent(gmail: FakeGmail, mailer: Mailer) -> None:
    email = _reply(gmail)
    draft_id = mailer.create_draft(email)
    gmail.script("drafts.send", [AcceptThenHang(TIMEOUT * 4)])

    with pytest.raises(AmbiguousMailError) as caught:
        mailer.send_draft(draft_id)
    assert caught.value.code == "mail_outcome_unknown"
    assert len(gmail.calls("drafts.send")) == 1

    status, receipt = mailer.draft_status(draft_id, email.message_id)
    [sent] = gmail.sent
    assert status == "sent"
    assert receipt is not None and (receipt.email_id, receipt.thread_id) == (sent.id, email.thread_id)
    assert gmail.calls("messages.list")[0].query["q"] == ["rfc822msgid:resp-17@supplier.example"]
    with pytest.raises(DraftGone):
        mailer.send_draft(draft_id)
    assert len(gmail.sent) == 1


def test_accept_then_drop_is_sent_once_ambiguous_and_reconciles_to_sent(gmail: FakeGmail, mailer: Mailer) -> None:
    """httplib2 would silently re-send a POST whose connection dropped; ours goes out exactly once."""
    email = _reply(gmail)
    draft_id = mailer.create_draft(email)
    gmail.script("drafts.send", [AcceptThenDrop()])

    with pytest.raises(AmbiguousMailError) as caught:
        mailer.send_draft(draft_id)
    assert not isinstance(caught.value, DraftGone)
    assert caught.value.code == "mail_outcome_unknown"
    assert len(gmail.calls("drafts.send")) == 1

    status, receipt = mailer.draft_status(draft_id, email.message_id)
    [sent] = gmail.sent
    assert status == "sent"
    assert receipt is not None and receipt.email_id == sent.id
    assert len(gmail.calls("drafts.send")) == 1


def test_unknown_draft_is_gone_and_missing(gmail: FakeGmail, mailer: Mailer) -> None:
    with pytest.raises(DraftGone):
        mailer.send_draft("r-does-not-exist")
    assert mailer.draft_status("r-does-not-exist", "<never@supplier.example>") == ("missing", None)


def test_a_thread_unknown_to_the_sender_becomes_a_new_message_with_the_reply_headers(
    gmail: FakeGmail, mailer: Mailer
) -> None:
    email = _reply(gmail).model_copy(update={"thread_id": "no-such-thread"})
    receipt = mailer.send_draft(mailer.create_draft(email))
    [sent] = gmail.sent
    assert receipt.thread_id == sent.thread_id != "no-such-thread"
    assert sent.parsed["In-Reply-To"] == "<ticket-5521@lagosfreight.example>"
    assert [c.body["message"].get("threadId") for c in gmail.calls("drafts.create")] == ["no-such-thread", None]


def test_unreachable_gmail_is_transient_before_sending(tmp_path: Path) -> None:
    with FakeGmail() as gone:
        url = gone.url
    settings = Settings(home=tmp_path, mail_transport="gmail", gmail_sender=SENDER, gmail_api_endpoint=url,
                        gmail_service_account_file=_service_account_file(tmp_path, f"{url}token"),
                        gmail_timeout_seconds=TIMEOUT)
    with pytest.raises(TransientMailError):
        make_mailer(settings).send_draft("r1")


def test_authorized_user_token_file(tmp_path: Path, gmail: FakeGmail) -> None:
    """google-auth always refreshes user tokens at Google's endpoint, so the file carries a valid
    access token and no refresh happens."""
    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps({
        "type": "authorized_user", "client_id": "cid.apps.example", "client_secret": "s3cret",
        "refresh_token": "1//refresh", "token": "ya29.user-token", "expiry": "2999-01-01T00:00:00Z",
        "scopes": ["https://www.googleapis.com/auth/gmail.compose"],
    }))
    gmail.issue_token("ya29.user-token")
    mailer = GmailMailer(build_gmail_service(Settings(
        home=tmp_path, gmail_token_file=token_file, gmail_api_endpoint=gmail.url, gmail_timeout_seconds=TIMEOUT)))
    email = _reply(gmail)
    receipt = mailer.send_draft(mailer.create_draft(email))
    assert gmail.token_requests == []
    assert {call.headers["authorization"] for call in gmail.requests} == {"Bearer ya29.user-token"}
    assert receipt.message_id == email.message_id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "needs ESCALATION_GMAIL_SERVICE_ACCOUNT_FILE"),
        ({"gmail_service_account_file": "sa.json"}, "ESCALATION_GMAIL_SENDER is required"),
        ({"gmail_service_account_file": "missing.json", "gmail_sender": SENDER}, "cannot use ESCALATION_GMAIL_SERVICE_ACCOUNT_FILE"),
        ({"gmail_token_file": "garbage.json"}, "cannot use ESCALATION_GMAIL_TOKEN_FILE"),
    ],
)
def test_gmail_without_usable_credentials_is_a_configuration_error(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    (tmp_path / "garbage.json").write_text("{not json")
    paths = {k: tmp_path / v for k, v in changes.items() if k.endswith("_file")}
    settings = Settings(home=tmp_path, mail_transport="gmail", **(changes | paths))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        make_mailer(settings)


def test_parse_retry_after() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Tue, 01 Jan 2030 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 01 Jan 2030 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_fencing_deletes_every_draft_of_the_message_and_finds_the_sent_one(gmail: FakeGmail, mailer: Mailer) -> None:
    email = _reply(gmail)
    other = mailer.create_draft(_reply(gmail, token="resp-other"))
    first, second = mailer.create_draft(email), mailer.create_draft(email)
    assert sorted(mailer.drafts_of(email.message_id)) == sorted([first, second])
    assert mailer.find_sent(email.message_id) is None

    receipt = mailer.send_draft(second)
    assert mailer.drafts_of(email.message_id) == [first]
    assert mailer.delete_draft(first) is True
    assert mailer.delete_draft(first) is False  # 404: already gone
    with pytest.raises(DraftGone):
        mailer.send_draft(first)

    assert mailer.find_sent(email.message_id) == receipt.model_copy(update={"thread_id": gmail.sent[0].thread_id})
    assert len(gmail.sent) == 1 and list(gmail.drafts) == [other]
    [listing, *_] = gmail.calls("drafts.list")
    assert listing.query["q"] == ["rfc822msgid:resp-17@supplier.example"]
