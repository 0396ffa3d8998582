"""Everything an agent run needs, built once from Settings: store, mailer, policy, models, checkpointer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from langchain_core.language_models import BaseChatModel

from ..config import Settings
from ..mail.base import Mailer
from ..mail.factory import make_mailer
from ..store import Store
from ..workflow.policy import Policy, load_policy
from .checkpoint import ThreadedPostgresSaver, postgres_checkpointer
from .llm import make_chat_model
from .offline.model import OfflineChatModel

__all__ = ["AgentRuntime", "build_runtime", "open_runtime"]


@dataclass
class AgentRuntime:
    """The dependencies skills are built from (see `EscalationSkill.from_runtime`)."""

    settings: Settings
    store: Store
    mailer: Mailer
    policy: Policy
    model: BaseChatModel
    """The agent's chat model: ChatOpenAI when OPENAI_API_KEY is set, else the offline model."""
    llm: BaseChatModel | None
    """The drafting rewrite model (ChatOpenAI), or None for template drafts."""
    checkpointer: ThreadedPostgresSaver
    actor: str | None = None
    now: datetime | None = None
    actor_fixed: bool = False
    """True: skills always act as `actor`, ignoring any actor a run's config names (authenticated servers)."""


def build_runtime(
    settings: Settings, *, store: Store, policy: Policy, actor: str | None = None, now: datetime | None = None
) -> AgentRuntime:
    """The runtime over an open `store`: the configured mailer and models, PostgreSQL checkpoints."""
    llm = make_chat_model(settings)
    return AgentRuntime(
        settings=settings,
        store=store,
        mailer=make_mailer(settings),
        policy=policy,
        model=llm if llm is not None else OfflineChatModel(),
        llm=llm,
        checkpointer=postgres_checkpointer(store),
        actor=actor,
        now=now,
    )


@contextmanager
def open_runtime(
    settings: Settings | None = None, *, actor: str | None = None, now: datetime | None = None
) -> Iterator[AgentRuntime]:
    """Open the store and build the runtime for `settings` (read from the environment when None).

    The store (and with it the checkpointer's connections) is closed on exit.
    """
    settings = settings or Settings()
    policy = load_policy(settings.policy_file)
    with Store.from_settings(settings) as store:
        yield build_runtime(settings, store=store, policy=policy, actor=actor, now=now)
