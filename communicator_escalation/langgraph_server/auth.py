"""LangGraph custom auth: the project's bearer tokens, threads private to their owner.

`Authorization: Bearer <token>` (from `escalation token create --staff ID`) authenticates a request
as that staff member; the graph factory acts as them. Every thread is stamped with its owner on
creation and every read, search, update, delete and run is filtered to the caller's own threads,
so another staff member's thread reads as missing (404). A run whose input or command breaks the
door's rules (`run_input.check_run`: only the CSM's messages, only a review answer as a resume, e.g.
not Agent Inbox's bare list) is refused (422) before it starts, so the thread keeps waiting for a
valid answer; the thread's state is never written directly (`update_state`: 403), only by runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph_sdk import Auth

from ..auth.tokens import Unauthorized, bearer_challenge, verify_token
from ..errors import InvalidRequest
from .run_input import check_run
from .shared import shared_runtime

__all__ = ["OWNER_KEY", "auth"]

OWNER_KEY = "owner"
"""Thread and run metadata key: staff id of the thread's owner."""

auth = Auth()


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """The staff member behind the request's bearer token (401 otherwise)."""
    store = (await shared_runtime()).store
    try:
        staff = await asyncio.to_thread(verify_token, store, token=_bearer(authorization))
    except Unauthorized as err:
        raise Auth.exceptions.HTTPException(status_code=401, detail=err.message, headers=bearer_challenge(err)) from err
    return {"identity": staff.id, "display_name": staff.name}


def _owned(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Stamp the owner on what is created and filter everything else to the caller's own."""
    owner = {OWNER_KEY: ctx.user.identity}
    metadata = value.get("metadata")
    if isinstance(metadata, dict) or "metadata" not in value:
        value.setdefault("metadata", {}).update(owner)
    return owner


@auth.on.threads
async def own_threads(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Threads (create, read, search, update, delete) are the caller's own."""
    return _owned(ctx, value)


@auth.on.threads.update
async def update_own_threads(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """The caller's own threads' metadata may change (or a run be cancelled); their state only by a run (403)."""
    if "metadata" not in value and value.get("action") is None:
        raise Auth.exceptions.HTTPException(
            status_code=403, detail="a thread's state changes only by a run (a message or a review answer)"
        )
    return _owned(ctx, value)


@auth.on.threads.create_run
async def own_runs(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Runs go on the caller's own threads, with a message or a review answer (`check_run`; 422 otherwise)."""
    try:
        check_run(value.get("kwargs") or {})
    except InvalidRequest as err:
        raise Auth.exceptions.HTTPException(status_code=422, detail=err.message) from err
    return _owned(ctx, value)


@auth.on.assistants.read
async def read_assistants(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """Anyone signed in may read the deployment's assistants (graph `communicator`)."""


@auth.on.assistants.search
async def search_assistants(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """Anyone signed in may list the deployment's assistants."""


@auth.on.assistants
async def change_assistants(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """Assistants are set by the deployment (langgraph.json): creating, changing or deleting one is refused."""
    raise Auth.exceptions.HTTPException(status_code=403, detail="assistants are configured by the deployment")


@auth.on.crons
async def own_crons(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Scheduled runs are the caller's own."""
    return _owned(ctx, value)


@auth.on.store
async def own_store(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """The key-value store is scoped to the caller's namespace."""
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        value["namespace"] = (ctx.user.identity, *namespace)
