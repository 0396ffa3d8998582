"""EscalationSkill: the escalation workflow as LangChain tools, with its prompt and review config.

Each tool is a thin shell: it validates its `*Args` model (agent/tools/args.py), calls one workflow
function, and returns a compact result model (agent/tools/results.py) as JSON. Async runs call the same
function in a worker thread (the workflow is sync over a thread-safe connection pool). Expected
failures come back as an `ErrorResult` the model can explain, never as an exception. The send tool
takes only a response id and the urgency; the host's review middleware shows the CSM the exact To,
CC, subject and opening of the body (rendered from the stored response) before it runs, and the
host pins the content hash of what the card showed (`review_pins`): an approval of a card whose
draft has changed since sends nothing (`content_changed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain.agents.middleware import AgentMiddleware, InterruptOnConfig
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import ToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.config import get_config
from pydantic import BaseModel, ValidationError

from ..auth.actor import Actor
from ..config import Settings
from ..errors import EscalationError
from ..mail.base import Mailer
from ..rendering import render
from ..safe_text import input_problems
from ..store import Store
from ..workflow.policy import Policy
from ..workflow.review.edits import ResponseView
from .tools import handlers as ops
from .host import ACTOR_KEY
from .offline.cards import DraftCardMiddleware
from .review_pins import PINS_KEY
from .tools.args import TOOL_ARGS, ToolName, model_facing
from .tools.errors import ErrorDetail, ErrorResult

if TYPE_CHECKING:
    from .runtime import AgentRuntime

__all__ = ["REVIEW_DECISIONS", "EscalationSkill"]

REVIEW_DECISIONS: list[str] = ["approve", "edit", "reject"]


def _invalid_arguments(err: ValidationError) -> str:
    problems = "; ".join(input_problems(err.errors()))
    return ErrorResult(error=ErrorDetail(code="invalid_arguments", message=problems)).to_content()


class _ModelFacingTool(StructuredTool):
    """A StructuredTool whose schema for the model is compact (`model_facing`); calls validate the full model."""

    @property
    def tool_call_schema(self) -> type[BaseModel]:  # type: ignore[override]
        """What a model sees: the args model with its compact JSON schema."""
        schema = self.args_schema
        assert isinstance(schema, type) and issubclass(schema, BaseModel)
        return model_facing(schema)


class EscalationSkill:
    """The escalation response skill: tools, system prompt and the send tool's review."""

    name = "escalation"

    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        policy: Policy,
        *,
        llm: BaseChatModel | None = None,
        actor: str | None = None,
        now: datetime | None = None,
        settings: Settings | None = None,
        actor_from_config: bool = True,
    ) -> None:
        """Bind the skill to its dependencies.

        Args:
            store: The database.
            mailer: Transport the send tool delivers through.
            policy: SLA and approval policy.
            llm: Chat model for the optional draft rewrite (None: template drafts only).
            actor: Staff id the tools act as when a turn names nobody (default: the account's CSM).
            now: Pinned clock for tests (None: the current time at each call).
            settings: Send attempts and backoff (None: read from the environment when sending).
            actor_from_config: Read the acting staff id from the run's config (`configurable.actor_id`,
                set by the host for each turn). False: always act as `actor`, whatever a run's config
                says (servers whose caller is authenticated, e.g. the LangGraph server).
        """
        self.store = store
        self.mailer = mailer
        self.policy = policy
        self.llm = llm
        self.actor = actor
        self.now = now
        self.settings = settings
        self.actor_from_config = actor_from_config

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime) -> EscalationSkill:
        """The skill on a runtime's store, mailer, policy and drafting model (entry-point hook)."""
        return cls(
            runtime.store,
            runtime.mailer,
            runtime.policy,
            llm=runtime.llm,
            actor=runtime.actor,
            now=runtime.now,
            settings=runtime.settings,
            actor_from_config=not runtime.actor_fixed,
        )

    @property
    def description(self) -> str:
        """One line on what the skill does."""
        return render("system/escalation_description.j2").strip()

    @property
    def system_prompt(self) -> str:
        """The skill's instructions, rendered from prompts/system/escalation.j2."""
        return render(
            "system/escalation.j2", tools=ToolName, expedite_severities=self.policy.approval.expedite_severities
        )

    @property
    def interrupt_on(self) -> dict[str, InterruptOnConfig]:
        """The send tool waits for the CSM's review: approve, edit (the urgency) or reject."""
        return {
            ToolName.SEND_RESPONSE.value: InterruptOnConfig(
                allowed_decisions=list(REVIEW_DECISIONS),  # type: ignore[typeddict-item]
                description=self._review_description,
                when=self._needs_review,
            )
        }

    @property
    def middleware(self) -> list[AgentMiddleware[Any, Any]]:
        """A draft turn ends with the card rendered from the stored draft, for any model (no re-typed email)."""
        return [DraftCardMiddleware()]

    @property
    def review_pins(self) -> dict[str, Callable[[ToolCall], dict[str, Any]]]:
        """The send runs only on the content its review card showed: the host pins its content hash."""
        return {ToolName.SEND_RESPONSE.value: self._pin_content}

    @cached_property
    def tools(self) -> list[BaseTool]:  # type: ignore[override]
        """The escalation tools, each a StructuredTool over its pydantic args model."""
        return self._tools(send=ops.send)

    @cached_property
    def hostless_tools(self) -> list[BaseTool]:
        """The tools for a host without the review step (MCP): the send tool only requests approval.

        Without a review card whose content the host pins, `send_escalation_response` asks for the
        approval (expedited per policy, bound to the content as it stands) and sends nothing.
        """
        return self._tools(send=ops.request_send, send_description=render("mcp/send_tool.j2"))

    def _tools(self, *, send: Callable[..., Any], send_description: str | None = None) -> list[BaseTool]:
        deps = ops.Deps(store=self.store, mailer=self.mailer, policy=self.policy, llm=self.llm, settings=self.settings)
        handlers: dict[ToolName, Callable[..., Any]] = {
            ToolName.GATHER_CONTEXT: ops.gather,
            ToolName.PICK_STRATEGY: ops.strategy,
            ToolName.DRAFT_RESPONSE: ops.draft,
            ToolName.SUGGEST_CCS: ops.suggest,
            ToolName.EDIT_DRAFT: ops.edit,
            ToolName.ADD_CCS: ops.add_ccs,
            ToolName.REMOVE_CCS: ops.remove_ccs,
            ToolName.SHOW_DRAFT: ops.show,
            ToolName.SEND_RESPONSE: send,
            ToolName.CANCEL_RESPONSE: ops.cancel,
            ToolName.LIST_OPEN: ops.inbox,
            ToolName.DRAFT_UPDATE: ops.update,
        }
        descriptions = {ToolName.SEND_RESPONSE: send_description} if send_description else {}
        return [self._tool(name, handlers[name], deps, descriptions.get(name)) for name in ToolName]

    def _actor(self, config: RunnableConfig | None) -> Actor:
        """Who the turn acts as: the run's staff id (unless fixed), else the skill's, else the account's CSM."""
        if not self.actor_from_config:
            return Actor.of(self.actor)
        configurable = (config or {}).get("configurable") or {}
        return Actor.of(configurable.get(ACTOR_KEY) or self.actor)

    def _tool(
        self, name: ToolName, handler: Callable[..., Any], deps: ops.Deps, description: str | None = None
    ) -> StructuredTool:
        schema = TOOL_ARGS[name]

        def run(config: RunnableConfig, **given: Any) -> str:
            try:
                args = schema.model_validate(given)
                return handler(deps, args, actor=self._actor(config), now=self.now).to_content()
            except ValidationError as err:
                return _invalid_arguments(err)
            except EscalationError as err:
                return ErrorResult.from_error(err).to_content()

        async def arun(config: RunnableConfig, **given: Any) -> str:
            return await asyncio.to_thread(run, config, **given)  # the workflow reads the database

        return _ModelFacingTool.from_function(
            func=run,
            coroutine=arun,
            name=name.value,
            description=" ".join((description or schema.__doc__ or name.value).split()),
            args_schema=schema,
            handle_validation_error=_invalid_arguments,
        )

    def _current_actor(self) -> Actor:
        try:
            return self._actor(get_config())
        except RuntimeError:
            return Actor.of(self.actor)

    def _view_of(self, tool_call: ToolCall) -> ResponseView:
        """The response a send call names, as the turn's actor may see it (raises EscalationError otherwise)."""
        return ops.load_view(self.store, response_id=str(tool_call["args"].get("response_id", "")),
                             actor=self._current_actor())

    def _pin_content(self, tool_call: ToolCall) -> dict[str, Any]:
        """The content hash of the response as the review card is about to show it.

        A response that cannot be shown pins "" (matches no content), so its approval sends nothing.
        """
        try:
            view = self._view_of(tool_call)
        except EscalationError:
            return {"content_hash": ""}
        return {"content_hash": view.content_hash}

    def _needs_review(self, request: ToolCallRequest) -> bool:
        """Every send waits for review, except one of a response already sent: nothing is left to approve, and the
        tool answers that it was sent (a response is never sent twice)."""
        try:
            view = self._view_of(request.tool_call)
        except EscalationError:
            return True
        return view.status != "sent"

    def _review_description(self, tool_call: ToolCall, state: Any, runtime: Any) -> str:
        """What the CSM approves: the exact To, CC, subject and opening of the body, with a fingerprint.

        The fingerprint is the start of the content hash the host pinned for this call (the send is
        refused if the content no longer has it).
        """
        args = tool_call["args"]
        try:
            response = self._view_of(tool_call)
        except EscalationError as err:
            return err.message
        pins = (state.get(PINS_KEY) or {}) if isinstance(state, dict) else {}
        pinned = str(pins.get(tool_call.get("id") or "", {}).get("content_hash") or response.content_hash)
        return render(
            "review/send.j2", response=response, urgent=bool(args.get("urgent", False)), fingerprint=pinned
        ).strip()
