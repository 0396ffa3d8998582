"""What an email may say about the records, in either voice (see voices.py).

The issue summary (a screened clause, else None for the template's neutral wording by type), the
customer's own words to quote (who wrote them, bounded), a prior escalation of the same person, and
how the escalation was raised. Nothing here passes record text through unscreened.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ...models import Contact, EscalationContext
from ..strategy.sla import zone
from .voices import clauses, customer_words, first_clause, person_name, screen_clause

__all__ = ["first_name", "impact_quote", "issue_summary", "prior_of_recipient", "raised", "recipient_of"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})
# Words that mark a sentence describing impact; used to pick the customer's own words to quote.
_IMPACT_WORDS = (
    "fail", "error", "down", "outage", "behind", "stale", "delay", "lag", "blind", "block", "cannot", "can't",
    "unable", "broken", "lost", "missing", "slow", "time out", "timeout", "invoiced", "charged", "billed",
    "twice", "duplicate", "overcharg", "breach", "exposed", "leak", "unauthori", "missed", "slipped", "never",
)


@lru_cache(maxsize=4096)
def first_name(name: str) -> str | None:
    """The given name to greet, e.g. 'Zoë' from 'Zoë Ångström' (honorifics skipped); None for a non-name (cached: pure)."""
    screened = person_name(name)
    if screened is None:
        return None
    parts = screened.split()
    given = [p for p in parts if p.casefold().rstrip(".") not in _HONORIFICS]
    return (given or parts)[0]


def recipient_of(ctx: EscalationContext) -> tuple[Contact | None, str]:
    """Who the draft goes to and why: the reporter, else the ticket's requester, else nobody."""
    if ctx.reporter is not None:
        return ctx.reporter, "reporter"
    if ctx.ticket is not None and ctx.ticket.requester is not None:
        return ctx.ticket.requester, "requester"
    return None, "none"


def issue_summary(ctx: EscalationContext, template: str) -> tuple[list[str], str | None, list[str]]:
    """(the screened clauses of the summary, or [] for the neutral wording; the field used; the fields withheld).

    A headline (the email's subject, the signal's title) is no summary when the customer's own words
    can be quoted: the email then quotes them instead of restating a subject line. Every clause of the
    field used is kept (up to three), so a complaint of two parts is not cut to its first.
    """
    esc, ticket, mail = ctx.escalation, ctx.ticket, ctx.reply_to
    quoted = impact_quote(ctx, None) is not None
    sources: list[tuple[str, str | None, bool, bool]] = []
    if ticket is not None:
        sources.append(("ticket subject", ticket.subject, False, False))
    if template == "service":
        sources.append(("signal description", esc.description, False, False))
    if mail is not None and mail.direction == "inbound":
        sources.append(("email subject", re.sub(r"^(?:\s*\w{2,4}\s*:\s*)+", "", mail.subject or ""), False, True))
    sources += [("signal title", esc.title, True, True), ("signal description", esc.description, False, False)]
    withheld: list[str] = []
    for field, text, label, headline in sources:
        if headline and quoted:
            continue
        found = clauses(text, label=label)
        if found:
            return [_sentence_case(c) for c in found], field, withheld
        if text and text.strip() and field not in withheld:
            withheld.append(field)
    return [], None, [] if quoted else withheld  # the customer's words, quoted, say what the issue is


def _sentence_case(clause: str) -> str:
    """`clause` with its first letter capitalised (an acronym or a name stays as written)."""
    return clause[:1].upper() + clause[1:]


@lru_cache(maxsize=1024)
def _impact_sentence(text: str | None, *, vocative: str | None) -> tuple[int, str] | None:
    """The sentence of `text` with the most impact words (cached: a draft asks for the same texts three times)."""
    best: tuple[int, str] | None = None
    for sentence in _SENTENCE.split(" ".join((text or "").split())):
        if vocative and sentence.casefold().startswith(vocative.casefold() + ","):
            sentence = sentence[len(vocative) + 1 :].strip()
            sentence = sentence[:1].upper() + sentence[1:]
        folded = sentence.casefold()
        score = sum(word in folded for word in _IMPACT_WORDS)
        words = customer_words(sentence)
        if score and words == sentence and (best is None or score > best[0]):
            best = (score, sentence)
    return best


def impact_quote(ctx: EscalationContext, recipient: Contact | None) -> dict[str, Any] | None:
    """The customer's own words about the impact: the email answered first, then the ticket's description."""
    vocative = first_name(ctx.team.csm.name) if ctx.team.csm else None
    candidates = []
    mail = ctx.reply_to
    if mail is not None and mail.direction == "inbound" and mail.contact_id:
        author = next((c for c in ctx.contacts if c.id == mail.contact_id), None)
        found = _impact_sentence(mail.body, vocative=vocative)
        if found and author:
            candidates.append((found[0], 1, found[1], author, None))
    ticket = ctx.ticket
    if ticket is not None and ticket.requester is not None:
        found = _impact_sentence(ticket.description, vocative=vocative)
        if found:
            candidates.append((found[0], 0, found[1], ticket.requester, ticket.id))
    if not candidates:
        return None
    _, _, text, author, ticket_id = max(candidates, key=lambda c: (c[0], c[1]))
    return {
        "text": text,
        "by_recipient": recipient is not None and author.id == recipient.id,
        "author_first_name": first_name(author.name),
        "ticket_id": ticket_id,
    }


def prior_of_recipient(ctx: EscalationContext, recipient: Contact | None) -> dict[str, str | None] | None:
    """The latest earlier escalation the recipient raised themselves (else None: not "the first time" for them)."""
    if recipient is None:
        return None
    earlier = [
        p for p in [*ctx.prior_escalations, *ctx.other_open_escalations]
        if p.id != ctx.escalation.id and p.reported_by_contact_id == recipient.id
        and p.detected_at < ctx.escalation.detected_at
    ]
    if not earlier:
        return None
    prior = max(earlier, key=lambda p: p.detected_at)
    month = f"{prior.detected_at.astimezone(zone(ctx.customer.timezone)):%B}"
    return {"title": first_clause(prior.title, label=True), "month": month}


def raised(ctx: EscalationContext) -> dict[str, str | None]:
    """How the escalation reached us: channel, and a meeting's screened title."""
    comm = ctx.reply_to or next(
        (c for c in ctx.recent_communications if c.id == ctx.escalation.communication_id), None
    )
    if comm is not None:
        return {"channel": comm.channel, "subject": screen_clause(comm.subject)}
    return {"channel": "ticket" if ctx.ticket else "other", "subject": None}
