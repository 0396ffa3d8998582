"""What the insights page shows: the learning loop's figures (`build_insights`) for the signed-in person, and charts of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..auth.actor import Actor
from ..insights.report import Approach, Insights, ResponseTimes, build_insights
from ..insights.tone import ToneReader
from ..rendering import phrases
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


def _words() -> Any:
    return phrases("web/charts.j2")


def _times(name: str, groups: dict[str, ResponseTimes]) -> BarChart:
    series = _words().series
    return BarChart(**_words().charts[name], labels=list(groups),
                    series={series["p50"]: [g.p50_minutes for g in groups.values()],
                            series["p90"]: [g.p90_minutes for g in groups.values()]})


def _sla(groups: dict[str, ResponseTimes]) -> BarChart:
    return BarChart(**_words().charts["sla-by-severity"], labels=list(groups),
                    series={_words().series["sla_met"]: [g.sla_met_rate for g in groups.values()]}, percent=True)


def _approaches(approaches: list[Approach]) -> BarChart:
    judged = [a for a in approaches if a.judged]
    return BarChart(**_words().charts["approaches"], labels=[str(_words().approach(a)) for a in judged],
                    series={_words().series["de_escalated"]: [a.de_escalated_rate for a in judged]}, percent=True)


def insights_view(store: Store, *, actor: Actor, policy: Policy, tone: ToneReader | None) -> InsightsView:
    """The figures of the first responses `actor` may reach, and the charts drawn from them."""
    report = build_insights(store, actor=actor, policy=policy, tone=tone)
    first = report.first_response
    charts: dict[str, BarChart] = {}
    if first.count:
        weeks = dict(sorted(first.by_week.items())[-WEEKS_CHARTED:])
        charts["by-severity"] = _times("by-severity", first.by_severity)
        charts["sla-by-severity"] = _sla(first.by_severity)
        charts["by-week"] = _times("by-week", weeks)
    if any(a.judged for a in report.approaches):
        charts["approaches"] = _approaches(report.approaches)
    return InsightsView(report=report, charts=charts)
