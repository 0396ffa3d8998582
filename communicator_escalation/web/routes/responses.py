"""The responses page: every response the signed-in person may reach, with response time and SLA met or missed."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from ...api.deps import StoreDep
from ...auth.actor import Actor
from ...workflow.delivery.tracking import list_responses
from ..session import SignedInDep, page, web_router

router = web_router()


@router.get("/responses", response_class=HTMLResponse)
def responses(request: Request, me: SignedInDep, store: StoreDep) -> HTMLResponse:
    """Sent responses first with their response times; then those still in review."""
    found = list_responses(store, actor=Actor(staff_id=me.staff.id))
    return page(request, "responses.html.j2", me=me.staff, responses=found)
