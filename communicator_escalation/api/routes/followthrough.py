"""After the send over HTTP: the updates owed, drafting the next one, and the insights."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from ...insights.report import Insights, build_insights
from ...insights.tone import tone_reader
from ...models import Draft
from ...safe_text import SingleLine
from ...workflow.followthrough.clock import DueUpdate, list_due_updates
from ...workflow.followthrough.updates import draft_update
from ..auth import CurrentActor
from ..deps import PolicyDep, SettingsDep, StoreDep
from ..errors import ERROR_RESPONSES
from ..strict import ResponseId, StrictBody

router = APIRouter(prefix="/api", tags=["follow-through"])


class UpdatesQuery(StrictBody):
    """The updates list's query (another query parameter is an error)."""

    all: Literal["true", "false"] = Field(default="false", description="true: also clocks still running.")


class InsightsQuery(StrictBody):
    """The insights query (another query parameter is an error)."""

    customer: SingleLine | None = Field(default=None, max_length=200, description="Only this customer (id or name).")
    since: date | None = Field(default=None, description="Only responses sent since this day (UTC).")


@router.get("/updates", response_model=list[DueUpdate], responses=ERROR_RESPONSES, summary="Status updates owed")
def updates(store: StoreDep, actor: CurrentActor, query: Annotated[UpdatesQuery, Query()]) -> list[DueUpdate]:
    """Threads of the caller's customers whose next status update (or closing email) is due or overdue."""
    return list_due_updates(store, actor=actor, include_upcoming=query.all == "true")


@router.post("/escalation-responses/{response_id}/update", response_model=Draft, responses=ERROR_RESPONSES,
             summary="Draft the next status update")
def next_update(response_id: ResponseId, store: StoreDep, policy: PolicyDep, actor: CurrentActor) -> Draft:
    """Draft the next update on the thread of a sent response (the closing email once resolved); an update
    already waiting is returned as it stands. Send it like any response."""
    return draft_update(store, actor=actor, response_id=response_id, policy=policy).draft


@router.get("/insights", response_model=Insights, responses=ERROR_RESPONSES, summary="Escalation insights")
def insights(store: StoreDep, policy: PolicyDep, settings: SettingsDep, actor: CurrentActor,
             query: Annotated[InsightsQuery, Query()]) -> Insights:
    """Time to first acknowledgment, approaches that de-escalate (Wilson intervals), edit ratio by
    template, over the caller's customers."""
    return build_insights(store, actor=actor, policy=policy, customer=query.customer, since=query.since, tone=tone_reader(settings))
