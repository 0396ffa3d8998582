"""Build the exact RFC 5322 message of an `OutgoingEmail`, refusing header injection first.

Every header value is checked before anything is built with the one header rule
(`safe_text.header_problem`, which edits apply too): CR, LF, NUL, other control characters, Unicode
line/paragraph separators and RFC 2047 encoded-word syntax (which the header registry would decode
into a line break) are refused with `HeaderInjectionError`; Python 3.11's generator does not check
this itself. Bidi controls and zero-width characters are removed from the Subject and display names
(`safe_text.strip_invisible`): a reader cannot see them, and they can reorder what the reader sees. Addresses must be one plain ASCII addr-spec each; display names may be
any Unicode. Address headers and non-ASCII subjects are folded here, not by the stdlib refolder,
which in 3.11 can drop spaces or encode the comma between two mailboxes. Finally the wire form is
parsed back and refused unless it says exactly what was asked. Serialize with `message_bytes`.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.charset import Charset
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr

from ..errors import MailError
from ..patterns import is_reply
from ..safe_text import header_problem, strip_invisible
from .base import Address, OutgoingEmail
from ..utc import utcnow

__all__ = [
    "MAX_NAME_LENGTH",
    "HeaderInjectionError",
    "InvalidHeaderError",
    "build_message",
    "make_message_id",
    "message_bytes",
    "message_token",
    "reply_subject",
]

# dot-atom-text (RFC 5322 3.2.3) on both sides of a msg-id, as our own ids and most MTAs use.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_MSG_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})*")
MAX_NAME_LENGTH = 150
_UTF8 = Charset("utf-8")
# Pre-folded address headers keep one mailbox per line; lines may exceed 78 characters (a long
# encoded name) but stay well under RFC 5322's hard limit of 998, so nothing gets refolded.
_POLICY = policy.default.clone(max_line_length=998)
_WIRE_POLICY = _POLICY.clone(linesep="\r\n")


class InvalidHeaderError(MailError):
    """A header value that cannot be sent as is (not one address, malformed Message-ID, ...)."""

    code = "mail_invalid_header"


class HeaderInjectionError(InvalidHeaderError):
    """A header value containing CR, LF, NUL or another control/line-separator character."""

    code = "mail_header_injection"


def _check_header_text(field: str, value: str, part: str | None = None) -> None:
    problem = header_problem(value)
    if problem is not None:
        raise HeaderInjectionError("mail.header_text", field=field, part=part, problem=problem)


def _check_msg_id(field: str, value: str) -> None:
    _check_header_text(field, value)
    if not _MSG_ID.fullmatch(value):
        raise InvalidHeaderError("mail.bad_message_id", field=field, value=value)


def _check_address(field: str, address: Address) -> None:
    """Refuse anything but one plain ASCII addr-spec with a clean display name."""
    _check_header_text(field, address.email, "address")
    if address.name is not None:
        _check_header_text(field, address.name, "display name")
        if len(address.name) > MAX_NAME_LENGTH:
            raise InvalidHeaderError("mail.name_too_long", field=field, limit=MAX_NAME_LENGTH)
    if not _ADDR_SPEC.fullmatch(address.email):
        raise InvalidHeaderError("mail.bad_address", field=field, address=address.email)


def _display_name(address: Address) -> str:
    """The display name with whitespace runs collapsed, as it reads after folding."""
    return " ".join((address.name or "").split())


def _format_address(address: Address) -> str:
    """One mailbox on its own line; a non-ASCII name becomes ONE RFC 2047 encoded word.

    The stdlib parser reads a space into the gap between adjacent encoded words of a display
    name, so a name is never split across encoded words.
    """
    name = _display_name(address)
    if not name:
        return address.email
    if name.isascii():
        return formataddr((name, address.email))
    return f"{_UTF8.header_encode(name)}\n <{address.email}>"


def _set_addresses(message: EmailMessage, field: str, addresses: list[Address]) -> None:
    """Set an address header from our own folding: 3.11's refolding can merge or drop mailboxes
    (it may encode the separating comma), so the registry's folder is not used for these."""
    message.set_raw(field, ",\n ".join(_format_address(address) for address in addresses))


def _check_body(body: str) -> None:
    try:
        body.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidHeaderError("mail.body_not_text", detail=err) from err
    if "\0" in body:
        raise InvalidHeaderError("mail.body_nul")


_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def message_token(*parts: object) -> str:
    """A Message-ID left-hand side from `parts` joined by `-`; other unsafe runs also become one `-`."""
    return _TOKEN_UNSAFE.sub("-", "-".join(str(part) for part in parts))


def make_message_id(*, domain: str, token: str) -> str:
    """A Message-ID `<token@domain>`; both parts must be dot-atom text.

    Args:
        domain: Right-hand side, usually the sender's domain.
        token: Unique left-hand side, e.g. `message_token("esc", response_id)`.
    """
    message_id = f"<{token}@{domain}>"
    _check_msg_id("Message-ID", message_id)
    return message_id


def reply_subject(subject: str) -> str:
    """`subject` with one `Re: ` prefix, as mail clients thread replies."""
    return subject if is_reply(subject) else f"Re: {subject}"


def build_message(email: OutgoingEmail, *, now: datetime | None = None) -> EmailMessage:
    """The RFC 5322 message for `email`: validated headers, plain-text UTF-8 body.

    The message uses the stdlib default policy with RFC 5322's 998-character line limit, so
    serializing it never refolds the pre-folded headers; `message_bytes` gives the CRLF form.

    Args:
        email: What to send; the subject and recipients are used as given, less bidi controls and
            zero-width characters.
        now: Date header value (default: current UTC time).

    Raises:
        HeaderInjectionError: a header value contains CR, LF, NUL or another control character.
        InvalidHeaderError: an address is not one plain addr-spec, a Message-ID is malformed, or
            there is no To recipient.
    """
    if not email.to:
        raise InvalidHeaderError("mail.no_to")
    email = _without_invisibles(email)
    _check_address("From", email.sender)
    for address in email.to:
        _check_address("To", address)
    for address in email.cc:
        _check_address("Cc", address)
    _check_header_text("Subject", email.subject)
    _check_msg_id("Message-ID", email.message_id)
    if email.in_reply_to is not None:
        _check_msg_id("In-Reply-To", email.in_reply_to)
    for reference in email.references:
        _check_msg_id("References", reference)
    if email.thread_id is not None:
        _check_header_text("thread id", email.thread_id)
    _check_body(email.body)

    message = EmailMessage(policy=_POLICY)
    _set_addresses(message, "From", [email.sender])
    _set_addresses(message, "To", email.to)
    if email.cc:
        _set_addresses(message, "Cc", email.cc)
    _set_subject(message, email.subject)
    message["Date"] = format_datetime(utcnow(now))
    message["Message-ID"] = email.message_id
    if email.in_reply_to is not None:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = " ".join(email.references)
    message.set_content(email.body, subtype="plain", charset="utf-8")
    _verify(message, email)
    return message


def _without_invisibles(email: OutgoingEmail) -> OutgoingEmail:
    """`email` with bidi controls and zero-width characters removed from the Subject and display names."""

    def named(address: Address) -> Address:
        return address if address.name is None else address.model_copy(update={"name": strip_invisible(address.name)})

    return email.model_copy(update={
        "subject": strip_invisible(email.subject),
        "sender": named(email.sender),
        "to": [named(a) for a in email.to],
        "cc": [named(a) for a in email.cc],
    })


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Set Subject; non-ASCII text is pre-encoded because 3.11's refolding can drop spaces
    between adjacent encoded words."""
    if subject.isascii():
        message["Subject"] = subject
        return
    encoded = Header(subject, charset="utf-8", header_name="Subject").encode(linesep="\n")
    message.set_raw("Subject", encoded)


def _pairs(header: object) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]


def _verify(message: EmailMessage, email: OutgoingEmail) -> None:
    """Parse the wire form back and refuse it unless it says exactly what `email` says."""
    parsed = BytesParser(policy=policy.default).parsebytes(message_bytes(message))
    expected = {
        "From": [(_display_name(email.sender), email.sender.email)],
        "To": [(_display_name(a), a.email) for a in email.to],
        "Cc": [(_display_name(a), a.email) for a in email.cc],
    }
    for field, pairs in expected.items():
        if _pairs(parsed[field]) != pairs:
            raise HeaderInjectionError("mail.changed_in_encoding", field=field)
    if parsed["Subject"].split() != email.subject.split():
        raise HeaderInjectionError("mail.changed_in_encoding", field="Subject")
    ids = (parsed["Message-ID"], parsed["In-Reply-To"], (parsed["References"] or "").split())
    if ids != (email.message_id, email.in_reply_to, email.references):
        raise HeaderInjectionError("mail.ids_changed")
    expected_names = len(message.keys())
    if len(parsed.keys()) != expected_names or any(header_problem(str(v)) for v in parsed.values()):
        raise HeaderInjectionError("mail.extra_headers")


def message_bytes(message: EmailMessage) -> bytes:
    """The wire form of `message`: CRLF line endings, as RFC 5322 and SMTP expect."""
    return message.as_bytes(policy=_WIRE_POLICY)
