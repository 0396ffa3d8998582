"""The insights page: figures of the responses the signed-in person may reach, with charts drawn on the server as SVG."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from ...api.deps import StoreDep
from ...auth.actor import Actor
from ...errors import NotFound
from ..charts import CHART_POLICY, render_bar_chart
from ..insights import insights_view
from ..session import SignedInDep, page, web_router

router = web_router()

ChartName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]


@router.get("/insights", response_class=HTMLResponse)
def insights(request: Request, me: SignedInDep, store: StoreDep) -> HTMLResponse:
    """The figures, each chart an image from `/insights/charts/NAME.svg`."""
    return page(request, "insights.html.j2", me=me.staff, insights=insights_view(store, actor=Actor(staff_id=me.staff.id)))


@router.get("/insights/charts/{name}.svg")
def chart(name: ChartName, me: SignedInDep, store: StoreDep) -> Response:
    """One chart as an SVG image, drawn from the same figures as the page."""
    charts = insights_view(store, actor=Actor(staff_id=me.staff.id)).charts
    if name not in charts:
        raise NotFound(f"no chart '{name}'")
    return Response(render_bar_chart(charts[name]), media_type="image/svg+xml",
                    headers={"content-security-policy": CHART_POLICY})
