"""How the customer's earlier escalations were answered and how they ended (for the strategy).

One query, for one escalation or a whole batch of them (the worker's pre-drafts read it with the same
statement as a CSM's draft, so both are personalized alike): per escalation, the customer's other
escalations of the last 12 months detected before it, with their sent messages (the skill's and a
world file's past ones, the `sent_responses` view) and the first response's recorded outcome: the
tone and CCs used, when the executive sponsor first joined the thread (was on CC), when it was
resolved, and whether it de-escalated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from ...models import ESCALATION_SIGNAL_TYPES, PastEscalation, RiskSignal
from ...store.responses import addresses
from .context_rows import build

__all__ = ["fetch_histories", "past_escalations"]

Conn = psycopg.Connection[dict[str, Any]]
HistoryRows = dict[str, list[dict[str, Any]]]

_HISTORY = """
SELECT w.current_id AS for_signal, s.id, s.signal_type, s.escalation_type, s.title, s.severity, s.detected_at,
       s.status, s.response_sent_at, s.resolved_at, s.reported_by_contact_id, first.tone, first.template, first.sent_at AS answered_at, o.de_escalated,
       o.reply_tone,
       (SELECT json_agg(json_build_object('sent_at', m.sent_at, 'cc', m.cc_addrs) ORDER BY m.sent_at)
          FROM sent_responses m WHERE m.risk_signal_id = s.id) AS messages
  FROM unnest(%(customers)s::text[], %(currents)s::text[], %(befores)s::timestamptz[]) AS w(customer_id, current_id, before)
  JOIN risk_signals s ON s.customer_id = w.customer_id AND s.id <> w.current_id
   AND s.signal_type = ANY(%(types)s) AND s.detected_at >= %(since)s AND s.detected_at < w.before
  LEFT JOIN LATERAL (SELECT v.id, v.tone, v.template, v.sent_at FROM sent_responses v
                      WHERE v.risk_signal_id = s.id AND v.kind = 'first' ORDER BY v.sent_at, v.id LIMIT 1) first ON true
  LEFT JOIN response_outcomes o ON o.response_id = first.id
 ORDER BY w.current_id, s.detected_at DESC, s.id
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


def fetch_histories(conn: Conn, escalations: Sequence[RiskSignal], *, since: datetime) -> HistoryRows:
    """Per escalation id, the rows of its customer's other escalations detected in [since, its detection)."""
    if not escalations:
        return {}
    rows = conn.execute(_HISTORY, {
        "customers": [e.customer_id for e in escalations], "currents": [e.id for e in escalations],
        "befores": [e.detected_at for e in escalations], "since": since, "types": list(ESCALATION_SIGNAL_TYPES),
    }).fetchall()
    grouped: HistoryRows = defaultdict(list)
    for row in rows:
        grouped[row["for_signal"]].append(row)
    return grouped


def past_escalations(rows: list[dict[str, Any]], *, sponsor_email: str | None) -> list[PastEscalation]:
    """The history of one escalation (its `fetch_histories` rows), newest first, with the sponsor's joining."""
    history = []
    for row in rows:
        joined, from_start = _sponsor_joined(row["messages"] or [], sponsor_email)
        history.append(build(PastEscalation, row, sponsor_joined_at=joined, sponsor_on_first_response=from_start))
    return history
