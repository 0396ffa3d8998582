"""Immediate action items, built only from facts in the context (ticket events, assignee, save plays).

An owner the type of escalation needs but the data does not name becomes a placeholder such as
"[confirm: engineering owner]" (`placeholder=True`), never an invented person.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ...models import ActionItem, EscalationContext, EscalationType, SavePlay, Ticket, TicketEvent
from ._phrases import moment_text, phrase

__all__ = ["EVENT_KINDS", "build_action_items", "latest_event"]

EVENT_KINDS: tuple[str, ...] = ("engineering_escalated", "workaround_identified", "fix_deployed")
# Placeholder kind -> the team slot whose directory person the CSM may want to name there.
_DIRECTORY_HINT = {
    "needs_engineering_owner": "engineering_manager",
    "needs_billing_owner": "billing_specialist",
    "needs_security_owner": "security_officer",
}


def latest_event(ticket: Ticket | None, kind: str, *, now: datetime) -> TicketEvent | None:
    """The ticket's most recent event of `kind` that happened by `now`."""
    if ticket is None:
        return None
    events = [event for event in ticket.events if event.kind == kind and event.at <= now]
    return max(events, key=lambda event: event.at, default=None)


def _item(
    kind: str, *, source: str, owner_id: str | None = None, placeholder: bool = False, **facts: object
) -> ActionItem:
    text = phrase("action_item", kind=kind, **facts)
    return ActionItem(text=text, kind=source, owner_id=owner_id, placeholder=placeholder)


def _standing_plays(ctx: EscalationContext) -> list[SavePlay]:
    """Open save plays that are not the recorded action plan of an escalation response (those are context only)."""
    return [play for play in ctx.save_plays if play.source_response_id is None]


def _needed_owner(ctx: EscalationContext, escalation_type: EscalationType, *, now: datetime) -> list[str]:
    """Placeholder kinds for owners this type of escalation needs and the data does not name."""
    assigned = ctx.ticket is not None and ctx.ticket.assignee is not None
    if escalation_type in ("technical", "outage"):
        needed = [] if latest_event(ctx.ticket, "engineering_escalated", now=now) else ["needs_engineering_owner"]
        return needed + ([] if assigned else ["needs_support_engineer"])
    if escalation_type == "service":
        return [] if any(play.owner for play in _standing_plays(ctx)) else ["needs_service_owner"]
    if assigned:
        return []
    return ["needs_billing_owner"] if escalation_type == "billing" else ["needs_security_owner"]


def build_action_items(
    ctx: EscalationContext, *, escalation_type: EscalationType, tz: ZoneInfo, now: datetime
) -> tuple[list[ActionItem], list[str]]:
    """Action items for the email and the review notes they raise.

    Items come in order: ticket events, the assignee, open save plays, then placeholders for needed
    owners. Notes ask the CSM to fill each placeholder, naming the directory's specialist when
    there is one (a suggestion to confirm, not an assignment).
    """
    items: list[ActionItem] = []
    for kind in EVENT_KINDS:
        event = latest_event(ctx.ticket, kind, now=now)
        if event is not None:
            when = moment_text(event.at, now=now, tz=tz, kind="at")
            note = (event.note or "").strip().rstrip(".")
            missing = kind == "workaround_identified" and not note
            items.append(_item(kind, source="ticket_event", placeholder=missing, when=when, note=note))
    assignee = ctx.ticket.assignee if ctx.ticket else None
    if assignee is not None:
        items.append(
            _item(
                "assignee",
                source="assignee",
                owner_id=assignee.id,
                role_words=phrase("role_words", role=assignee.role),
                person=assignee.name,
                phone=assignee.phone,
            )
        )
    for play in _standing_plays(ctx):
        items.append(
            _item(
                "save_play",
                source="save_play",
                owner_id=play.owner.id if play.owner else None,
                placeholder=play.owner is None,
                title=play.title,
                owner=play.owner.name if play.owner else None,
                actions=play.actions,
            )
        )
    notes = []
    for kind in _needed_owner(ctx, escalation_type, now=now):
        items.append(_item(kind, source="placeholder", placeholder=True))
        specialist = getattr(ctx.team, _DIRECTORY_HINT[kind]) if kind in _DIRECTORY_HINT else None
        if specialist is not None:
            role_words = phrase("role_words", role=specialist.role)
            notes.append(phrase("review_note", note="directory_hint", person=specialist.name, role_words=role_words))
    fill_in = [phrase("review_note", note="placeholder", text=item.text) for item in items if item.placeholder]
    return items, fill_in + notes
