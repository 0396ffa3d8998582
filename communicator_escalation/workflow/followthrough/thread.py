"""The escalation thread: its latest sent message, and the send rule of status updates.

A status update (or closing email) says what changed since the message it follows, so it may be
sent only while that message is still the latest of the thread, no other update of the escalation
is on its way, and no closing email has gone out. The send path checks this under the response
row lock, after locking the signal row (the same order as the first-response check).
"""

from __future__ import annotations

from ...errors import Refused
from ...store.responses import Conn, Row

__all__ = ["latest_sent", "references_of", "require_current_update"]


def latest_sent(conn: Conn, *, signal_id: str) -> Row | None:
    """The latest sent message (first response, update or closing email) of an escalation."""
    return conn.execute(
        "SELECT * FROM escalation_responses WHERE risk_signal_id = %s AND status = 'sent'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1",
        (signal_id,),
    ).fetchone()


def references_of(conn: Conn, row: Row) -> list[str]:
    """The References header of a response: the message it answers, then every sent message it follows, oldest first.

    A first response carries its In-Reply-To; a status update also carries the Message-IDs of the chain
    of sent messages it follows (`follows_response_id`), so mail clients keep the whole thread together.
    """
    chain = conn.execute(
        "WITH RECURSIVE chain AS ("
        " SELECT id, follows_response_id, in_reply_to, message_id, 0 AS depth FROM escalation_responses"
        " WHERE id = %s"
        " UNION ALL SELECT r.id, r.follows_response_id, r.in_reply_to, r.message_id, c.depth + 1"
        " FROM escalation_responses r JOIN chain c ON r.id = c.follows_response_id)"
        " SELECT in_reply_to, message_id, depth FROM chain ORDER BY depth DESC",
        (row["id"],),
    ).fetchall()
    oldest = chain[0]["in_reply_to"] if chain else row["in_reply_to"]
    ids = [oldest] + [c["message_id"] for c in chain if c["depth"] > 0] + [row["in_reply_to"]]
    return list(dict.fromkeys(i for i in ids if i))


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
