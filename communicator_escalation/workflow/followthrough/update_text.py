"""The status update (or closing email) of an escalation thread, as a Draft.

Facts only, like the first response, and under the same trust rules: what changed since the last
message (the ticket's events after it was sent, said by kind and time: event notes are internal and
never quoted), where each promised milestone stands (reached, per the ticket's events; missed, when
its promised time passed: the new time is a ``[confirm: ...]`` the send gate holds until the CSM fills
it, never invented; else still due, restated by the promise rules: relatively when near or outside the
customer's promise hours), what is next, and when the next update comes (the clock). The issue is
named by a screened one-clause summary, else neutral wording by type. When the escalation is resolved
the message is the closing email instead. Recipients, CCs and threading come from the message it
follows: same To and CC, same subject, In-Reply-To its Message-ID, on the thread it went out on. The
draft carries the send gate's notes on its content, like a first response.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ...models import (
    CustomerRef,
    Draft,
    DraftEmail,
    DraftPerson,
    DraftSla,
    DraftStrategy,
    EscalationContext,
    Milestone,
    PlanMilestone,
    ReviewNote,
    Strategy,
)
from ...patterns import is_reply
from ...rendering import render
from ...store.responses import Row, addresses
from ..drafting.compose import short_name
from ..drafting.facts import trusted_facts
from ..drafting.gate import content_notes
from ..drafting.summary import first_name, issue_summary
from ..policy import Policy
from ..strategy._phrases import moment_text
from ..strategy.pick import pick_strategy
from ..strategy.sla import business_calendar, zone
from ..strategy.timeline import restated_due_text
from .clock import next_update_at

__all__ = ["compose_update"]

_NOTE_CODES = {"follows": "update_follows", "closing": "closing_email", "missed": "milestone_missed"}


def _events(ctx: EscalationContext, *, since: datetime, now: datetime, tz: ZoneInfo) -> list[str]:
    """One sentence per ticket event after `since` (the last message), oldest first: kind and time only."""
    if ctx.ticket is None:
        return []
    events = [e for e in ctx.ticket.events if since < e.at <= now and e.kind != "opened"]
    return [" ".join(render("followthrough/event.txt.j2", kind=e.kind,
                            when=moment_text(e.at, now=now, tz=tz, kind="at")).split())
            for e in sorted(events, key=lambda e: e.at)]


def _milestones(promised: list[PlanMilestone], current: list[Milestone], *, now: datetime, tz: ZoneInfo,
                restate: Any) -> list[dict[str, Any]]:
    """Each promised milestone with its state now: reached, missed or due (found again by its policy key)."""
    by_key = {m.key: m for m in current if m.key}
    fixed = by_key.get("permanent_fix")
    states = []
    for step in promised:
        found = by_key.get(step.key) if step.key else None
        if found is not None and found.status != "planned":
            states.append({"milestone": found.milestone, "state": "reached", "text": found.due_text, "due": None})
        elif step.key == "interim_mitigation" and fixed is not None and fixed.status == "done":
            continue  # the deployed fix supersedes the interim step; its own line says so
        elif step.due is not None and step.due < now:
            states.append({"milestone": step.milestone, "state": "missed", "due": step.due,
                           "text": moment_text(step.due, now=now, tz=tz, kind="at")})
        else:
            text = restate(step.due) if step.due is not None else moment_text(None, now=now, tz=tz)
            states.append({"milestone": step.milestone, "state": "due", "due": step.due, "text": text})
    return states


def _recipient(ctx: EscalationContext, to: list[str]) -> dict[str, str | None] | None:
    contact = next((c for c in ctx.contacts if to and c.email.casefold() == to[0].casefold()), None)
    return {"name": contact.name, "first_name": first_name(contact.name)} if contact else None


def _subject(subject: str) -> str:
    return subject if is_reply(subject) else f"RE: {subject}"


def _note(code: str, **variables: Any) -> ReviewNote:
    text = " ".join(render("followthrough/update_note.txt.j2", note=code, **variables).split())
    return ReviewNote(kind="advisory", code=_NOTE_CODES[code], text=text)


def _view(ctx: EscalationContext, *, first: Draft, last: Row, strategy: Strategy, policy: Policy,
          now: datetime) -> dict[str, Any]:
    """Everything the update and closing templates may say, from structured facts and screened clauses."""
    tz = zone(ctx.customer.timezone)
    calendar = business_calendar(timezone=ctx.customer.timezone, country=ctx.customer.country, policy=policy)
    closing = ctx.escalation.status == "resolved"
    current = strategy.timeline if strategy.template == first.strategy.template else []
    next_update = None if closing else next_update_at(last, policy=policy, now=now)
    summary, _, _ = issue_summary(ctx, first.strategy.template)
    return {
        "recipient": _recipient(ctx, addresses(last["to_addrs"])),
        "customer": {"name": ctx.customer.name, "short_name": short_name(ctx.customer.name)},
        "tone": first.strategy.tone,
        "issue": summary,
        "issue_words": render("emails/issue_words.j2", type=first.strategy.template).strip(),
        "ticket_id": ctx.ticket.id if ctx.ticket else None,
        "since": moment_text(last["sent_at"], now=now, tz=tz, kind="at"),
        "events": _events(ctx, since=last["sent_at"], now=now, tz=tz),
        "milestones": _milestones(first.timeline, current, now=now, tz=tz, restate=lambda due: restated_due_text(
            due, now=now, calendar=calendar, policy=policy, tz=tz)),
        "resolved": moment_text(ctx.escalation.resolved_at, now=now, tz=tz, kind="at") if ctx.escalation.resolved_at else None,
        "closing": closing,
        "next_update": next_update.due_text if next_update else None,
        "csm": ctx.team.csm.model_dump() if ctx.team.csm else None,
        "vendor": ctx.vendor.name,
    }


def compose_update(ctx: EscalationContext, *, first: Draft, last: Row, policy: Policy, now: datetime) -> Draft:
    """The update (or closing email) that follows sent message `last` of the escalation in `ctx`.

    Args:
        ctx: The escalation's context now.
        first: The thread's first response (its promised timeline, template and tone).
        last: The latest sent message of the thread (`load_response` row): recipients and threading.
        policy: SLA cadence, timeline plan and the email policy (promise hours).
        now: The moment of the update.
    """
    strategy = pick_strategy(ctx, policy, now=now)
    view = _view(ctx, first=first, last=last, strategy=strategy, policy=policy, now=now)
    body = render("emails/closing.j2" if view["closing"] else "emails/update.j2", **view)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in body.strip().splitlines()))
    subject = _subject(last["subject"])
    to, cc = addresses(last["to_addrs"]), addresses(last["cc_addrs"])
    missed = any(m["state"] == "missed" for m in view["milestones"])
    notes = [_note(code, follows=last["id"], **view)
             for code in ["follows", *(["closing"] if view["closing"] else []), *(["missed"] if missed else [])]]
    notes += content_notes(subject=subject, body=body, to_name=view["recipient"]["name"] if view["recipient"] else None,
                           facts=trusted_facts(ctx, policy.email))
    csm = ctx.team.csm
    return Draft(
        kind="closing" if view["closing"] else "update",
        follows_response_id=last["id"],
        customer=CustomerRef.of(ctx.customer),
        escalation=first.escalation.model_copy(update={"unresolved_for_hours": ctx.escalation.unresolved_for_hours}),
        strategy=DraftStrategy(
            template=first.strategy.template, tone=first.strategy.tone,
            sla=DraftSla.of(strategy.sla),
        ),
        email=DraftEmail(to=to, cc=cc, subject=subject, body=body, in_reply_to=last["message_id"],
                         thread_id=last["sent_thread_id"] or last["thread_id"]),
        sender=DraftPerson.of(csm) if csm else None,
        action_items=view["events"],
        timeline=[PlanMilestone(milestone=m["milestone"], due=m["due"], due_text=m["text"]) for m in view["milestones"]],
        review_notes=sorted(notes, key=lambda n: n.kind != "blocking"),
    )
