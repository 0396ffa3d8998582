"""The escalation thread: its latest sent message, and the send rule of status updates.

A status update (or closing email) says what changed since the message it follows, so it may be
sent only while that message is still the latest of the thread, no other update of the escalation
is on its way, and no closing email has gone out. The send path checks this under the response
row lock, after locking the signal row (the same order as the first-response check).
"""

from __future__ import annotations

from ...errors import Refused
from ...store.responses import Conn, Row

__all__ = ["latest_sent", "require_current_update"]


def latest_sent(conn: Conn, *, signal_id: str) -> Row | None:
    """The latest sent message (first response, update or closing email) of an escalation."""
    return conn.execute(
        "SELECT * FROM escalation_responses WHERE risk_signal_id = %s AND status = 'sent'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1",
        (signal_id,),
    ).fetchone()


def require_current_update(conn: Conn, row: Row) -> None:
    """Refuse sending update `row` when the thread moved on since it was drafted.

    Raises:
        Refused: another update is being sent, the message it follows is no longer the latest,
            or the escalation's closing email was already sent.
    """
    conn.execute("SELECT id FROM risk_signals WHERE id = %s FOR UPDATE", (row["risk_signal_id"],))
    kept = f"nothing was sent and response {row['id']} stays {row['status']}"
    busy = conn.execute(
        "SELECT id, status FROM escalation_responses WHERE risk_signal_id = %s AND id <> %s"
        " AND kind <> 'first' AND status IN ('sending', 'unknown') LIMIT 1",
        (row["risk_signal_id"], row["id"]),
    ).fetchone()
    if busy is not None:
        raise Refused(f"update {busy['id']} of escalation {row['risk_signal_id']} is {busy['status']}; {kept}")
    latest = latest_sent(conn, signal_id=row["risk_signal_id"])
    if latest is not None and latest["kind"] == "closing":
        raise Refused(f"escalation {row['risk_signal_id']} was closed by response {latest['id']}; {kept}")
    if latest is None or latest["id"] != row["follows_response_id"]:
        later = f"response {latest['id']} was sent after it" if latest else "the message it follows is not sent"
        raise Refused(
            f"update {row['id']} follows {row['follows_response_id']}, but {later}; {kept}."
            f" Draft a new update with `escalation update {latest['id'] if latest else row['follows_response_id']}`"
        )
