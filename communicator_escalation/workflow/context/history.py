"""How the customer's earlier escalations were answered and how they ended (for the strategy).

One query over the customer's other escalations of the last 12 months with their sent messages
(the skill's and a world file's past ones, the `sent_responses` view) and the first response's
recorded outcome: the tone and CCs used, when the executive sponsor first joined the thread (was
on CC), when it was resolved, and whether it de-escalated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from ...models import ESCALATION_SIGNAL_TYPES, PastEscalation
from ...store.responses import addresses

__all__ = ["fetch_history"]

Conn = psycopg.Connection[dict[str, Any]]

_HISTORY = """
SELECT s.id, s.title, s.severity, s.detected_at, s.status, s.resolved_at, s.reported_by_contact_id,
       first.tone, first.template, first.sent_at AS answered_at, o.de_escalated, o.reply_tone,
       (SELECT json_agg(json_build_object('sent_at', m.sent_at, 'cc', m.cc_addrs) ORDER BY m.sent_at)
          FROM sent_responses m WHERE m.risk_signal_id = s.id) AS messages
  FROM risk_signals s
  LEFT JOIN LATERAL (SELECT v.id, v.tone, v.template, v.sent_at FROM sent_responses v
                      WHERE v.risk_signal_id = s.id AND v.kind = 'first' ORDER BY v.sent_at, v.id LIMIT 1) first ON true
  LEFT JOIN response_outcomes o ON o.response_id = first.id
 WHERE s.customer_id = %(customer)s AND s.id <> %(current)s AND s.signal_type = ANY(%(types)s)
   AND s.detected_at >= %(since)s AND s.detected_at < %(before)s
 ORDER BY s.detected_at DESC, s.id
"""


def _sponsor_joined(messages: list[dict[str, Any]], sponsor_email: str | None) -> tuple[datetime | None, bool]:
    """When the sponsor was first on CC of the thread, and whether already on the first message."""
    if not sponsor_email or not messages:
        return None, False
    wanted = sponsor_email.casefold()
    for index, message in enumerate(messages):
        if wanted in {e.casefold() for e in addresses(message["cc"])}:
            return datetime.fromisoformat(message["sent_at"]), index == 0
    return None, False


def fetch_history(conn: Conn, *, customer_id: str, current_id: str, since: datetime, before: datetime,
                  sponsor_email: str | None) -> list[PastEscalation]:
    """The customer's other escalations detected in [since, before), newest first, with how they were answered."""
    rows = conn.execute(_HISTORY, {"customer": customer_id, "current": current_id, "since": since, "before": before,
                                   "types": list(ESCALATION_SIGNAL_TYPES)}).fetchall()
    history = []
    for row in rows:
        joined, from_start = _sponsor_joined(row["messages"] or [], sponsor_email)
        history.append(PastEscalation(
            id=row["id"], title=row["title"], severity=row["severity"], detected_at=row["detected_at"],
            status=row["status"], resolved_at=row["resolved_at"], reported_by_contact_id=row["reported_by_contact_id"],
            tone=row["tone"], template=row["template"], answered_at=row["answered_at"],
            de_escalated=row["de_escalated"], reply_tone=row["reply_tone"], sponsor_joined_at=joined,
            sponsor_on_first_response=from_start,
        ))
    return history
