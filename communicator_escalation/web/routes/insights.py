"""The insights page: the learning loop's figures for the signed-in person, with charts drawn on the server as SVG.

The figures are `build_insights`, as `GET /api/insights` and `escalation insights` give them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from ...api.deps import PolicyDep, SettingsDep, StoreDep
from ...auth.actor import Actor
from ...errors import NotFound
from ...insights.tone import tone_reader
from ..charts import CHART_POLICY, render_bar_chart
from ..insights import InsightsView, insights_view
from ..session import SignedInDep, page, web_router

router = web_router()

ChartName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]


def _view(me: SignedInDep, store: StoreDep, policy: PolicyDep, settings: SettingsDep) -> InsightsView:
    return insights_view(store, actor=Actor(staff_id=me.staff.id), policy=policy, tone=tone_reader(settings))


@router.get("/insights", response_class=HTMLResponse)
def insights(request: Request, me: SignedInDep, store: StoreDep, policy: PolicyDep, settings: SettingsDep) -> HTMLResponse:
    """The figures, each chart an image from `/insights/charts/NAME.svg`."""
    return page(request, "insights.html.j2", me=me.staff, insights=_view(me, store, policy, settings))


@router.get("/insights/charts/{name}.svg")
def chart(name: ChartName, me: SignedInDep, store: StoreDep, policy: PolicyDep, settings: SettingsDep) -> Response:
    """One chart as an SVG image, drawn from the same figures as the page."""
    charts = _view(me, store, policy, settings).charts
    if name not in charts:
        raise NotFound("web.no_chart", name=name)
    return Response(render_bar_chart(charts[name]), media_type="image/svg+xml",
                    headers={"content-security-policy": CHART_POLICY})
