"""Step 3: the escalation email. The template draft always; an optional grounded LLM rewrite.

`draft_email` is pure: it reads the context, the strategy and the CC suggestions and returns a
`Draft`. The CSM's sentences come from structured facts and template phrasing; record text reaches
the email only quoted as the customer's words or as a screened one-clause summary (voices.py).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...models import (
    CcSuggestion,
    Contact,
    CustomerDeadline,
    CustomerRef,
    Draft,
    DraftEmail,
    DraftEscalation,
    DraftOtherEscalation,
    DraftPerson,
    DraftSla,
    DraftStrategy,
    EscalationContext,
    PlanMilestone,
    Strategy,
    TrustedFacts,
)
from ...patterns import REPLY_AND_FORWARD_PREFIXES
from ...rendering import render
from ..policy import Policy
from ..strategy._phrases import moment_text
from ..strategy.actions import plan_of, workaround_of
from ..strategy.sla import zone
from .deadline import deadline_answer, deadline_met, find_deadline
from .facts import trusted_facts
from .grounding import EmailText
from .notes import draft_notes
from .rewrite import RewriteOutcome, rewrite_email
from .summary import first_name, impact_quote, issue_summary, prior_of_recipient, raised, recipient_of
from .voices import screen_clause

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["compose_email", "draft_email", "first_name", "recipient_of", "short_name"]

_LEGAL_FORMS = re.compile(
    r"[\s,]+(?:inc|incorporated|llc|ltd|limited|plc|corp|corporation|co|gmbh|ag|sa|sas|bv|nv|oy|ab|pty|k\.k|s\.a|b\.v)\.?$",
    re.IGNORECASE,
)
_INVOICE = re.compile(r"\bINV-?\d+\b|\binvoice\s+(?:no\.?\s*|number\s*|#\s*)?([A-Z]*-?\d{3,})\b", re.IGNORECASE)
_SUBJECT_WORDS = 8
_BREAK_BEFORE = frozenset({"for", "of", "in", "on", "at", "with", "from", "to", "and", "or", "after", "before",
                           "during", "when", "since", "because", "causing", "due", "while", "but"})
_DANGLING = frozenset({"a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "from"})


def short_name(name: str) -> str:
    """The account name without its legal form, e.g. 'DataFlow' from 'DataFlow Inc.'."""
    return _LEGAL_FORMS.sub("", name).strip() or name


def _duration(hours: float) -> dict[str, Any] | None:
    if hours < 1:
        return None
    if hours < 36:
        return {"count": max(1, round(hours)), "unit": "hour"}
    days = math.floor(hours / 24 + 0.5)
    if days < 14:
        return {"count": days, "unit": "day"}
    return {"count": math.floor(days / 7 + 0.5), "unit": "week"}


def _invoices(ctx: EscalationContext) -> list[str]:
    """Invoice ids the customer named (ids only: the id token, never the text around it)."""
    texts = [ctx.escalation.title, ctx.escalation.description]
    if ctx.reply_to is not None:
        texts += [ctx.reply_to.subject, ctx.reply_to.body]
    found = [m.group(1) or m.group(0) for t in texts if t for m in _INVOICE.finditer(t)]
    return list(dict.fromkeys(i.upper() for i in found))


def _person(member: Any) -> dict[str, Any] | None:
    return member.model_dump() if member is not None else None


def _recovery(ctx: EscalationContext, template: str) -> list[dict[str, Any]]:
    if template != "service":
        return []
    plays = []
    for play in ctx.save_plays:
        title, steps = plan_of(play)
        if title:
            plays.append({"title": title, "steps": steps, "owner": _person(play.owner)})
    return plays


def _workaround(ctx: EscalationContext, *, tz: Any) -> dict[str, str] | None:
    """When the workaround still in use was identified (its steps are the CSM's to add: a review note has them)."""
    event = workaround_of(ctx, now=ctx.gathered_at)
    if event is None:
        return None
    return {"when": moment_text(event.at, now=ctx.gathered_at, tz=tz, kind="at")}


def _kept_words(deadline: CustomerDeadline | None) -> list[str]:
    """What a rewrite must keep word for word: the customer's deadline."""
    return [deadline.words] if deadline else []


def _view(ctx: EscalationContext, strategy: Strategy, recipient: Contact | None,
          deadline: CustomerDeadline | None) -> dict[str, Any]:
    """Everything the email templates may say, from structured facts, screened clauses and quotes."""
    tz = zone(ctx.customer.timezone)
    now = ctx.gathered_at
    esc, ticket, team = ctx.escalation, ctx.ticket, ctx.team
    latest = max(ticket.events, key=lambda e: e.at).kind if ticket and ticket.events else None
    cadence = strategy.sla.update_every_hours
    points, _, _ = issue_summary(ctx, strategy.template)
    summary = points[0] if points else None
    given = first_name(recipient.name) if recipient else None
    quote = impact_quote(ctx, recipient)
    invoices = _invoices(ctx)
    said = f"{' '.join(points)} {quote['text'] if quote else ''}"
    return {
        "vendor": ctx.vendor.name,
        "customer": {"name": ctx.customer.name, "short_name": short_name(ctx.customer.name)},
        "recipient": {"name": recipient.name, "first_name": given} if recipient else None,
        "type": strategy.template,
        "tone": strategy.tone.name,
        "executive": strategy.tone.executive_recipient,
        "severity": esc.severity,
        "response_late": strategy.sla.minutes_to_first_response_due < 0,
        "duration": _duration(esc.unresolved_for_hours),
        "repeat": prior_of_recipient(ctx, recipient),
        "raised": raised(ctx),
        "issue": {
            "summary": summary,
            "points": points,
            "ticket_id": ticket.id if ticket else None,
            "opened_on": moment_text(ticket.opened_at, now=now, tz=tz, kind="at") if ticket else None,
        },
        "quote": quote,
        "deadline": deadline.model_dump() if deadline else None,
        "actions": [a.model_dump() for a in strategy.action_items],
        "timeline": [m.model_dump() for m in strategy.timeline],
        "next_update": strategy.next_update.model_dump(),
        "cadence_hours": int(cadence) if float(cadence).is_integer() else cadence,
        "csm": _person(team.csm),
        "sponsor": _person(team.executive_sponsor),
        "security_contact": _person(team.security_officer),
        "invoices": invoices,
        "invoices_named": any(invoice in said for invoice in invoices),
        "incident": {"started": moment_text(esc.unresolved_since, now=now, tz=tz, kind="at"), "status": latest},
        "recovery": _recovery(ctx, strategy.template),
        "workaround": _workaround(ctx, tz=tz),
    }


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _issue_words(summary: str | None, template: str) -> str:
    """A complete phrase for a new thread's subject: the summary cut before a joining word, else by type."""
    if summary is None:
        return render("emails/issue_words.j2", type=template).strip()
    words = summary.split()
    if len(words) > _SUBJECT_WORDS:
        cuts = [i for i in range(2, _SUBJECT_WORDS + 1) if words[i].casefold() in _BREAK_BEFORE]
        words = words[: cuts[-1]] if cuts else words[:_SUBJECT_WORDS]
    while len(words) > 1 and words[-1].casefold() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(".,;:")


def reply_subject_of(ctx: EscalationContext) -> str | None:
    """The subject of the email answered, without its reply prefixes, when it may be echoed back."""
    mail = ctx.reply_to
    if mail is None or not mail.subject:
        return None
    original = REPLY_AND_FORWARD_PREFIXES.sub("", mail.subject).strip()
    return original if screen_clause(original, subject=True) else None


def compose_email(ctx: EscalationContext, strategy: Strategy, *, recipient: Contact | None = None,
                  deadline: CustomerDeadline | None = None) -> EmailText:
    """The template draft for `recipient` (default: the reporter): subject and body from prompts/emails/."""
    to = recipient if recipient is not None else recipient_of(ctx)[0]
    view = _view(ctx, strategy, to, deadline)
    subject = render(
        "emails/subject.j2",
        reply_subject=reply_subject_of(ctx),
        customer_short_name=view["customer"]["short_name"],
        issue_words=_issue_words(view["issue"]["summary"], strategy.template),
        raised_in=view["raised"]["subject"] if view["raised"]["channel"] in ("meeting", "call") else None,
        ticket_id=view["issue"]["ticket_id"],
    )
    return EmailText(subject=" ".join(subject.split()), body=_tidy(render(f"emails/{strategy.template}.j2", **view)))


def _draft_strategy(strategy: Strategy, minutes_left: int) -> DraftStrategy:
    urgency = "breached" if minutes_left < 0 else strategy.sla.urgency
    sla = DraftSla.of(strategy.sla, urgency=urgency, minutes_to_first_response_due=minutes_left)
    return DraftStrategy(template=strategy.template, tone=strategy.tone.name, reasons=strategy.tone.reasons, sla=sla)


def _deadline(ctx: EscalationContext, strategy: Strategy, *, now: datetime) -> CustomerDeadline | None:
    """The deadline the customer stated, with whether the timeline meets it."""
    deadline = find_deadline(ctx, now=now)
    if deadline is not None:
        deadline.met = deadline_met(deadline, strategy.timeline)
        deadline.answer = deadline_answer(deadline, strategy.timeline, strategy.next_update, now=now,  # type: ignore[assignment]
                                          tz=zone(ctx.customer.timezone))
    return deadline


def _draft_email(ctx: EscalationContext, email: EmailText, recipient: Contact | None) -> DraftEmail:
    reply_to = ctx.reply_to
    return DraftEmail(to=[recipient.email] if recipient else [], cc=[], subject=email.subject, body=email.body,
                      in_reply_to=reply_to.message_id if reply_to else None,
                      thread_id=reply_to.thread_id if reply_to else None)


def _rewrite(llm: BaseChatModel, ctx: EscalationContext, strategy: Strategy, template: EmailText, *,
             recipient: Contact | None, facts: TrustedFacts, instructions: str | None,
             deadline: CustomerDeadline | None) -> RewriteOutcome:
    """The model's rewrite of `template` for `recipient`, kept to the facts and the customer's deadline words."""
    return rewrite_email(
        llm, ctx=ctx, strategy=strategy, template=template, keep_subject=reply_subject_of(ctx) is not None,
        recipient_first_name=first_name(recipient.name) if recipient else None,
        recipient_name=recipient.name if recipient else None, facts=facts, instructions=instructions,
        required=_kept_words(deadline),
    )


def draft_email(
    ctx: EscalationContext,
    strategy: Strategy,
    ccs: list[CcSuggestion],
    *,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    now: datetime | None = None,
    policy: Policy | None = None,
    recipient: Contact | None = None,
) -> Draft:
    """Draft the escalation response (PRD Step 3).

    Args:
        ctx: Step 1's context.
        strategy: Step 2's strategy (template, tone, SLA clock, timeline, action items).
        ccs: CC suggestions, listed on the draft for the CSM to add; CC itself starts empty.
        llm: Optional chat model for one structured-output rewrite, kept only if it is grounded.
        instructions: CSM guidance for the rewrite's tone and emphasis; never changes facts or recipients.
        now: The moment the SLA state is reported for (default: when the context was gathered).
        policy: The escalation policy (allowed commitments, promise hours); default the product's.
        recipient: Another contact of the customer to address (default: the reporter, else the requester).

    Returns:
        The draft, not yet saved (`response_id` is None).
    """
    moment = now or ctx.gathered_at
    esc = ctx.escalation
    recipient, recipient_kind = (recipient, "chosen") if recipient is not None else recipient_of(ctx)
    deadline = _deadline(ctx, strategy, now=moment)
    facts = trusted_facts(ctx, (policy or Policy()).email)
    template = compose_email(ctx, strategy, recipient=recipient, deadline=deadline)
    outcome = None if llm is None else _rewrite(llm, ctx, strategy, template, recipient=recipient, facts=facts,
                                                instructions=instructions, deadline=deadline)
    email = outcome.email if outcome and outcome.email else template
    minutes_left = math.floor((strategy.sla.first_response_due - moment) / timedelta(minutes=1))
    return Draft(
        customer=CustomerRef.of(ctx.customer),
        escalation=DraftEscalation.of(esc, risk_signal_id=esc.id, escalation_type=strategy.template,
                                      reported_by=DraftPerson.of(ctx.reporter) if ctx.reporter else None),
        strategy=_draft_strategy(strategy, minutes_left),
        email=_draft_email(ctx, email, recipient),
        sender=DraftPerson.of(ctx.team.csm) if ctx.team.csm else None,
        generated_by="llm_rewrite" if outcome and outcome.email else "template",
        suggested_ccs=list(ccs),
        action_items=[a.text for a in strategy.action_items],
        action_owners=[a.owner_id for a in strategy.action_items],
        timeline=[PlanMilestone.of(m) for m in strategy.timeline],
        other_open_escalations=[DraftOtherEscalation.of(o, risk_signal_id=o.id) for o in ctx.other_open_escalations],
        customer_deadline=deadline,
        review_notes=draft_notes(
            ctx=ctx, strategy=strategy, email=email, recipient=recipient, recipient_kind=recipient_kind,
            minutes_left=minutes_left, outcome=outcome, instructions=instructions, llm_configured=llm is not None,
            facts=facts, deadline=deadline,
        ),
    )
