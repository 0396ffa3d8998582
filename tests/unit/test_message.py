"""Message building: headers round-trip exactly, injection is refused before building."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communicator_escalation.errors import MailError
from communicator_escalation.mail.base import Address, OutgoingEmail
from communicator_escalation.mail.message import (
    HeaderInjectionError,
    InvalidHeaderError,
    build_message,
    make_message_id,
    message_token,
    message_bytes,
    reply_subject,
)

NOW = datetime(2031, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
BASE_HEADERS = {"from", "to", "subject", "date", "message-id", "content-type", "content-transfer-encoding", "mime-version"}


def _email(**changes: object) -> OutgoingEmail:
    base = OutgoingEmail(
        sender=Address(name="Aiko Tanaka", email="aiko.tanaka@vendor.example"),
        to=[Address(name="Lars Øberg", email="lars@nordkunde.example")],
        cc=[Address(name="Support Lead", email="support.lead@vendor.example")],
        subject="Re: Synkronisering stoppet",
        body="Hei Lars,\n\nVi ser på saken nå.\n",
        message_id=make_message_id(domain="vendor.example", token="resp-42"),
        in_reply_to="<ticket-7781@nordkunde.example>",
        references=["<ticket-7700@nordkunde.example>", "<ticket-7781@nordkunde.example>"],
        thread_id="thread-abc",
    )
    return base.model_copy(update=changes)


def _parse(message: EmailMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(message_bytes(message))  # type: ignore[return-value]


def _pairs(header: object) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in header.addresses]  # type: ignore[attr-defined]


def test_reply_round_trips_every_header_and_the_body() -> None:
    email = _email(
        cc=[Address(name="山田 太郎", email="taro@vendor.example"), Address(email="ops@vendor.example")],
        to=[Address(name='O\'Brien, "Kit"', email="kit@customer.example")],
    )
    parsed = _parse(build_message(email, now=NOW))

    assert _pairs(parsed["From"]) == [("Aiko Tanaka", "aiko.tanaka@vendor.example")]
    assert _pairs(parsed["To"]) == [('O\'Brien, "Kit"', "kit@customer.example")]
    assert _pairs(parsed["Cc"]) == [("山田 太郎", "taro@vendor.example"), ("", "ops@vendor.example")]
    assert parsed["Subject"] == "Re: Synkronisering stoppet"
    assert parsed["Message-ID"] == "<resp-42@vendor.example>"
    assert parsed["In-Reply-To"] == "<ticket-7781@nordkunde.example>"
    assert parsed["References"].split() == ["<ticket-7700@nordkunde.example>", "<ticket-7781@nordkunde.example>"]
    assert parsed["Date"].datetime == NOW
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().replace("\r\n", "\n") == "Hei Lars,\n\nVi ser på saken nå.\n"
    assert {k.lower() for k in parsed.keys()} == BASE_HEADERS | {"cc", "in-reply-to", "references"}


def test_wire_form_has_ascii_headers_and_crlf_line_endings() -> None:
    raw = message_bytes(build_message(_email(subject="Ärger — ünïcödé " * 8), now=NOW))
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert head.isascii()
    assert b"\n" not in head.replace(b"\r\n", b"")


def test_no_cc_no_thread_headers_for_a_fresh_message() -> None:
    parsed = _parse(build_message(_email(cc=[], in_reply_to=None, references=[], subject="Neue Nachricht"), now=NOW))
    assert {k.lower() for k in parsed.keys()} == BASE_HEADERS


@pytest.mark.parametrize("bad", ["\r", "\n", "\r\n", "\0", "\x0b", "\x85", "\u2028", "\t"])
@pytest.mark.parametrize(
    "field",
    ["subject", "sender_name", "sender_email", "to_name", "to_email", "cc_name", "cc_email", "in_reply_to", "reference", "message_id", "thread_id"],
)
def test_control_characters_in_any_header_value_are_refused(field: str, bad: str) -> None:
    email = _email()
    injected = f"x{bad}Bcc: attacker@evil.example"
    changes: dict[str, object] = {
        "subject": {"subject": email.subject + injected},
        "sender_name": {"sender": Address(name=injected, email=email.sender.email)},
        "sender_email": {"sender": Address(email=f"a@b.example{bad}")},
        "to_name": {"to": [Address(name=injected, email="lars@nordkunde.example")]},
        "to_email": {"to": [Address(email=f"lars@nordkunde.example{injected}")]},
        "cc_name": {"cc": [Address(name=injected, email="x@vendor.example")]},
        "cc_email": {"cc": [Address(email=f"x@vendor.example{bad}")]},
        "in_reply_to": {"in_reply_to": f"<a@b>{bad}"},
        "reference": {"references": ["<a@b>", f"<c@d>{injected}"]},
        "message_id": {"message_id": f"<a@b>{bad}"},
        "thread_id": {"thread_id": f"t{bad}"},
    }[field]
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(_email(**changes), now=NOW)
    assert caught.value.code == "mail_header_injection"


@pytest.mark.parametrize(
    "address",
    ["a@b.example, c@d.example", "Bob <bob@b.example>", "no-at-sign", "bob@b.example (comment)", '"odd local"@b.example',
     "bob@[10.0.0.1]", "@b.example", "bob@", "bob@-bad-.example", "jürgen@b.example", "bob@b.example;c@d.example", ""],
)
def test_anything_but_one_plain_addr_spec_is_refused(address: str) -> None:
    with pytest.raises(InvalidHeaderError):
        build_message(_email(to=[Address(email=address)]), now=NOW)


def test_malformed_message_ids_and_empty_to_are_refused() -> None:
    for changes in ({"message_id": "resp-42@vendor.example"}, {"in_reply_to": "<no-at-sign>"}, {"references": ["<a b@c>"]}, {"to": []}):
        with pytest.raises(InvalidHeaderError):
            build_message(_email(**changes), now=NOW)


def test_invalid_header_errors_are_mail_errors_with_a_reason() -> None:
    with pytest.raises(MailError, match="Subject contains a forbidden character"):
        build_message(_email(subject="a\nb"), now=NOW)


def test_make_message_id() -> None:
    assert make_message_id(domain="vendor.example", token="esc-7.resp-3") == "<esc-7.resp-3@vendor.example>"
    for token, domain in (("a b", "x.example"), ("a", "x\r\nBcc: y"), ("", "x.example"), ("a", "")):
        with pytest.raises(InvalidHeaderError):
            make_message_id(domain=domain, token=token)


def test_message_token_joins_parts_and_keeps_only_safe_characters() -> None:
    assert message_token("notice", 7, "a b.c") == "notice-7-a-b-c"
    assert make_message_id(domain="x.example", token=message_token("esc", "ü")) == "<esc--@x.example>"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Export broken", "Re: Export broken"), ("Re: Export broken", "Re: Export broken"),
     ("RE:Export", "RE:Export"), ("Réponse", "Re: Réponse")],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _visible(value: str) -> str:
    """`value` as the builder sends it: bidi controls and zero-width characters removed."""
    return _INVISIBLE.sub("", value)


def _has_forbidden(value: str) -> bool:
    """What the builder must refuse (once invisibles are gone): control/line-separator characters or encoded words."""
    value = _visible(value)
    return bool(re.search(r"=\?.*\?=", value, re.DOTALL)) or any(
        unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value
    )


_local = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
_addr = st.builds(lambda local, domain: f"{local}@{domain}.example", _local, st.sampled_from(["kunde", "vendor", "mx-1"]))
_names = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(['A "B" C', "Doe, Jane", "=?utf-8?q?x?=", "<x@y>", "a\r\nBcc: e@v.example"]))
_mailbox = st.builds(Address, name=_names, email=_addr)


@settings(max_examples=300, deadline=None)
@given(
    subject=st.text(max_size=200),
    body=st.text(max_size=300),
    to=st.lists(_mailbox, min_size=1, max_size=3),
    cc=st.lists(_mailbox, max_size=3),
)
def test_property_builder_refuses_or_round_trips_exactly(subject: str, body: str, to: list[Address], cc: list[Address]) -> None:
    email = _email(subject=subject, body=body, to=to, cc=cc)
    header_texts = [subject, *(a.name or "" for a in [email.sender, *to, *cc])]
    try:
        message = build_message(email, now=NOW)
    except HeaderInjectionError:
        assert any(_has_forbidden(text) for text in header_texts)
        return
    except InvalidHeaderError:
        assert "\0" in body
        return
    assert not any(_has_forbidden(text) for text in header_texts)

    parsed = _parse(message)
    # Display names compare with whitespace runs collapsed (the builder normalizes them).
    assert _pairs(parsed["To"]) == [(" ".join(_visible(a.name or "").split()), a.email) for a in to]
    expected_cc = [(" ".join(_visible(a.name or "").split()), a.email) for a in cc]
    assert (_pairs(parsed["Cc"]) if parsed["Cc"] is not None else []) == expected_cc
    assert _pairs(parsed["From"]) == [("Aiko Tanaka", "aiko.tanaka@vendor.example")]
    assert parsed["Subject"].split() == _visible(subject).split()  # folding may move whitespace, never words
    expected_headers = BASE_HEADERS | {"in-reply-to", "references"} | ({"cc"} if cc else set())
    assert sorted(k.lower() for k in parsed.keys()) == sorted(expected_headers)
    assert parsed.get_content().replace("\r\n", "\n") == body.replace("\r\n", "\n").replace("\r", "\n") + (
        "" if body.replace("\r\n", "\n").replace("\r", "\n").endswith("\n") else "\n"
    )


def test_regression_long_unicode_names_keep_every_mailbox_and_space() -> None:
    """3.11's refolder encodes the comma between mailboxes or drops spaces; ours must not."""
    cc = [
        Address(name="00000)¡¡", email="first@vendor.example"),
        Address(name="Ünïcödé Ñame " * 8, email="second@vendor.example"),
        Address(name="0000000000000000000¡¡¡¡¡¡¡¡¡ࠀࠀࠀ", email="third@vendor.example"),
        Address(name="Plain Ascii Name That Is Quite Long Indeed, With A Comma, And More Words", email="fourth@vendor.example"),
    ]
    message = build_message(_email(cc=cc, subject="Ärger — ünïcödé " * 8), now=NOW)
    for serialized in (message_bytes(message), message.as_bytes(), message.as_string().encode()):
        parsed = BytesParser(policy=policy.default).parsebytes(serialized)
        assert _pairs(parsed["Cc"]) == [(" ".join(a.name.split()), a.email) for a in cc]  # type: ignore[union-attr]
        assert parsed["Subject"].split() == ("Ärger — ünïcödé " * 8).split()


def test_overlong_display_name_is_refused() -> None:
    with pytest.raises(InvalidHeaderError, match="longer than 150"):
        build_message(_email(to=[Address(name="x" * 151, email="a@b.example")]), now=NOW)


@pytest.mark.parametrize("field", ["subject", "name"])
def test_encoded_words_cannot_smuggle_a_line_break(field: str) -> None:
    smuggled = "=?utf-8?q?hi=0D=0ABcc:_attacker@evil.example?="
    changes = {"subject": smuggled} if field == "subject" else {"to": [Address(name=smuggled, email="a@b.example")]}
    with pytest.raises(HeaderInjectionError, match="encoded-word"):
        build_message(_email(**changes), now=NOW)


def test_bidi_and_zero_width_characters_are_removed_from_subject_and_display_names() -> None:
    """A right-to-left override in a name or subject would show the reader a different text."""
    sneaky = "Lars \u202eknil\u202c Ny\u200bgaard\u2066\u2069"
    email = _email(subject="Export \u200ddelay\u200f update", to=[Address(name=sneaky, email="lars@nordkunde.example")])
    parsed = _parse(build_message(email, now=NOW))
    assert _pairs(parsed["To"]) == [("Lars knil Nygaard", "lars@nordkunde.example")]
    assert parsed["Subject"] == "Export delay update"
    assert not _INVISIBLE.search(message_bytes(build_message(email, now=NOW)).decode("utf-8"))
