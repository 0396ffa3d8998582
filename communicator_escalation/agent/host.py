"""CommunicatorAgent: one LangChain agent over every registered skill, with review and a checkpointer.

Skills are passed in or discovered through the `communicator.skills` entry-point group. The host
builds ONE `create_agent` graph from their tools, gates the tools each skill names in
`interrupt_on` behind `HumanInTheLoopMiddleware` (the CSM's review), and checkpoints every thread in
PostgreSQL, so a conversation waiting for review survives a restart and resumes by thread id from
any process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, InterruptOnConfig, ModelRequest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, StateSnapshot

from ..errors import ConfigurationError, InvalidRequest
from ..rendering import render
from ..safe_text import encodable
from .review_gate import ReviewMiddleware
from .review_pins import ReviewPin, ReviewPinMiddleware, pins_of_last_turn
from .turns import ChatMessage, ReviewDecision, ReviewRequest, Turn, TurnToken, chat_message, decision_from_text

if TYPE_CHECKING:
    from .runtime import AgentRuntime

__all__ = [
    "SKILL_ENTRY_POINT_GROUP",
    "ChatMessage",
    "CommunicatorAgent",
    "ReviewDecision",
    "ReviewRequest",
    "Skill",
    "Turn",
    "TurnToken",
    "decision_from_text",
    "discover_skills",
]

SKILL_ENTRY_POINT_GROUP = "communicator.skills"
ACTOR_KEY = "actor_id"
MODEL_NODE = "model"
"""Name of create_agent's model node: streamed text comes from it."""


_MESSAGE_TEXT = ("content", "tool_calls", "invalid_tool_calls", "additional_kwargs")


def _encodable_request(request: ModelRequest[Any]) -> ModelRequest[Any]:
    """`request` with every lone surrogate in its messages as its `\\uXXXX` escape (`safe_text.encodable`)."""
    messages = []
    for message in request.messages:
        parts = {name: getattr(message, name) for name in _MESSAGE_TEXT if hasattr(message, name)}
        cleaned = encodable(parts)
        messages.append(message if cleaned == parts else message.model_copy(update=cleaned))
    return request.override(messages=messages)


class EncodableHistory(AgentMiddleware[Any, Any]):
    """The model is sent UTF-8 text: a lone surrogate a model wrote into a tool call (which the tool refused)
    goes back to it as its escape, instead of failing this and every later call on the thread."""

    def wrap_model_call(self, request: ModelRequest[Any], handler: Any) -> Any:
        """Call the model with the encodable request."""
        return handler(_encodable_request(request))

    async def awrap_model_call(self, request: ModelRequest[Any], handler: Any) -> Any:
        """Call the model with the encodable request."""
        return await handler(_encodable_request(request))


@runtime_checkable
class Skill(Protocol):
    """What the host needs from a skill. Any object with these attributes is a skill.

    A skill may also have `review_pins`: gated tool name -> pin function (agent/review_pins.py),
    so that an approved call runs against exactly what its review card showed; and `middleware`:
    agent middleware of its own (the escalation skill's ends a draft turn with the draft card).
    """

    name: str
    description: str

    @property
    def system_prompt(self) -> str:
        """The skill's part of the agent's system prompt."""
        ...

    @property
    def tools(self) -> list[BaseTool]:
        """The skill's LangChain tools."""
        ...

    @property
    def interrupt_on(self) -> dict[str, InterruptOnConfig]:
        """Tools that need the human's review before they run, with the decisions allowed."""
        ...


def _review_pins(skill: Skill) -> dict[str, ReviewPin]:
    """A skill's optional `review_pins` (gated tool -> pin function, see agent/review_pins.py)."""
    return dict(getattr(skill, "review_pins", None) or {})


def discover_skills(runtime: AgentRuntime) -> list[Skill]:
    """Instantiate every skill registered in the `communicator.skills` entry-point group.

    A registered class is built with its `from_runtime(runtime)` classmethod, which takes what it
    needs (store, mailer, policy, llm, ...) from the runtime.
    """
    skills: list[Skill] = []
    for point in sorted(entry_points(group=SKILL_ENTRY_POINT_GROUP), key=lambda p: p.name):
        factory = point.load()
        build = getattr(factory, "from_runtime", None)
        if build is None:
            raise ConfigurationError(f"skill entry point {point.name!r} has no from_runtime(runtime) classmethod")
        skills.append(build(runtime))
    return skills



@dataclass(frozen=True)
class _Plan:
    """What a turn does: resume the pending review, then (or instead) send the user's message."""

    resume: dict[str, Any] | None
    message: str | None
    follow_up: str | None
    """Text that rejected the pending review; sent as a new message once nothing else waits for review."""


class CommunicatorAgent:
    """The Communicator agent: all skills in one `create_agent`, reviewed sends, durable threads.

    Every turn runs synchronously (`run_turn`), asynchronously (`arun_turn`) or streamed token by
    token (`astream_turn`); the three give the same `Turn`.
    """

    def __init__(
        self,
        skills: Sequence[Skill] | None = None,
        *,
        model: BaseChatModel,
        checkpointer: BaseCheckpointSaver[Any] | None,
        runtime: AgentRuntime | None = None,
        actor: str | None = None,
        name: str = "communicator",
    ) -> None:
        """Build the agent.

        Args:
            skills: Skills to host; None discovers them through the `communicator.skills` entry points.
            model: Chat model with tool calling (ChatOpenAI, the offline model, ...).
            checkpointer: Where threads are saved (PostgreSQL in production); None only for a graph
                that a LangGraph server runs with its own persistence (the turn methods need one).
            runtime: Dependencies handed to discovered skills; required when `skills` is None.
            actor: Default staff id the tools act as when a turn does not name one.
            name: Graph name.
        """
        if skills is None:
            if runtime is None:
                raise ConfigurationError("CommunicatorAgent needs skills or a runtime to discover them")
            skills = discover_skills(runtime)
        if not skills:
            raise ConfigurationError("CommunicatorAgent needs at least one skill")
        self.skills: list[Skill] = list(skills)
        self.actor = actor
        tools: list[BaseTool] = []
        interrupt_on: dict[str, InterruptOnConfig] = {}
        pins: dict[str, ReviewPin] = {}
        extra: list[AgentMiddleware[Any, Any]] = []
        for skill in self.skills:
            for tool in skill.tools:
                if any(tool.name == known.name for known in tools):
                    raise ConfigurationError(f"two skills define the tool {tool.name!r}")
                tools.append(tool)
            interrupt_on.update(skill.interrupt_on)
            pins.update(_review_pins(skill))
            extra += list(getattr(skill, "middleware", None) or [])
        if unreviewed := sorted(set(pins) - set(interrupt_on)):
            raise ConfigurationError(f"review pins for tools that are not reviewed: {unreviewed}")
        self.tools = tools
        self._gated = set(interrupt_on)
        self.system_prompt = render("system/communicator.j2", skills=self.skills)
        self.graph = create_agent(
            model,
            tools,
            system_prompt=self.system_prompt,
            # Order matters: see ReviewPinMiddleware (pins recorded before the interrupt, applied inside edits).
            middleware=[ReviewMiddleware(interrupt_on=interrupt_on), ReviewPinMiddleware(pins), *extra, EncodableHistory()],
            checkpointer=checkpointer,
            name=name,
        )

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime, skills: Sequence[Skill] | None = None) -> CommunicatorAgent:
        """The agent on a runtime's model and checkpointer, with discovered skills unless given."""
        return cls(skills, model=runtime.model, checkpointer=runtime.checkpointer, runtime=runtime, actor=runtime.actor)

    def _config(self, thread_id: str, actor: str | None) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id, ACTOR_KEY: actor or self.actor}}

    def _requests(self, snapshot: StateSnapshot) -> list[ReviewRequest]:
        values = snapshot.values if isinstance(snapshot.values, dict) else {}
        pinned = iter(pins_of_last_turn(values, self._gated)) if snapshot.interrupts else iter(())
        requests: list[ReviewRequest] = []
        for interrupt in snapshot.interrupts:
            value = interrupt.value if isinstance(interrupt.value, dict) else {}
            configs = {c["action_name"]: c for c in value.get("review_configs", [])}
            for action in value.get("action_requests", []):
                allowed = configs.get(action["name"], {}).get("allowed_decisions", [])
                pins = next(pinned, {})
                requests.append(
                    ReviewRequest(
                        tool=action["name"],
                        args={k: v for k, v in action["args"].items() if k not in pins},  # the model's value is void
                        description=action.get("description", ""),
                        allowed_decisions=list(allowed),
                        pinned=pins,
                    )
                )
        return requests

    def pending_review(self, thread_id: str) -> list[ReviewRequest]:
        """The review requests a thread is waiting on (empty when it is not waiting)."""
        return self._requests(self.graph.get_state(self._config(thread_id, None)))

    async def apending_review(self, thread_id: str) -> list[ReviewRequest]:
        """`pending_review`, asynchronously."""
        return self._requests(await self.graph.aget_state(self._config(thread_id, None)))

    @staticmethod
    def _values(snapshot: StateSnapshot) -> list[BaseMessage]:
        return list(snapshot.values.get("messages", [])) if isinstance(snapshot.values, dict) else []

    def _messages(self, thread_id: str) -> list[BaseMessage]:
        return self._values(self.graph.get_state(self._config(thread_id, None)))

    async def _amessages(self, thread_id: str) -> list[BaseMessage]:
        return self._values(await self.graph.aget_state(self._config(thread_id, None)))

    def history(self, thread_id: str) -> list[ChatMessage]:
        """Every message of a thread so far."""
        return [shown for m in self._messages(thread_id) if (shown := chat_message(m)) is not None]

    def _plan(self, message: str | None, decision: ReviewDecision | None, pending: list[ReviewRequest]) -> _Plan:
        """Read a turn's input against what the thread waits for.

        A message sent while a review is pending is first read as the decision (approve/reject
        words); any other text rejects the pending call with that text as the reason and is then
        handled as a new instruction.
        """
        follow_up: str | None = None
        if message is not None and pending:
            decision = decision_from_text(message)
            if decision is None:
                decision, follow_up = ReviewDecision(type="reject", message=message), message
            message = None
        if decision is None:
            return _Plan(resume=None, message=message, follow_up=None)
        if not pending:
            raise InvalidRequest("nothing is waiting for review in this conversation")
        return _Plan(resume={"decisions": [self._decision(decision, r) for r in pending]}, message=None, follow_up=follow_up)

    @staticmethod
    def _start(thread_id: str | None, message: str | None, decision: ReviewDecision | None) -> str:
        if (message is None) == (decision is None):
            raise InvalidRequest("a turn takes either a message or a review decision")
        return thread_id or uuid.uuid4().hex

    def run_turn(
        self,
        thread_id: str | None = None,
        *,
        message: str | None = None,
        decision: ReviewDecision | None = None,
        actor: str | None = None,
    ) -> Turn:
        """Run one turn: a new user message, or the decision on a pending review.

        A message sent while a review is pending is first read as the decision (approve/reject
        words); any other text rejects the pending call with that text as the reason and is then
        handled as a new instruction.

        Args:
            thread_id: Conversation to continue; None starts a new one.
            message: What the user typed.
            decision: The decision on the pending review.
            actor: Staff id the tools act as in this turn (defaults to the agent's actor).

        Returns:
            The messages added by the turn and what is waiting for review, with the thread id.
        """
        thread_id = self._start(thread_id, message, decision)
        config = self._config(thread_id, actor)
        before = len(self._messages(thread_id))
        plan = self._plan(message, decision, self.pending_review(thread_id))
        message = plan.message
        if plan.resume is not None:
            self.graph.invoke(Command(resume=plan.resume), config)
            if plan.follow_up is not None and not self.pending_review(thread_id):
                message = plan.follow_up
        if message is not None:
            self.graph.invoke({"messages": [HumanMessage(content=message)]}, config)
        added = [shown for m in self._messages(thread_id)[before:] if (shown := chat_message(m)) is not None]
        return Turn(thread_id=thread_id, messages=added, pending_review=self.pending_review(thread_id))

    async def arun_turn(
        self,
        thread_id: str | None = None,
        *,
        message: str | None = None,
        decision: ReviewDecision | None = None,
        actor: str | None = None,
    ) -> Turn:
        """`run_turn` on the graph's async path (`ainvoke`); the same arguments and result."""
        turn: Turn | None = None
        async for event in self._aturn(thread_id, message, decision, actor, stream=False):
            turn = event if isinstance(event, Turn) else turn
        assert turn is not None  # _aturn always ends with the turn
        return turn

    def astream_turn(
        self,
        thread_id: str | None = None,
        *,
        message: str | None = None,
        decision: ReviewDecision | None = None,
        actor: str | None = None,
    ) -> AsyncIterator[TurnToken | Turn]:
        """`run_turn` streamed (`astream`): the agent's text as `TurnToken`s while the model writes it, then the `Turn`.

        The tokens of each of the agent's messages add up to that message's text in the `Turn`.
        """
        return self._aturn(thread_id, message, decision, actor, stream=True)

    async def _aturn(
        self, thread_id: str | None, message: str | None, decision: ReviewDecision | None, actor: str | None,
        *, stream: bool,
    ) -> AsyncIterator[TurnToken | Turn]:
        thread_id = self._start(thread_id, message, decision)
        config = self._config(thread_id, actor)
        before = len(await self._amessages(thread_id))
        plan = self._plan(message, decision, await self.apending_review(thread_id))
        message = plan.message
        if plan.resume is not None:
            async for token in self._arun(Command(resume=plan.resume), config, stream=stream):
                yield token
            if plan.follow_up is not None and not await self.apending_review(thread_id):
                message = plan.follow_up
        if message is not None:
            async for token in self._arun({"messages": [HumanMessage(content=message)]}, config, stream=stream):
                yield token
        added = [shown for m in (await self._amessages(thread_id))[before:] if (shown := chat_message(m)) is not None]
        yield Turn(thread_id=thread_id, messages=added, pending_review=await self.apending_review(thread_id))

    async def _arun(self, payload: Any, config: RunnableConfig, *, stream: bool) -> AsyncIterator[TurnToken]:
        """Run the graph once: `ainvoke`, or `astream` yielding the model's text as it comes."""
        if not stream:
            await self.graph.ainvoke(payload, config)
            return
        async for chunk, metadata in self.graph.astream(payload, config, stream_mode="messages"):
            if isinstance(chunk, AIMessage) and metadata.get("langgraph_node") == MODEL_NODE and chunk.text:
                yield TurnToken(text=chunk.text, message_id=chunk.id)

    @staticmethod
    def _decision(decision: ReviewDecision, request: ReviewRequest) -> dict[str, Any]:
        if decision.type not in request.allowed_decisions:
            raise InvalidRequest(
                f"{decision.type!r} is not allowed for {request.tool}; allowed: {request.allowed_decisions}"
            )
        if decision.type == "approve":
            return {"type": "approve"}
        if decision.type == "edit":
            args = {**request.args, **(decision.args or {})}
            return {"type": "edit", "edited_action": {"name": request.tool, "args": args}}
        return {"type": "reject", "message": decision.message} if decision.message else {"type": "reject"}
