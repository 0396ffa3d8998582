"""The action plan of a sent first response, recorded as a save play of the customer.

The play holds what the email promised: its action items (with the owner the data named, if any)
and its timeline milestones, and points at the response and the risk signal
(`source_response_id`, `risk_signal_id`), so the context of later escalations shows it among the
customer's open save plays. Its owner is the CSM who sent the response. When the closing email of
the escalation goes out, the play is `completed`.
"""

from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb

from ...models import PlanAction, PlanMilestone
from ...rendering import render
from ...store.responses import Conn, Row

__all__ = ["PLAN_DONE", "complete_plan", "record_plan"]

PLAN_OPEN = "in_progress"
PLAN_DONE = "completed"


def record_plan(conn: Conn, *, row: Row, sent_at: datetime) -> str:
    """Insert the save play of first response `row` (once: a second call changes nothing); return its id."""
    stored = row["draft"] or {}  # the Draft JSON as saved; read leniently (older rows lack the newer keys)
    texts: list[str] = stored.get("action_items") or []
    owners: list[str | None] = stored.get("action_owners") or []
    actions = [PlanAction(text=text, owner_id=owners[i] if i < len(owners) else None) for i, text in enumerate(texts)]
    milestones = [PlanMilestone.model_validate(m) for m in stored.get("timeline") or []]
    plan = {"action_items": [a.model_dump(mode="json") for a in actions],
            "milestones": [m.model_dump(mode="json") for m in milestones]}
    play_id = f"sp-{row['id']}"
    title = " ".join(render("followthrough/plan_title.j2", title=row["signal_title"]).split())
    conn.execute(
        "INSERT INTO save_plays (id, customer_id, title, status, owner_id, created_at, actions, risk_signal_id,"
        " source_response_id, plan) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (id) DO NOTHING",
        (play_id, row["customer_id"], title, PLAN_OPEN, row["sender_id"] or row["csm_id"], sent_at,
         Jsonb(texts), row["risk_signal_id"],
         row["id"], Jsonb(plan)),
    )
    return play_id


def complete_plan(conn: Conn, *, signal_id: str) -> None:
    """Mark the recorded plans of an escalation completed (its closing email was sent)."""
    conn.execute(
        "UPDATE save_plays SET status = %s WHERE risk_signal_id = %s AND source_response_id IS NOT NULL",
        (PLAN_DONE, signal_id),
    )
