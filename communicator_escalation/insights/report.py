"""Insights: how fast first responses go out, which approaches de-escalate, which templates get rewritten.

Read from every first response (the skill's sent ones and a world file's past ones) with its
recorded outcome (`insights.outcomes`, refreshed first for those not final):

- `first_response`: minutes from detection to the send, p50 and p90 (nearest rank) and the share
  sent by the SLA's first-response deadline, overall and by severity, escalation type, CSM (the
  sender) and ISO week of the send;
- `approaches`: per template x tone x expedited x CC pattern, how many responses, how many are
  judged (outcome known), how many de-escalated, the rate with its 95 % Wilson interval, and
  `too_small_to_judge` when fewer than the policy's `min_sample` are judged;
- `edit_ratio_by_template`: the mean share of the draft CSMs changed before sending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timezone
from typing import Any

from pydantic import BaseModel, Field

from ..auth.access import acting_staff, visible_customer_ids
from ..auth.actor import Actor
from ..store import Store
from ..store.responses import Conn
from ..utc import utcnow
from ..workflow.context.customers import resolve_customer_on
from ..workflow.policy import Policy
from ..workflow.strategy.sla import sla_clock
from .outcomes import record_outcomes_on
from .stats import percentile, rate, wilson
from .tone import ToneReader

__all__ = ["Approach", "FirstResponse", "Insights", "ResponseTimes", "build_insights"]

_ROWS = """
SELECT v.id, coalesce(v.template, s.escalation_type, 'unknown') AS template, coalesce(v.tone, 'unknown') AS tone,
       v.expedited, v.sent_at, s.severity, s.detected_at, coalesce(s.escalation_type, v.template, 'unknown') AS type,
       coalesce(v.sender_id, c.csm_id) AS csm_id, st.name AS csm_name, c.timezone, c.metadata ->> 'country' AS country,
       r.sla_at_send, coalesce(o.cc_pattern, 'none') AS cc_pattern, coalesce(o.edit_ratio, v.edit_ratio) AS edit_ratio,
       o.de_escalated
  FROM sent_responses v
  JOIN risk_signals s ON s.id = v.risk_signal_id
  JOIN customers c ON c.id = v.customer_id
  LEFT JOIN staff st ON st.id = coalesce(v.sender_id, c.csm_id)
  LEFT JOIN escalation_responses r ON r.id = v.id
  LEFT JOIN response_outcomes o ON o.response_id = v.id
 WHERE v.kind = 'first' AND (%(customers)s::text[] IS NULL OR v.customer_id = ANY(%(customers)s))
   AND (%(since)s::timestamptz IS NULL OR v.sent_at >= %(since)s)
 ORDER BY v.sent_at, v.id
"""


class ResponseTimes(BaseModel):
    """Time to first acknowledgment of a group of escalations."""

    count: int = Field(description="First responses sent.")
    p50_minutes: float | None = Field(description="Median minutes from detection to the send.")
    p90_minutes: float | None = Field(description="90th percentile minutes from detection to the send.")
    sla_met_rate: float | None = Field(description="Share sent by the first-response deadline (0-1).")


class FirstResponse(ResponseTimes):
    """Time to first acknowledgment, overall and by group."""

    by_severity: dict[str, ResponseTimes] = Field(default_factory=dict, description="By escalation severity.")
    by_type: dict[str, ResponseTimes] = Field(default_factory=dict, description="By escalation type.")
    by_csm: dict[str, ResponseTimes] = Field(default_factory=dict, description="By sender (the CSM's name).")
    by_week: dict[str, ResponseTimes] = Field(default_factory=dict, description="By ISO week of the send.")


class Approach(BaseModel):
    """How one way of answering worked out."""

    template: str = Field(description="Email template.")
    tone: str = Field(description="Tone.")
    expedited: bool = Field(description="Sent with expedited approval.")
    cc_pattern: str = Field(description="Roles on CC, joined with '+' ('none').")
    count: int = Field(description="First responses sent this way.")
    judged: int = Field(description="Of those, how many have a known outcome.")
    de_escalated: int = Field(description="Of the judged, how many de-escalated.")
    de_escalated_rate: float | None = Field(description="de_escalated / judged (null when none is judged).")
    ci_low: float | None = Field(description="Lower bound of the 95 % Wilson interval of the rate.")
    ci_high: float | None = Field(description="Upper bound of the 95 % Wilson interval of the rate.")
    too_small_to_judge: bool = Field(description="Fewer judged responses than the policy's minimum sample.")


class Insights(BaseModel):
    """The learning loop's figures."""

    first_response: FirstResponse = Field(description="Time to first acknowledgment.")
    approaches: list[Approach] = Field(default_factory=list, description="Approaches, most used first.")
    edit_ratio_by_template: dict[str, float] = Field(
        default_factory=dict, description="Mean share of the draft changed before sending (0 = sent as drafted)."
    )


def _met(row: dict[str, Any], policy: Policy) -> bool:
    if row["sla_at_send"]:
        return bool(row["sla_at_send"]["state"] == "met")
    clock = sla_clock(severity=row["severity"], started_at=row["detected_at"], timezone=row["timezone"] or "UTC",
                      country=row["country"], policy=policy, now=row["sent_at"])
    return bool(row["sent_at"] <= clock.first_response_due)


def _times(rows: list[dict[str, Any]]) -> ResponseTimes:
    minutes = [r["minutes"] for r in rows]
    return ResponseTimes(count=len(rows), p50_minutes=percentile(minutes, 50), p90_minutes=percentile(minutes, 90),
                         sla_met_rate=rate(sum(r["met"] for r in rows), len(rows)))


def _grouped(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, ResponseTimes]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {k: _times(v) for k, v in sorted(groups.items())}


def _week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _approaches(rows: Iterable[dict[str, Any]], min_sample: int) -> list[Approach]:
    groups: dict[tuple[str, str, bool, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["template"], row["tone"], bool(row["expedited"]), row["cc_pattern"])].append(row)
    found = []
    for (template, tone, expedited, cc), members in groups.items():
        judged = [m for m in members if m["de_escalated"] is not None]
        hits = sum(bool(m["de_escalated"]) for m in judged)
        interval = wilson(hits, len(judged))
        found.append(Approach(
            template=template, tone=tone, expedited=expedited, cc_pattern=cc, count=len(members), judged=len(judged),
            de_escalated=hits, de_escalated_rate=rate(hits, len(judged)), ci_low=interval[0] if interval else None,
            ci_high=interval[1] if interval else None, too_small_to_judge=len(judged) < min_sample,
        ))
    return sorted(found, key=lambda a: (-a.count, a.template, a.tone, a.expedited, a.cc_pattern))


def _edit_ratios(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    ratios: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row["edit_ratio"] is not None:
            ratios[row["template"]].append(float(row["edit_ratio"]))
    return {template: round(sum(v) / len(v), 4) for template, v in sorted(ratios.items())}


def _scope(conn: Conn, *, customer: str | None, actor: Actor) -> list[str] | None:
    staff = acting_staff(conn, actor)
    if customer is not None:
        return [resolve_customer_on(conn, query=customer, actor=staff).id]
    return sorted(visible_customer_ids(conn, actor=staff)) if staff is not None else None


def build_insights(store: Store, *, actor: Actor, policy: Policy, customer: str | None = None,
                   since: date | datetime | None = None, tone: ToneReader | None = None,
                   now: datetime | None = None) -> Insights:
    """The insights of the first responses sent since `since`, of one customer or all (reachable) ones.

    Outcomes not yet final are recorded first, so the figures include the latest replies and resolutions.
    A staff member sees their customers only; the account's CSM (the operator) sees every customer.

    Raises:
        CustomerNotFound, AmbiguousCustomer: `customer` does not name one (reachable) customer.
        NotFound: The actor's staff id is not in the directory.
    """
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, time.min, tzinfo=timezone.utc)
    with store.transaction() as conn:
        customers = _scope(conn, customer=customer, actor=actor)
        record_outcomes_on(conn, now=utcnow(now), tone=tone, learning=policy.learning)
        rows = conn.execute(_ROWS, {"customers": customers, "since": since}).fetchall()
    for row in rows:
        row["minutes"] = round((row["sent_at"] - row["detected_at"]).total_seconds() / 60, 1)
        row["met"] = _met(row, policy)
    overall = _times(rows)
    return Insights(
        first_response=FirstResponse(
            **overall.model_dump(),
            by_severity=_grouped(rows, lambda r: r["severity"]),
            by_type=_grouped(rows, lambda r: r["type"]),
            by_csm=_grouped(rows, lambda r: r["csm_name"] or r["csm_id"] or "unknown"),
            by_week=_grouped(rows, lambda r: _week(r["sent_at"])),
        ),
        approaches=_approaches(rows, policy.learning.min_sample),
        edit_ratio_by_template=_edit_ratios(rows),
    )
