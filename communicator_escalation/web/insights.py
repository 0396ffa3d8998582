"""What the insights page shows: figures read from the store for the signed-in person, and the charts drawn from them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..auth.actor import Actor
from ..store import Store
from ..workflow.delivery.tracking import ResponseSummary, list_responses
from .charts import BarChart

__all__ = ["InsightsView", "insights_view"]


class InsightsView(BaseModel):
    """The insights page's data."""

    sent: list[ResponseSummary] = Field(description="Sent responses with a response time, oldest first.")
    sla_met: int = Field(description="Of those, how many met the first-response SLA.")
    charts: dict[str, BarChart] = Field(default_factory=dict, description="Chart name -> its data.")


def _response_times(sent: list[ResponseSummary]) -> BarChart:
    return BarChart(
        title="Minutes from escalation to first response",
        y_title="minutes",
        labels=[f"{r.customer_name} ({r.sent_at:%d %b})" if r.sent_at else r.customer_name for r in sent],
        series={"Response time": [float(r.response_minutes or 0) for r in sent]},
    )


def insights_view(store: Store, *, actor: Actor) -> InsightsView:
    """The figures of the responses `actor` may reach."""
    sent = sorted((r for r in list_responses(store, actor=actor) if r.status == "sent" and r.response_minutes is not None),
                  key=lambda r: (r.sent_at, r.id))
    charts = {"response-times": _response_times(sent)} if sent else {}
    return InsightsView(sent=sent, sla_met=sum(1 for r in sent if r.sla and r.sla.state == "met"), charts=charts)
