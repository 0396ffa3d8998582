"""Step 1 over HTTP: the context of one escalation."""

from __future__ import annotations

from fastapi import APIRouter

from ...models import EscalationContext
from ...workflow.context.gather import gather_context
from ..auth import CurrentActor
from ..deps import StoreDep
from ..errors import ERROR_RESPONSES
from ..strict import SignalId

router = APIRouter(prefix="/api", tags=["context"])


@router.get(
    "/risk-signals/{signal_id}/context",
    response_model=EscalationContext,
    responses=ERROR_RESPONSES,
    summary="Escalation context of a risk signal",
)
def risk_signal_context(signal_id: SignalId, store: StoreDep, actor: CurrentActor) -> EscalationContext:
    """Everything Step 1 gathers for the escalation `signal_id`: customer, health trend, reporter,
    ticket and events, the email to reply to, history and the account team."""
    return gather_context(store, actor=actor, signal_id=signal_id)
