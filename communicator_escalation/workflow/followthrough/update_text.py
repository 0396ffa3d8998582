"""The status update (or closing email) of an escalation thread, as a Draft.

Facts only, like the first response: what changed since the last message (the ticket's events
after it was sent), where each promised milestone stands (reached, per the ticket's events; missed,
when its promised time passed: the new time is a ``[confirm: new time]`` for the CSM, never
invented; else still due, restated), what is next, and when the next update comes (the clock).
When the escalation is resolved the message is the closing email instead. Recipients, CCs and
threading come from the message it follows: same To and CC, same subject, In-Reply-To its
Message-ID, on its thread.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...models import (
    Draft,
    DraftCustomer,
    DraftEmail,
    DraftEscalation,
    DraftMilestone,
    DraftPerson,
    DraftSla,
    DraftStrategy,
    EscalationContext,
    Milestone,
    Strategy,
)
from ...rendering import render
from ...store.responses import Row, addresses
from ..drafting.compose import first_name
from ..policy import Policy
from ..strategy._phrases import moment_text
from ..strategy.pick import pick_strategy
from ..strategy.sla import zone
from .clock import next_update_at

__all__ = ["compose_update"]

_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs)\s*:", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\[confirm:[^\]]*\]")


def _events(ctx: EscalationContext, *, since: datetime, now: datetime, tz: Any) -> list[str]:
    """One sentence per ticket event after `since` (the last message), oldest first."""
    if ctx.ticket is None:
        return []
    events = [e for e in ctx.ticket.events if since < e.at <= now]
    return [" ".join(render("followthrough/event.txt.j2", kind=e.kind, when=moment_text(e.at, now=now, tz=tz, kind="at"),
                            note=(e.note or "").strip().rstrip(".")).split())
            for e in sorted(events, key=lambda e: e.at)]


def _milestones(promised: list[DraftMilestone], current: list[Milestone], *, now: datetime,
                tz: Any) -> list[dict[str, Any]]:
    """Each promised milestone with its state now: reached, missed, due or in place."""
    aligned = len(promised) == len(current)
    states = []
    for i, step in enumerate(promised):
        status = current[i].status if aligned else "planned"
        if status in ("in_place", "done"):
            states.append({"milestone": current[i].milestone, "state": "reached", "text": current[i].due_text, "due": None})
        elif step.due is None:
            states.append({"milestone": step.milestone, "state": "in_place", "text": step.due_text, "due": None})
        elif step.due < now:
            states.append({"milestone": step.milestone, "state": "missed", "due": step.due,
                           "text": moment_text(step.due, now=now, tz=tz, kind="at")})
        else:
            states.append({"milestone": step.milestone, "state": "due", "due": step.due,
                           "text": moment_text(step.due, now=now, tz=tz)})
    return states


def _recipient(ctx: EscalationContext, to: list[str]) -> dict[str, str] | None:
    contact = next((c for c in ctx.contacts if to and c.email.casefold() == to[0].casefold()), None)
    return {"name": contact.name, "first_name": first_name(contact.name)} if contact else None


def _subject(subject: str) -> str:
    return subject if _REPLY.match(subject) else f"RE: {subject}"


def _escalation(ctx: EscalationContext, first: Draft) -> DraftEscalation:
    return first.escalation.model_copy(update={"unresolved_for_hours": ctx.escalation.unresolved_for_hours})


def _note(note: str, *, view: dict[str, Any], follows: str, placeholder: str | None = None) -> str:
    text = render("followthrough/update_note.txt.j2", note=note, follows=follows, placeholder=placeholder, **view)
    return " ".join(text.split())


def compose_update(ctx: EscalationContext, *, first: Draft, last: Row, policy: Policy, now: datetime) -> Draft:
    """The update (or closing email) that follows sent message `last` of the escalation in `ctx`.

    Args:
        ctx: The escalation's context now.
        first: The thread's first response (its promised timeline, template and tone).
        last: The latest sent message of the thread (`load_response` row): recipients and threading.
        policy: SLA cadence and timeline plan.
        now: The moment of the update.
    """
    tz = zone(ctx.customer.timezone)
    closing = ctx.escalation.status == "resolved"
    strategy: Strategy = pick_strategy(ctx, policy, now=now)
    same_plan = strategy.template == first.strategy.template
    milestones = _milestones(first.timeline, strategy.timeline if same_plan else [], now=now, tz=tz)
    to, cc = addresses(last["to_addrs"]), addresses(last["cc_addrs"])
    next_update = None if closing else next_update_at(last, policy=policy, now=now)
    view = {
        "recipient": _recipient(ctx, to),
        "customer": {"name": ctx.customer.name},
        "tone": first.strategy.tone,
        "issue": ctx.ticket.subject if ctx.ticket else ctx.escalation.title,
        "ticket_id": ctx.ticket.id if ctx.ticket else None,
        "since": moment_text(last["sent_at"], now=now, tz=tz, kind="at"),
        "events": _events(ctx, since=last["sent_at"], now=now, tz=tz),
        "milestones": milestones,
        "resolved": moment_text(ctx.escalation.resolved_at, now=now, tz=tz, kind="at") if ctx.escalation.resolved_at else None,
        "next_update": next_update.due_text if next_update else None,
        "cadence_hours": strategy.sla.update_every_hours,
        "csm": ctx.team.csm.model_dump() if ctx.team.csm else None,
        "vendor": ctx.vendor.name,
    }
    body = render("emails/closing.j2" if closing else "emails/update.j2", **view)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in body.strip().splitlines()))
    kinds = ["follows", *(["closing"] if closing else []), *(["missed"] if any(m["state"] == "missed" for m in milestones) else [])]
    notes = [_note(n, view=view, follows=last["id"]) for n in kinds]
    notes += [_note("placeholder", view=view, follows=last["id"], placeholder=p) for p in dict.fromkeys(_PLACEHOLDER.findall(body))]
    csm = ctx.team.csm
    return Draft(
        kind="closing" if closing else "update",
        follows_response_id=last["id"],
        customer=DraftCustomer(id=ctx.customer.id, name=ctx.customer.name),
        escalation=_escalation(ctx, first),
        strategy=DraftStrategy(
            template=first.strategy.template,
            tone=first.strategy.tone,
            sla=DraftSla(first_response_due=strategy.sla.first_response_due,
                         update_every_hours=strategy.sla.update_every_hours, resolution_due=strategy.sla.resolution_due,
                         urgency=strategy.sla.urgency, minutes_to_first_response_due=strategy.sla.minutes_to_first_response_due),
        ),
        email=DraftEmail(to=to, cc=cc, subject=_subject(last["subject"]), body=body,
                         in_reply_to=last["message_id"], thread_id=last["thread_id"]),
        sender=DraftPerson(name=csm.name, title=csm.title, email=csm.email) if csm else None,
        action_items=view["events"],
        timeline=[DraftMilestone(milestone=m["milestone"], due=m["due"], due_text=m["text"]) for m in milestones],
        review_notes=notes,
    )
