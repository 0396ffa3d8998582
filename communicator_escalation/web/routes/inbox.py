"""The escalation inbox at `/`: the open escalations the signed-in person may reach, most urgent first.

The same `open_escalations` as `escalation inbox` and the agent's `list_open_escalations`; each row
has the Escalation Response quick action.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import HTMLResponse

from ...api.deps import PolicyDep, StoreDep
from ...auth.actor import Actor
from ...utc import utcnow
from ...workflow.triage import open_escalations
from ..session import SignedInDep, page, web_router

router = web_router()


@router.get("/", response_class=HTMLResponse)
def inbox(request: Request, me: SignedInDep, store: StoreDep, policy: PolicyDep,
          scope: Literal["mine", "team", "all"] = "all") -> HTMLResponse:
    """Open escalations with their SLA clocks (the page counts them down as it stays open)."""
    now = utcnow()
    found = open_escalations(store, actor=Actor(staff_id=me.staff.id), policy=policy, scope=scope, now=now)
    return page(request, "inbox.html.j2", me=me.staff, inbox=found, now=now)
