"""Authentication (bearer tokens) and customer-scoped authorization as FastAPI dependencies.

`CurrentStaff` is the acting staff member behind the request's ``Authorization: Bearer`` token;
no token, an unknown or a revoked one is a 401 with a ``WWW-Authenticate`` challenge.

The `Visible*` dependencies check a path id against the access rule of `auth/access.py`: a
customer, risk signal, response or approval the actor may not reach is a 404 that reads exactly like
an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth.access import (
    CustomerTeam,
    require_approval_access,
    require_customer_access,
    require_response_access,
    require_signal_access,
)
from ..auth.tokens import verify_token
from ..models import StaffMember
from ..workflow.policy import Policy, load_policy
from .deps import StoreDep

__all__ = [
    "CurrentStaff",
    "PolicyDep",
    "VisibleApproval",
    "VisibleCustomer",
    "VisibleResponse",
    "VisibleSignal",
    "current_staff",
    "get_policy",
]

_bearer = HTTPBearer(auto_error=False, description="A token from `escalation token create --staff ID`.")


async def current_staff(
    store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> StaffMember:
    """The staff member the request's bearer token acts as (401 otherwise)."""
    token = credentials.credentials if credentials is not None else None
    return await run_in_threadpool(lambda: verify_token(store, token=token))


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


def get_policy(request: Request) -> Policy:
    """The escalation policy: the settings' policy file over the defaults, read once per app."""
    policy: Policy | None = getattr(request.app.state, "policy", None)
    if policy is None:
        policy = load_policy(request.app.state.settings.policy_file)
        request.app.state.policy = policy
    return policy


PolicyDep = Annotated[Policy, Depends(get_policy)]


def visible_customer(customer_id: str, actor: CurrentStaff, store: StoreDep) -> CustomerTeam:
    """The path's customer, when the actor reaches it."""
    with store.connection() as conn:
        return require_customer_access(conn, actor=actor, customer_id=customer_id)


def visible_signal(signal_id: str, actor: CurrentStaff, store: StoreDep) -> CustomerTeam:
    """The path's risk signal's customer, when the actor reaches it."""
    with store.connection() as conn:
        return require_signal_access(conn, actor=actor, signal_id=signal_id)


def visible_response(response_id: str, actor: CurrentStaff, store: StoreDep) -> CustomerTeam:
    """The path's escalation response's customer, when the actor reaches it."""
    with store.connection() as conn:
        return require_response_access(conn, actor=actor, response_id=response_id)


def visible_approval(approval_id: str, actor: CurrentStaff, store: StoreDep) -> CustomerTeam:
    """The path's approval request's customer, when the actor reaches it."""
    with store.connection() as conn:
        return require_approval_access(conn, actor=actor, approval_id=approval_id)


VisibleCustomer = Annotated[CustomerTeam, Depends(visible_customer)]
VisibleSignal = Annotated[CustomerTeam, Depends(visible_signal)]
VisibleResponse = Annotated[CustomerTeam, Depends(visible_response)]
VisibleApproval = Annotated[CustomerTeam, Depends(visible_approval)]
