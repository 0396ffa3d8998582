"""Step 3: the escalation email. The template draft always; an optional grounded LLM rewrite.

`draft_email` is pure: it reads the context, the strategy and the CC suggestions and returns a
`Draft`. Every fact in the email comes from them; what they do not know becomes a
``[confirm: ...]`` placeholder listed in the review notes.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...models import (
    CcSuggestion,
    Contact,
    Draft,
    DraftCc,
    DraftCustomer,
    DraftEmail,
    DraftEscalation,
    DraftMilestone,
    DraftOtherEscalation,
    DraftPerson,
    DraftSla,
    DraftStrategy,
    EscalationContext,
    Strategy,
)
from ...rendering import render
from ..strategy._phrases import moment_text
from ..strategy.sla import zone
from .grounding import EmailText, find_money
from .rewrite import RewriteOutcome, rewrite_email

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["compose_email", "draft_email", "first_name", "recipient_of"]

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})
_LEGAL_FORMS = re.compile(
    r"[\s,]+(?:inc|incorporated|llc|ltd|limited|plc|corp|corporation|co|gmbh|ag|sa|sas|bv|nv|oy|ab|pty|k\.k|s\.a|b\.v)\.?$",
    re.IGNORECASE,
)
_INVOICE = re.compile(r"\bINV-?\d+\b|\binvoice\s+(?:no\.?\s*|number\s*|#\s*)?([A-Z]*-?\d{3,})\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PLACEHOLDER = re.compile(r"\[confirm:[^\]]*\]")
# Words that mark a sentence describing impact; used to pick the customer's own words to quote.
_IMPACT_WORDS = (
    "fail", "error", "down", "outage", "behind", "stale", "delay", "lag", "blind", "block", "cannot", "can't",
    "unable", "broken", "lost", "missing", "slow", "time out", "timeout", "invoiced", "charged", "billed",
    "twice", "duplicate", "overcharg", "breach", "exposed", "leak", "unauthori", "missed", "slipped", "never",
)
_MAX_QUOTE = 240
_ISSUE_WORDS = 6
_DANGLING = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with",
                       "invoice", "ticket"})


def first_name(name: str) -> str:
    """The given name to greet, e.g. 'Zoë' from 'Zoë Ångström' (honorifics skipped)."""
    parts = name.split()
    given = [p for p in parts if p.casefold().rstrip(".") not in _HONORIFICS]
    return (given or parts or [name])[0]


def recipient_of(ctx: EscalationContext) -> tuple[Contact | None, str]:
    """Who the draft goes to and why: the reporter, else the ticket's requester, else nobody."""
    if ctx.reporter is not None:
        return ctx.reporter, "reporter"
    if ctx.ticket is not None and ctx.ticket.requester is not None:
        return ctx.ticket.requester, "requester"
    return None, "none"


def _after_colon(text: str) -> str:
    return text.rsplit(":", 1)[-1].strip() or text.strip()


def _issue_words(ctx: EscalationContext) -> str:
    base = ctx.ticket.subject if ctx.ticket else _after_colon(ctx.escalation.title)
    words = re.split(r"[,;(]| - ", base)[0].split()[:_ISSUE_WORDS]
    while len(words) > 1 and words[-1].casefold() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(".")


def _short_name(name: str) -> str:
    return _LEGAL_FORMS.sub("", name).strip() or name


def _summary(ctx: EscalationContext, template: str) -> str:
    esc = ctx.escalation
    if template == "service" and esc.description:
        text = esc.description
    elif ctx.ticket is not None:
        text = ctx.ticket.subject
    else:
        text = _after_colon(esc.title)
    return text.strip().rstrip(".")


def _duration(hours: float) -> dict[str, Any] | None:
    if hours < 1:
        return None
    if hours < 36:
        return {"count": max(1, round(hours)), "unit": "hour"}
    days = math.floor(hours / 24 + 0.5)
    if days < 14:
        return {"count": days, "unit": "day"}
    return {"count": math.floor(days / 7 + 0.5), "unit": "week"}


def _impact_sentence(text: str | None, *, strip_vocative: str | None) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for sentence in _SENTENCE.split(" ".join((text or "").split())):
        if strip_vocative and sentence.casefold().startswith(strip_vocative.casefold() + ","):
            sentence = sentence[len(strip_vocative) + 1 :].strip()
            sentence = sentence[:1].upper() + sentence[1:]
        score = sum(word in sentence.casefold() for word in _IMPACT_WORDS)
        if score and len(sentence) <= _MAX_QUOTE and (best is None or score > best[0]):
            best = (score, sentence)
    return best


def _quote(ctx: EscalationContext, recipient: Contact | None) -> dict[str, Any] | None:
    """The customer's own words about the impact: the reporter's email first, then the ticket."""
    csm_first = first_name(ctx.team.csm.name) if ctx.team.csm else None
    candidates = []
    mail = ctx.reply_to
    if mail is not None and mail.direction == "inbound" and mail.contact_id:
        author = next((c for c in ctx.contacts if c.id == mail.contact_id), None)
        found = _impact_sentence(mail.body, strip_vocative=csm_first)
        if found and author:
            candidates.append((found[0], 1, found[1], author, None))
    ticket = ctx.ticket
    if ticket is not None and ticket.requester is not None:
        found = _impact_sentence(ticket.description, strip_vocative=csm_first)
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


def _repeat(ctx: EscalationContext, strategy: Strategy) -> dict[str, str] | None:
    if not strategy.tone.repeat_escalation or not ctx.prior_escalations:
        return None
    prior = max(ctx.prior_escalations, key=lambda p: p.detected_at)
    return {"title": prior.title, "month": f"{prior.detected_at.astimezone(zone(ctx.customer.timezone)):%B}"}


def _raised(ctx: EscalationContext) -> dict[str, str | None]:
    comm = ctx.reply_to or next(
        (c for c in ctx.recent_communications if c.id == ctx.escalation.communication_id), None
    )
    if comm is not None:
        return {"channel": comm.channel, "subject": comm.subject}
    return {"channel": "ticket" if ctx.ticket else "other", "subject": None}


def _texts(ctx: EscalationContext) -> list[str]:
    """The escalation's own texts, where invoice numbers and amounts are looked up."""
    esc, ticket, mail = ctx.escalation, ctx.ticket, ctx.reply_to
    texts = [esc.title, esc.description]
    if ticket is not None:
        texts += [ticket.subject, ticket.description, *(e.note for e in ticket.events)]
    if mail is not None:
        texts += [mail.subject, mail.body]
    return [t for t in texts if t]


def _invoices(texts: list[str]) -> list[str]:
    found = [m.group(1) or m.group(0) for t in texts for m in _INVOICE.finditer(t)]
    return list(dict.fromkeys(i.upper() for i in found))


def _amounts(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(a for t in texts for a in find_money(t)))


def _person(member: Any) -> dict[str, Any] | None:
    return member.model_dump() if member is not None else None


def _view(ctx: EscalationContext, strategy: Strategy, recipient: Contact | None) -> dict[str, Any]:
    """Everything the email templates may say, computed from the context and the strategy."""
    tz = zone(ctx.customer.timezone)
    now = ctx.gathered_at
    esc, ticket, team = ctx.escalation, ctx.ticket, ctx.team
    texts = _texts(ctx)
    latest = max(ticket.events, key=lambda e: e.at).kind if ticket and ticket.events else None
    cadence = strategy.sla.update_every_hours
    return {
        "vendor": ctx.vendor.name,
        "customer": {"name": ctx.customer.name, "short_name": _short_name(ctx.customer.name)},
        "recipient": {"name": recipient.name, "first_name": first_name(recipient.name)} if recipient else None,
        "type": strategy.template,
        "tone": strategy.tone.name,
        "executive": strategy.tone.executive_recipient,
        "severity": esc.severity,
        "response_late": strategy.sla.minutes_to_first_response_due < 0,
        "duration": _duration(esc.unresolved_for_hours),
        "repeat_escalation": strategy.tone.repeat_escalation,
        "repeat": _repeat(ctx, strategy),
        "raised": _raised(ctx),
        "issue": {
            "summary": _summary(ctx, strategy.template),
            "ticket_id": ticket.id if ticket else None,
            "opened_on": moment_text(ticket.opened_at, now=now, tz=tz, kind="at") if ticket else None,
        },
        "quote": _quote(ctx, recipient),
        "actions": [a.model_dump() for a in strategy.action_items],
        "timeline": [m.model_dump() for m in strategy.timeline],
        "next_update": strategy.next_update.due_text,
        "cadence_hours": int(cadence) if float(cadence).is_integer() else cadence,
        "csm": _person(team.csm),
        "sponsor": _person(team.executive_sponsor),
        "security_contact": _person(team.security_officer),
        "invoices": _invoices(texts),
        "amounts": _amounts(texts),
        "incident": {"started": moment_text(esc.unresolved_since, now=now, tz=tz, kind="at"), "status": latest},
        "recovery": [p.model_dump() for p in ctx.save_plays],
    }


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def compose_email(ctx: EscalationContext, strategy: Strategy) -> EmailText:
    """The template draft: subject and body rendered from prompts/emails/ for the strategy's template."""
    recipient, _ = recipient_of(ctx)
    view = _view(ctx, strategy, recipient)
    reply = ctx.reply_to.subject if ctx.reply_to is not None and ctx.reply_to.subject else None
    subject = render(
        "emails/subject.j2",
        reply_subject=_REPLY_PREFIX.sub("", reply).strip() if reply else None,
        customer_short_name=view["customer"]["short_name"],
        issue_words=_issue_words(ctx),
        executive=strategy.tone.executive_recipient or ctx.escalation.severity == "critical",
    )
    return EmailText(subject=" ".join(subject.split()), body=_tidy(render(f"emails/{strategy.template}.j2", **view)))


def _review_notes(
    *, ctx: EscalationContext, strategy: Strategy, body: str, recipient: Contact | None, recipient_kind: str,
    minutes_left: int, outcome: RewriteOutcome | None, instructions: str | None, llm_configured: bool,
) -> list[str]:
    notes = list(strategy.review_notes)
    already = " ".join(notes)
    placeholders = [p for p in dict.fromkeys(_PLACEHOLDER.findall(body)) if p not in already]
    rendered = render(
        "drafting/review_notes.j2",
        customer=ctx.customer.name,
        recipient=recipient.model_dump() if recipient else None,
        recipient_kind=recipient_kind,
        contacts=[c.model_dump() for c in ctx.contacts],
        placeholders=placeholders,
        others=[o.model_dump() for o in ctx.other_open_escalations],
        urgency=strategy.sla.urgency,
        early=max(minutes_left, 0),
        late=max(-minutes_left, 0),
        sla_noted=any(note.startswith("SLA:") for note in notes),
        llm_configured=llm_configured,
        rewrite_error=outcome.error if outcome else None,
        rewrite_problems=outcome.problems if outcome else [],
        rewrite_accepted=bool(outcome and outcome.email),
        instructions=instructions,
    )
    notes += [line.strip() for line in rendered.splitlines() if line.strip()]
    return list(dict.fromkeys(notes))


def draft_email(
    ctx: EscalationContext,
    strategy: Strategy,
    ccs: list[CcSuggestion],
    *,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    now: datetime | None = None,
) -> Draft:
    """Draft the escalation response (PRD Step 3).

    Args:
        ctx: Step 1's context.
        strategy: Step 2's strategy (template, tone, SLA clock, timeline, action items).
        ccs: CC suggestions, listed on the draft for the CSM to add; CC itself starts empty.
        llm: Optional chat model for one structured-output rewrite, kept only if it is grounded.
        instructions: CSM guidance for the rewrite's tone and emphasis; never changes facts or recipients.
        now: The moment the SLA state is reported for (default: when the context was gathered).

    Returns:
        The draft, not yet saved (`response_id` is None).
    """
    moment = now or ctx.gathered_at
    esc = ctx.escalation
    recipient, recipient_kind = recipient_of(ctx)
    template = compose_email(ctx, strategy)
    outcome = None
    if llm is not None:
        outcome = rewrite_email(
            llm, ctx=ctx, strategy=strategy, template=template,
            keep_subject=ctx.reply_to is not None and bool(ctx.reply_to.subject),
            recipient_first_name=first_name(recipient.name) if recipient else None,
            recipient_name=recipient.name if recipient else None,
            instructions=instructions,
        )
    email = outcome.email if outcome and outcome.email else template
    minutes_left = math.floor((strategy.sla.first_response_due - moment) / timedelta(minutes=1))
    reporter = ctx.reporter
    csm = ctx.team.csm
    return Draft(
        customer=DraftCustomer(id=ctx.customer.id, name=ctx.customer.name),
        escalation=DraftEscalation(
            risk_signal_id=esc.id,
            signal_type=esc.signal_type,
            type=strategy.template,
            severity=esc.severity,
            source=esc.source,
            title=esc.title,
            reported_by=DraftPerson(name=reporter.name, title=reporter.title, email=reporter.email) if reporter else None,
            detected_at=esc.detected_at,
            unresolved_for_hours=esc.unresolved_for_hours,
        ),
        strategy=DraftStrategy(
            template=strategy.template,
            tone=strategy.tone.name,
            reasons=strategy.tone.reasons,
            sla=DraftSla(
                first_response_due=strategy.sla.first_response_due,
                update_every_hours=strategy.sla.update_every_hours,
                resolution_due=strategy.sla.resolution_due,
                urgency="breached" if minutes_left < 0 else strategy.sla.urgency,
                minutes_to_first_response_due=minutes_left,
            ),
        ),
        email=DraftEmail(
            to=[recipient.email] if recipient else [],
            cc=[],
            subject=email.subject,
            body=email.body,
            in_reply_to=ctx.reply_to.message_id if ctx.reply_to else None,
            thread_id=ctx.reply_to.thread_id if ctx.reply_to else None,
        ),
        sender=DraftPerson(name=csm.name, title=csm.title, email=csm.email) if csm else None,
        generated_by="llm_rewrite" if outcome and outcome.email else "template",
        suggested_ccs=[
            DraftCc(name=c.name, email=c.email, role=c.role, reason=c.reason, staff_id=c.staff_id, label=c.label)
            for c in ccs
        ],
        action_items=[a.text for a in strategy.action_items],
        action_owners=[a.owner_id for a in strategy.action_items],
        timeline=[DraftMilestone(milestone=m.milestone, due=m.due, due_text=m.due_text) for m in strategy.timeline],
        other_open_escalations=[
            DraftOtherEscalation(
                risk_signal_id=o.id, signal_type=o.signal_type, type=o.escalation_type, severity=o.severity,
                title=o.title, detected_at=o.detected_at,
            )
            for o in ctx.other_open_escalations
        ],
        review_notes=_review_notes(
            ctx=ctx, strategy=strategy, body=email.body, recipient=recipient, recipient_kind=recipient_kind,
            minutes_left=minutes_left, outcome=outcome, instructions=instructions, llm_configured=llm is not None,
        ),
    )
