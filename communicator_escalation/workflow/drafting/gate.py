"""The send gate: review notes computed from the final content, and the refusal while a blocking one stands.

`content_notes` reads an email as it will leave (subject, body, the To contact) against the trusted
facts. Blocking: an unfilled `[confirm: ...]` placeholder, an empty body, a subject over 200
characters, a greeting that does not address the To contact, and, in the CSM's voice (outside the
customer's quoted words), an address, phone number or amount no trusted source has, or commitment
language the policy does not allow. Advisory: a clock time between 21:00 and 07:00.

`require_sendable` runs it under the send's row lock, so every door (CLI, API, agent, approvals)
refuses the same content the same way, after every edit; `refreshed_notes` puts the same notes on a
stored draft when it is loaded, so a card never shows a note the current content no longer earns.
"""

from __future__ import annotations

import re

from ...errors import SendBlocked
from ...models import ReviewNote, TrustedFacts
from ...patterns import PLACEHOLDER, is_reply
from ...rendering import render
from ...store.responses import Conn, Row, addresses
from ..policy import EmailPolicy
from .facts import directory_facts
from .grounding import find_emails, find_money, unknown_phones
from .summary import first_name
from .voices import COMMITMENT, split_voices

__all__ = ["CONTENT_CODES", "MAX_SUBJECT", "blocking", "content_notes", "final_notes", "refreshed_notes", "require_sendable"]

MAX_SUBJECT = 200
# The codes `content_notes` gives: notes about the content itself, recomputed whenever it is read.
CONTENT_CODES = frozenset({"unconfirmed_placeholder", "empty_body", "subject_too_long", "greeting_mismatch",
                           "ungrounded_fact", "commitment_language", "night_time"})
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp])\.?\s?[Mm]\b")
_LETTERS = re.compile(r"[^\W\d_]+")


def _note(kind: str, code: str, **variables: object) -> ReviewNote:
    text = " ".join(render("drafting/gate_note.j2", code=code, **variables).split())
    return ReviewNote(kind=kind, code=code, text=text)  # type: ignore[arg-type]


def _greeting_notes(body: str, *, to_name: str | None, facts: TrustedFacts) -> list[ReviewNote]:
    first_line = next((line for line in body.splitlines() if line.strip()), "")
    folded = f" {' '.join(_LETTERS.findall(first_line.casefold()))} "
    given = first_name(to_name) if to_name else None
    others = {n for name in facts.recipient_names if name != to_name and (n := first_name(name)) and n != given}
    named_other = sorted(n for n in others if f" {n.casefold()} " in folded)
    wanted = [given, *(to_name.split()[1:] if given and to_name else [])] if given else []
    if named_other or (wanted and not any(f" {w.casefold()} " in folded for w in wanted if w)):
        return [_note("blocking", "greeting_mismatch", line=first_line.strip(), person=to_name or "the recipient")]
    return []


def content_notes(*, subject: str, body: str, to_name: str | None, facts: TrustedFacts) -> list[ReviewNote]:
    """Blocking and advisory notes of the email as it would leave."""
    notes = [_note("blocking", "unconfirmed_placeholder", placeholder=p)
             for p in dict.fromkeys(PLACEHOLDER.findall(f"{subject}\n{body}"))]
    if not body.strip():
        notes.append(_note("blocking", "empty_body"))
    if len(subject) > MAX_SUBJECT:
        notes.append(_note("blocking", "subject_too_long", length=len(subject), limit=MAX_SUBJECT))
    if body.strip():
        notes += _greeting_notes(body, to_name=to_name, facts=facts)
    voice = split_voices(body)[0] + ("" if is_reply(subject) else f"\n{subject}")
    known = {e.casefold() for e in facts.emails}
    strangers = [e for e in dict.fromkeys(find_emails(voice)) if e.casefold() not in known]
    strangers += unknown_phones(voice, facts.phones)
    strangers += [m for m in dict.fromkeys(find_money(voice)) if m not in facts.amounts]
    notes += [_note("blocking", "ungrounded_fact", value=value) for value in strangers]
    allowed = {c.casefold() for c in facts.commitments}
    words = dict.fromkeys(m.group(0).lower() for m in COMMITMENT.finditer(voice))
    notes += [_note("blocking", "commitment_language", word=w) for w in words if w not in allowed]
    for hour, minute, half in _CLOCK.findall(voice):
        clock = int(hour) % 12 + (12 if half.lower() == "p" else 0)
        if not 7 <= clock < 21:
            notes.append(_note("advisory", "night_time", time=f"{hour}:{minute or '00'} {half.upper()}M"))
    return notes


def blocking(notes: list[ReviewNote]) -> list[ReviewNote]:
    """The notes that stop a send."""
    return [n for n in notes if n.kind == "blocking"]


def final_notes(conn: Conn, row: Row, *, policy: EmailPolicy, subject: str | None = None,
                body: str | None = None) -> list[ReviewNote]:
    """The gate's notes on the response's content as it stands, or with `subject` and `body` instead."""
    to = addresses(row["to_addrs"])
    contact = conn.execute(
        "SELECT name FROM contacts WHERE customer_id = %s AND lower(email) = lower(%s)",
        (row["customer_id"], to[0] if to else ""),
    ).fetchone()
    facts = directory_facts(conn, customer_id=row["customer_id"], policy=policy)
    return content_notes(subject=row["subject"] if subject is None else subject,
                         body=row["body"] if body is None else body,
                         to_name=contact["name"] if contact else None, facts=facts)


def refreshed_notes(stored: list[ReviewNote], current: list[ReviewNote]) -> list[ReviewNote]:
    """`stored` notes with the content notes replaced by `current` ones, blocking ones first (as a draft has them)."""
    kept = [n for n in stored if n.code not in CONTENT_CODES]
    unique = list({(n.kind, n.code, n.text): n for n in [*kept, *current]}.values())
    return sorted(unique, key=lambda n: n.kind != "blocking")


def require_sendable(conn: Conn, row: Row, *, policy: EmailPolicy) -> None:
    """Refuse (SendBlocked, nothing queued or sent) while the response's final content has a blocking note.

    Raises:
        SendBlocked: With the first blocking note's code (e.g. `unconfirmed_placeholder`) and all of them.
    """
    stops = blocking(final_notes(conn, row, policy=policy))
    if stops:
        notes = [n.model_dump() for n in stops]
        raise SendBlocked("delivery.send_blocked", notes=notes, response_id=row["id"], stops=notes)
