"""What the insights page shows: the learning loop's figures (`build_insights`) for the signed-in person, and charts of them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..auth.actor import Actor
from ..insights.report import Approach, Insights, ResponseTimes, build_insights
from ..insights.tone import ToneReader
from ..store import Store
from ..workflow.policy import Policy
from .charts import BarChart

__all__ = ["InsightsView", "insights_view"]

WEEKS_CHARTED = 8
"""The most recent ISO weeks the response-time chart shows."""


class InsightsView(BaseModel):
    """The insights page's data."""

    report: Insights = Field(description="The figures, as `GET /api/insights` and `escalation insights` give them.")
    charts: dict[str, BarChart] = Field(default_factory=dict, description="Chart name -> its data.")


def _times(title: str, groups: dict[str, ResponseTimes]) -> BarChart:
    return BarChart(title=title, y_title="minutes", labels=list(groups),
                    series={"median (p50)": [g.p50_minutes for g in groups.values()],
                            "p90": [g.p90_minutes for g in groups.values()]})


def _sla(groups: dict[str, ResponseTimes]) -> BarChart:
    return BarChart(title="First-response SLA met, by severity", y_title="share met", labels=list(groups),
                    series={"SLA met": [g.sla_met_rate for g in groups.values()]}, percent=True)


def _approach_label(a: Approach) -> str:
    return f"{a.template} · {a.tone}{' · expedited' if a.expedited else ''} · CC {a.cc_pattern.replace('_', ' ')}"


def _approaches(approaches: list[Approach]) -> BarChart:
    judged = [a for a in approaches if a.judged]
    return BarChart(title="De-escalated, by approach (judged responses)", y_title="share de-escalated",
                    labels=[_approach_label(a) for a in judged],
                    series={"de-escalated": [a.de_escalated_rate for a in judged]}, percent=True)


def insights_view(store: Store, *, actor: Actor, policy: Policy, tone: ToneReader | None) -> InsightsView:
    """The figures of the first responses `actor` may reach, and the charts drawn from them."""
    report = build_insights(store, actor=actor, policy=policy, tone=tone)
    first = report.first_response
    charts: dict[str, BarChart] = {}
    if first.count:
        weeks = dict(sorted(first.by_week.items())[-WEEKS_CHARTED:])
        charts["by-severity"] = _times("Minutes to first response, by severity", first.by_severity)
        charts["sla-by-severity"] = _sla(first.by_severity)
        charts["by-week"] = _times("Minutes to first response, by week", weeks)
    if any(a.judged for a in report.approaches):
        charts["approaches"] = _approaches(report.approaches)
    return InsightsView(report=report, charts=charts)
