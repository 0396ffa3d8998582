"""Everything an agent run needs, built once from Settings: store, mailer, policy, models, checkpointer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.postgres import PostgresSaver

from ..config import Settings
from ..mail.base import Mailer
from ..mail.factory import make_mailer
from ..store import Store
from ..workflow.policy import Policy, load_policy
from .checkpoint import postgres_checkpointer
from .llm import make_chat_model
from .offline_model import OfflineChatModel

__all__ = ["AgentRuntime", "open_runtime"]


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
    checkpointer: PostgresSaver
    actor: str | None = None
    now: datetime | None = None


@contextmanager
def open_runtime(
    settings: Settings | None = None, *, actor: str | None = None, now: datetime | None = None
) -> Iterator[AgentRuntime]:
    """Open the store and build the runtime for `settings` (read from the environment when None).

    The store (and with it the checkpointer's connections) is closed on exit.
    """
    settings = settings or Settings()
    policy = load_policy(settings.policy_file)
    llm = make_chat_model(settings)
    with Store.from_settings(settings) as store:
        yield AgentRuntime(
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
