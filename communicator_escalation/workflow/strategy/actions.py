"""Immediate action items, built only from structured facts (ticket event kinds and times, the assignee,
the directory, save plays of a service escalation); ticket event notes are internal and never used.

An owner the type of escalation needs but the data does not name is not invented: where the policy
lets the CSM promise it at this severity (`EmailPolicy.promised_actions`), the email says what the CSM
does about it ("Having our billing team review the charges") with the directory's person for that
role as owner, or a `[confirm: ...]` placeholder (blocking) when the directory has nobody; where it
does not, the email promises nothing and an advisory note tells the CSM.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ...models import ActionItem, EscalationContext, EscalationType, ReviewNote, SavePlay, Ticket, TicketEvent
from ..drafting.voices import customer_words, screen_clause
from ..policy import EmailPolicy
from ._phrases import moment_text, phrase, review_note

__all__ = ["EVENT_KINDS", "build_action_items", "latest_event", "plan_of", "workaround_of"]

EVENT_KINDS: tuple[str, ...] = ("engineering_escalated", "workaround_identified", "fix_deployed")
# Missing-owner kind -> the team slot whose directory person the CSM may want to name there.
_DIRECTORY_HINT = {
    "needs_engineering_owner": "engineering_manager",
    "needs_support_engineer": "support_lead",
    "needs_billing_owner": "billing_specialist",
    "needs_security_owner": "security_officer",
}


def latest_event(ticket: Ticket | None, kind: str, *, now: datetime) -> TicketEvent | None:
    """The ticket's most recent event of `kind` that happened by `now`."""
    if ticket is None:
        return None
    events = [event for event in ticket.events if event.kind == kind and event.at <= now]
    return max(events, key=lambda event: event.at, default=None)


def _item(kind: str, *, source: str, owner_id: str | None = None, **facts: object) -> ActionItem:
    return ActionItem(text=phrase("action_item", kind=kind, **facts), kind=source, owner_id=owner_id)


def plan_of(play: SavePlay) -> tuple[str | None, list[str]]:
    """A save play's title and steps that pass the screen for the CSM's voice (our own plan, so imperatives pass)."""
    steps = [step for action in play.actions if (step := screen_clause(action, imperatives=True))]
    return screen_clause(play.title, imperatives=True), steps


def _standing_plays(ctx: EscalationContext) -> list[SavePlay]:
    """Open save plays that are not the recorded action plan of an escalation response (those are context only)."""
    return [play for play in ctx.save_plays if play.source_response_id is None]


def workaround_of(ctx: EscalationContext, *, now: datetime) -> TicketEvent | None:
    """The ticket's `workaround_identified` event while the workaround is still in use (a deployed fix ends it)."""
    found = latest_event(ctx.ticket, "workaround_identified", now=now)
    if found is None or latest_event(ctx.ticket, "fix_deployed", now=now) is not None:
        return None
    return found


def _needed_owner(ctx: EscalationContext, escalation_type: EscalationType, *, now: datetime) -> list[str]:
    """Kinds of owner this type of escalation needs and the data does not name."""
    assigned = ctx.ticket is not None and ctx.ticket.assignee is not None
    if escalation_type in ("technical", "outage"):
        needed = [] if latest_event(ctx.ticket, "engineering_escalated", now=now) else ["needs_engineering_owner"]
        return needed + ([] if assigned else ["needs_support_engineer"])
    if escalation_type == "service":
        return [] if any(play.owner for play in _standing_plays(ctx)) else ["needs_service_owner"]
    if assigned:
        return []
    return ["needs_billing_owner"] if escalation_type == "billing" else ["needs_security_owner"]


def _event_items(ctx: EscalationContext, *, tz: ZoneInfo, now: datetime) -> list[ActionItem]:
    """What the ticket's events say is under way, by kind and time (a found workaround is in the timeline)."""
    items = []
    for kind in EVENT_KINDS:
        event = latest_event(ctx.ticket, kind, now=now)
        if event is None or kind == "workaround_identified":
            continue
        items.append(_item(kind, source="ticket_event", when=moment_text(event.at, now=now, tz=tz, kind="at")))
    return items


def _own_action(ctx: EscalationContext, kind: str, *, policy: EmailPolicy) -> tuple[ActionItem | None, ReviewNote | None]:
    """What the CSM does about an owner the data does not name: promised only where the policy allows it at
    this severity, with its owner from the directory (by role) or a `[confirm: ...]` placeholder for one."""
    slot = _DIRECTORY_HINT.get(kind)
    specialist = getattr(ctx.team, slot) if slot else None
    role_words = phrase("role_words", role=slot) if slot else None
    action = kind.removeprefix("needs_")
    if ctx.escalation.severity not in policy.promised_actions.get(action, []):  # type: ignore[call-overload]
        return None, review_note("not_promised", action=phrase("action_item", kind=kind),
                                 severity=ctx.escalation.severity, person=specialist.name if specialist else None,
                                 role_words=role_words)
    owner = None
    if slot is not None:
        owner = f"{specialist.name}, our {role_words}" if specialist else f"[confirm: {role_words} who owns this]"
    text = phrase("action_item", kind=kind, owner=owner)
    return ActionItem(text=text, kind="own_action", owner_id=specialist.id if specialist else None, owner=owner,
                      placeholder=specialist is None and slot is not None), None


def build_action_items(
    ctx: EscalationContext, *, escalation_type: EscalationType, tz: ZoneInfo, now: datetime,
    policy: EmailPolicy | None = None,
) -> tuple[list[ActionItem], list[ReviewNote]]:
    """Action items for the email and the advisory review notes they raise.

    Items come in order: ticket events, the assignee, the save plays of a service escalation (one
    escalation per draft: another escalation's plan is not this one's), then what the CSM does about
    an owner nobody is named for, where the policy lets the CSM promise it at this severity (else only
    a note says so), with the directory's specialist for it named as owner, or a placeholder for one.
    A workaround's steps, written on its ticket event for colleagues, reach the CSM as a note only.
    """
    policy = policy or EmailPolicy()
    items = _event_items(ctx, tz=tz, now=now)
    notes: list[ReviewNote] = []
    assignee = ctx.ticket.assignee if ctx.ticket else None
    if assignee is not None:
        items.append(_item("assignee", source="assignee", owner_id=assignee.id,
                           role_words=phrase("role_words", role=assignee.role), person=assignee.name,
                           phone=assignee.phone))
    for play in _standing_plays(ctx) if escalation_type == "service" else []:
        title, steps = plan_of(play)
        if title is None:
            notes.append(review_note("plan_withheld", title=play.title))
            continue
        items.append(_item("save_play", source="save_play", owner_id=play.owner.id if play.owner else None,
                           title=title, owner=play.owner.name if play.owner else None, actions=steps))
    workaround = workaround_of(ctx, now=now)
    steps = customer_words(workaround.note) if workaround else None
    if steps:
        notes.append(review_note("workaround_steps", steps=steps))
    for kind in _needed_owner(ctx, escalation_type, now=now):
        item, note = _own_action(ctx, kind, policy=policy)
        items += [item] if item is not None else []
        notes += [note] if note is not None else []
    return items, notes
