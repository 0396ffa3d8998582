"""Local outbox: exact bytes on disk, at most one send per draft, status from the files."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.config import Settings
from communicator_escalation.mail.base import (
    Address,
    AmbiguousMailError,
    DraftAlreadySent,
    DraftGone,
    Mailer,
    OutgoingEmail,
)
from communicator_escalation.mail.factory import make_mailer
from communicator_escalation.mail.message import InvalidHeaderError, build_message, make_message_id, message_bytes, reply_subject
from communicator_escalation.mail.outbox import OutboxMailer, message_key

NOW = datetime(2030, 6, 1, 9, 30, tzinfo=timezone.utc)


def _email(token: str = "resp-9") -> OutgoingEmail:
    return OutgoingEmail(
        sender=Address(name="Mateo Ruiz", email="mateo.ruiz@proveedor.example"),
        to=[Address(name="Ingrid Våge", email="ingrid@fjordlogistikk.example")],
        cc=[Address(name="Chen Wei 陈伟", email="chen.wei@proveedor.example")],
        subject=reply_subject("Faktura 2291 feil beløp"),
        body="Hei Ingrid,\n\nTakk for tålmodigheten.\n",
        message_id=make_message_id(domain="proveedor.example", token=token),
        in_reply_to="<inv-2291@fjordlogistikk.example>",
        references=["<inv-2291@fjordlogistikk.example>"],
    )


def test_outbox_is_a_mailer() -> None:
    assert isinstance(OutboxMailer(Path("unused")), Mailer)


def test_create_writes_exact_bytes_and_send_moves_them(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, now=NOW)
    email = _email()
    draft_id = mailer.create_draft(email)

    draft_file = tmp_path / "drafts" / f"{draft_id}.eml"
    assert draft_file.read_bytes() == message_bytes(build_message(email, now=NOW))
    assert mailer.draft_status(draft_id, email.message_id) == ("draft", None)
    assert list(tmp_path.glob("*.eml")) == []

    receipt = mailer.send_draft(draft_id)

    assert receipt.transport == "outbox"
    assert receipt.email_id == receipt.message_id == email.message_id
    sent = tmp_path / f"{message_key(email.message_id)}.eml"
    assert not draft_file.exists()
    assert sent.read_bytes() == message_bytes(build_message(email, now=NOW))
    parsed = BytesParser(policy=policy.default).parsebytes(sent.read_bytes())
    assert parsed["In-Reply-To"] == "<inv-2291@fjordlogistikk.example>"
    assert parsed["Subject"] == "Re: Faktura 2291 feil beløp"
    assert [a.display_name for a in parsed["Cc"].addresses] == ["Chen Wei 陈伟"]
    assert mailer.draft_status(draft_id, email.message_id) == ("sent", receipt)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [sent.name]
    assert mailer.drafts_of(email.message_id) == []


def test_second_send_and_recreate_are_refused_with_the_first_receipt(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    email = _email()
    draft_id = mailer.create_draft(email)
    first = mailer.send_draft(draft_id)

    with pytest.raises(DraftAlreadySent) as again:
        mailer.send_draft(draft_id)
    assert again.value.receipt == first
    with pytest.raises(DraftAlreadySent):
        mailer.create_draft(email)
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_unknown_draft_is_gone_and_missing(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    other = OutboxMailer(tmp_path / "elsewhere")
    draft_id = other.create_draft(_email())
    with pytest.raises(DraftGone):
        mailer.send_draft(draft_id)
    assert mailer.draft_status(draft_id, _email().message_id) == ("missing", None)


def test_two_drafts_of_one_message_deliver_once_and_only_the_sent_one_says_so(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    first = mailer.create_draft(_email())
    edited = mailer.create_draft(_email().model_copy(update={"body": "Oppdatert tekst.\n"}))
    assert first != edited
    assert mailer.drafts_of(_email().message_id) == sorted([first, edited])

    receipt = mailer.send_draft(edited)
    with pytest.raises(AmbiguousMailError, match="another draft"):
        mailer.send_draft(first)
    with pytest.raises(DraftAlreadySent):
        mailer.send_draft(edited)

    [sent] = tmp_path.glob("*.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(sent.read_bytes())
    assert parsed.get_content().replace("\r\n", "\n") == "Oppdatert tekst.\n"
    assert mailer.find_sent(_email().message_id) == receipt
    assert mailer.drafts_of(_email().message_id) == [first]


def test_a_deleted_draft_can_never_be_sent(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    draft_id = mailer.create_draft(_email())
    assert mailer.delete_draft(draft_id) is True
    assert mailer.delete_draft(draft_id) is False
    with pytest.raises(DraftGone):
        mailer.send_draft(draft_id)
    assert mailer.find_sent(_email().message_id) is None
    assert list(tmp_path.glob("*.eml")) == [] and mailer.drafts_of(_email().message_id) == []


def test_twenty_concurrent_sends_deliver_one_message(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    draft_id = mailer.create_draft(_email())
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        try:
            mailer.send_draft(draft_id)
            outcome = "sent"
        except DraftAlreadySent:
            outcome = "already"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already"] * 19 + ["sent"]
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_unsafe_message_writes_nothing(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    with pytest.raises(InvalidHeaderError):
        mailer.create_draft(_email().model_copy(update={"subject": "Hi\r\nBcc: someone@evil.example"}))
    assert not tmp_path.exists() or list(tmp_path.rglob("*")) == []


def test_make_mailer_defaults_to_the_outbox_under_home(tmp_path: Path) -> None:
    mailer = make_mailer(Settings(home=tmp_path))
    assert isinstance(mailer, OutboxMailer)
    assert mailer.folder == tmp_path / "outbox"
    mailer.send_draft(mailer.create_draft(_email("fresh")))
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
