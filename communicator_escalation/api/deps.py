"""Request dependencies shared by the API routes and the web UI.

Each reads what the app holds in `app.state`: the store and settings it was built with, and the
policy, mail transport and drafting model built from the settings on first use. A route takes these
as parameters (`StoreDep`, `PolicyDep`, ...) and never reads `app.state` itself; who is asking is
`api/auth.py`'s, the shared agent `api/agent_dep.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from langchain_core.language_models import BaseChatModel

from ..agent.llm import make_chat_model
from ..config import Settings
from ..mail.factory import Transport, make_transport
from ..store import Store
from ..workflow.policy import Policy, load_policy

__all__ = [
    "Delivery", "DeliveryDep", "LlmDep", "PolicyDep", "SettingsDep", "StoreDep", "TransportDep",
    "get_delivery", "get_drafting_llm", "get_policy", "get_settings", "get_store", "get_transport",
]


async def get_store(request: Request) -> Store:
    """The store the app opened (or was given) at start-up (read on the event loop: no worker thread)."""
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    """The app's settings (read on the event loop: no worker thread)."""
    settings: Settings = request.app.state.settings
    return settings


def get_policy(request: Request) -> Policy:
    """The escalation policy: the settings' policy file over the defaults, read once per app."""
    policy: Policy | None = getattr(request.app.state, "policy", None)
    if policy is None:
        policy = load_policy(request.app.state.settings.policy_file)
        request.app.state.policy = policy
    return policy


def get_transport(request: Request) -> Transport:
    """The configured transport (local outbox by default), built once per app."""
    transport: Transport | None = getattr(request.app.state, "transport", None)
    if transport is None:
        transport = make_transport(request.app.state.settings)
        request.app.state.transport = transport
    return transport


def get_drafting_llm(request: Request) -> BaseChatModel | None:
    """The chat model for the grounded rewrite (ChatOpenAI when configured), or None for template drafts."""
    if not hasattr(request.app.state, "drafting_llm"):
        request.app.state.drafting_llm = make_chat_model(request.app.state.settings)
    llm: BaseChatModel | None = request.app.state.drafting_llm
    return llm


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
TransportDep = Annotated[Transport, Depends(get_transport)]
LlmDep = Annotated[BaseChatModel | None, Depends(get_drafting_llm)]


@dataclass(frozen=True)
class Delivery:
    """What sending and approval decisions need besides who acts: the database, the policy, the settings
    and the transport."""

    store: Store
    policy: Policy
    settings: Settings
    transport: Transport


async def get_delivery(store: StoreDep, policy: PolicyDep, settings: SettingsDep, transport: TransportDep) -> Delivery:
    """The app's delivery dependencies for one request (built on the event loop: no worker thread)."""
    return Delivery(store=store, policy=policy, settings=settings, transport=transport)


DeliveryDep = Annotated[Delivery, Depends(get_delivery)]
