"""Authentication (bearer tokens) as FastAPI dependencies.

`CurrentStaff` is the acting staff member behind the request's ``Authorization: Bearer`` token;
no token, an unknown or a revoked one is a 401 with a ``WWW-Authenticate`` challenge. `CurrentActor`
is the same person as the workflow's `Actor`: the routes pass it on, and the workflow applies the
access rule (a customer, signal, response or approval they may not reach reads as a missing id).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth.actor import Actor
from ..auth.tokens import verify_token
from ..models import StaffMember
from .deps import StoreDep

__all__ = ["CurrentActor", "CurrentStaff", "current_actor", "current_staff"]

_bearer = HTTPBearer(auto_error=False, description="A token from `escalation token create --staff ID`.")


async def current_staff(
    store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> StaffMember:
    """The staff member the request's bearer token acts as (401 otherwise)."""
    token = credentials.credentials if credentials is not None else None
    return await run_in_threadpool(lambda: verify_token(store, token=token))


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


async def current_actor(staff: CurrentStaff) -> Actor:
    """The token's staff member as the actor every workflow call takes."""
    return Actor(staff_id=staff.id)


CurrentActor = Annotated[Actor, Depends(current_actor)]
