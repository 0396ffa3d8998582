"""Outcomes of first responses: what happened after each one, recorded in `response_outcomes`.

For every first response (the skill's sent ones and a world file's past ones, the
`sent_responses` view) the record holds:

- the customer's first reply on the thread after the send (an inbound communication on the same
  thread id, or one whose `in_reply_to` is the response's Message-ID; `escalation sync` adds the
  Gmail replies) and its tone (`insights.tone`);
- the signal's resolution time; a re-escalation: another escalation of the same customer detected
  within the learning window (30 days) after the send;
- health at send (the last score on or before the send) and at the end of the window;
- how much the CSM edited the draft (1 - rapidfuzz's normalised Indel similarity of the drafted
  and the sent body; a world file gives it directly), the CC pattern (roles of the CC'd staff);
- de-escalated: resolved with no re-escalation once the window closed and a first reply that is
  not negative (no reply does not count against it); False as soon as a re-escalation or a
  negative first reply is seen, or when the window closed unresolved; None while pending.

An outcome is final (never recomputed) once the window closed and it is resolved or re-escalated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

from ..models import ESCALATION_SIGNAL_TYPES
from ..store import Store
from ..store.responses import Conn, addresses
from ..utc import utcnow
from ..workflow.policy import LearningPolicy
from .tone import LexiconTone, ToneReader

__all__ = ["edit_ratio", "record_outcomes", "record_outcomes_on"]

_FACTS = """
SELECT v.id, v.customer_id, v.sent_at, v.cc_addrs, v.edit_ratio, v.drafted_body, v.body,
       s.status AS signal_status, s.resolved_at,
       o.first_reply_id AS known_reply, o.reply_tone AS known_tone, o.tone_method AS known_method,
       reply.id AS reply_id, reply.at AS reply_at, reply.body AS reply_body, re.id AS re_id,
       (SELECT h.score FROM health_history h WHERE h.customer_id = v.customer_id AND h.at <= v.sent_at
         ORDER BY h.at DESC LIMIT 1) AS health_at_send,
       (SELECT h.score FROM health_history h WHERE h.customer_id = v.customer_id AND h.at > v.sent_at
         AND h.at <= v.sent_at + %(window)s ORDER BY h.at DESC LIMIT 1) AS health_after
  FROM sent_responses v
  JOIN risk_signals s ON s.id = v.risk_signal_id
  LEFT JOIN response_outcomes o ON o.response_id = v.id
  LEFT JOIN LATERAL (
       SELECT c.id, c.at, c.body FROM communications c
        WHERE c.customer_id = v.customer_id AND c.direction = 'inbound' AND c.at > v.sent_at
          AND ((v.thread_id IS NOT NULL AND c.thread_id = v.thread_id)
               OR (v.message_id IS NOT NULL AND c.metadata ->> 'in_reply_to' = v.message_id))
        ORDER BY c.at, c.id LIMIT 1) reply ON true
  LEFT JOIN LATERAL (
       SELECT x.id FROM risk_signals x
        WHERE x.customer_id = v.customer_id AND x.id <> v.risk_signal_id AND x.signal_type = ANY(%(types)s)
          AND x.detected_at > v.sent_at AND x.detected_at <= v.sent_at + %(window)s
        ORDER BY x.detected_at, x.id LIMIT 1) re ON true
 WHERE v.kind = 'first' AND NOT coalesce(o.final, false)
   AND (%(ids)s::text[] IS NULL OR v.id = ANY(%(ids)s))
"""

_UPSERT = """
INSERT INTO response_outcomes (response_id, first_reply_id, first_reply_at, reply_tone, tone_method, resolved_at,
    re_escalation_signal_id, window_closed, health_at_send, health_after, edit_ratio, cc_pattern, de_escalated,
    final, recorded_at)
VALUES (%(response_id)s, %(first_reply_id)s, %(first_reply_at)s, %(reply_tone)s, %(tone_method)s, %(resolved_at)s,
    %(re_escalation_signal_id)s, %(window_closed)s, %(health_at_send)s, %(health_after)s, %(edit_ratio)s,
    %(cc_pattern)s, %(de_escalated)s, %(final)s, %(recorded_at)s)
ON CONFLICT (response_id) DO UPDATE SET first_reply_id = EXCLUDED.first_reply_id,
    first_reply_at = EXCLUDED.first_reply_at, reply_tone = EXCLUDED.reply_tone, tone_method = EXCLUDED.tone_method,
    resolved_at = EXCLUDED.resolved_at, re_escalation_signal_id = EXCLUDED.re_escalation_signal_id,
    window_closed = EXCLUDED.window_closed, health_at_send = EXCLUDED.health_at_send,
    health_after = EXCLUDED.health_after, edit_ratio = EXCLUDED.edit_ratio, cc_pattern = EXCLUDED.cc_pattern,
    de_escalated = EXCLUDED.de_escalated, final = EXCLUDED.final, recorded_at = EXCLUDED.recorded_at
"""


def edit_ratio(drafted: str, sent: str) -> float:
    """Share of the draft the CSM changed: 0 unchanged, 1 rewritten (rapidfuzz Indel distance, normalised)."""
    return round(1 - fuzz.ratio(drafted, sent) / 100, 4)


def _cc_pattern(conn: Conn, cc: list[str]) -> str:
    """The roles of the CC'd staff, sorted and joined with '+' ('none' without CCs)."""
    if not cc:
        return "none"
    rows = conn.execute("SELECT DISTINCT role FROM staff WHERE lower(email) = ANY(%s)", ([e.casefold() for e in cc],))
    return "+".join(sorted(r["role"] for r in rows)) or "none"


def _judged(facts: dict[str, Any], tone: str | None, window_closed: bool) -> bool | None:
    if facts["re_id"] is not None or tone == "negative":
        return False
    resolved = facts["signal_status"] == "resolved"
    if window_closed:
        return resolved
    return None


def _outcome(conn: Conn, facts: dict[str, Any], *, tone: ToneReader, window: timedelta, now: datetime) -> dict[str, Any]:
    reply_tone, method = facts["known_tone"], facts["known_method"]
    if facts["reply_id"] is None:
        reply_tone = method = None
    elif facts["reply_id"] != facts["known_reply"] or reply_tone is None:
        reply_tone, method = tone(facts["reply_body"] or ""), tone.method
    window_closed = now >= facts["sent_at"] + window
    ratio = facts["edit_ratio"]
    if ratio is None and facts["drafted_body"] is not None:
        ratio = edit_ratio(facts["drafted_body"], facts["body"])
    de_escalated = _judged(facts, reply_tone, window_closed)
    return {
        "response_id": facts["id"],
        "first_reply_id": facts["reply_id"],
        "first_reply_at": facts["reply_at"],
        "reply_tone": reply_tone,
        "tone_method": method,
        "resolved_at": facts["resolved_at"],
        "re_escalation_signal_id": facts["re_id"],
        "window_closed": window_closed,
        "health_at_send": facts["health_at_send"],
        "health_after": facts["health_after"] if window_closed else None,
        "edit_ratio": ratio,
        "cc_pattern": _cc_pattern(conn, addresses(facts["cc_addrs"])),
        "de_escalated": de_escalated,
        "final": window_closed and (facts["signal_status"] == "resolved" or facts["re_id"] is not None),
        "recorded_at": now,
    }


def record_outcomes_on(conn: Conn, *, now: datetime, response_ids: list[str] | None = None,
                       tone: ToneReader | None = None, learning: LearningPolicy | None = None) -> int:
    """Record (or refresh) the outcome of every first response not yet final; return how many.

    Args:
        conn: A connection (inside the caller's transaction when it has one).
        now: The moment windows are judged at.
        response_ids: Only these responses (None: all).
        tone: Reads a new first reply's tone (default: the offline lexicon); a tone already
            recorded for the same reply is kept.
        learning: The window (default 30 days).
    """
    window = timedelta(days=(learning or LearningPolicy()).window_days)
    reader = tone or LexiconTone()
    rows = conn.execute(_FACTS, {"window": window, "types": list(ESCALATION_SIGNAL_TYPES), "ids": response_ids}).fetchall()
    outcomes = [_outcome(conn, facts, tone=reader, window=window, now=now) for facts in rows]
    if outcomes:
        with conn.cursor() as cur:
            cur.executemany(_UPSERT, outcomes)
    return len(outcomes)


def record_outcomes(store: Store, *, now: datetime | None = None, tone: ToneReader | None = None,
                    learning: LearningPolicy | None = None) -> int:
    """`record_outcomes_on` for every response not yet final, in one transaction."""
    with store.transaction() as conn:
        return record_outcomes_on(conn, now=utcnow(now), tone=tone, learning=learning)
