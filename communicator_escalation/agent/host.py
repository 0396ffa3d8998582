"""CommunicatorAgent: one LangChain agent over every registered skill, with review and a checkpointer.

Skills are passed in or discovered through the `communicator.skills` entry-point group. The host
builds ONE `create_agent` graph from their tools, gates the tools each skill names in
`interrupt_on` behind `HumanInTheLoopMiddleware` (the CSM's review), and checkpoints every thread in
PostgreSQL, so a conversation waiting for review survives a restart and resumes by thread id from
any process.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware, InterruptOnConfig
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from pydantic import BaseModel, Field, computed_field

from ..errors import ConfigurationError, InvalidRequest
from ..rendering import render
from .review_pins import ReviewPin, ReviewPinMiddleware, pins_of_last_turn

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
    "decision_from_text",
    "discover_skills",
]

SKILL_ENTRY_POINT_GROUP = "communicator.skills"
ACTOR_KEY = "actor_id"

_APPROVE_WORDS = frozenset({"approve", "approved", "yes", "y", "ok", "okay", "send", "send it", "confirm", "go ahead"})
_REJECT_WORDS = frozenset({"reject", "rejected", "no", "n", "cancel", "stop", "dont send", "do not send"})


@runtime_checkable
class Skill(Protocol):
    """What the host needs from a skill. Any object with these attributes is a skill.

    A skill may also have `review_pins`: gated tool name -> pin function (agent/review_pins.py),
    so that an approved call runs against exactly what its review card showed.
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


class ChatMessage(BaseModel):
    """One message of a conversation, as a front door shows it."""

    role: Literal["user", "assistant", "tool"] = Field(
        description="Who said it: the user, the agent, or a tool result."
    )
    content: str = Field(description="Text of the message (a tool result as returned to the model).")
    name: str | None = Field(default=None, description="Tool name, for tool results and tool calls.")
    data: dict[str, Any] | None = Field(default=None, description="Tool result parsed as JSON, when it is JSON.")
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, description="Tool calls the agent made in this message: name and args."
    )
    status: Literal["success", "error"] | None = Field(default=None, description="Tool result status.")


class ReviewRequest(BaseModel):
    """A tool call waiting for the human's decision."""

    tool: str = Field(description="Name of the gated tool.")
    args: dict[str, Any] = Field(description="Arguments the agent wants to call it with (pinned ones aside).")
    description: str = Field(description="What will happen if approved (e.g. To, CC and Subject of the email).")
    allowed_decisions: list[str] = Field(description="Decisions allowed: approve, edit, reject.")
    pinned: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Host-only arguments recorded when the review was requested (e.g. the content hash of the email"
            " on the card); the call runs with exactly these, whatever the model or an edit decision says."
        ),
    )


class ReviewDecision(BaseModel):
    """The human's answer to a review request."""

    type: Literal["approve", "edit", "reject"] = Field(description="approve, edit or reject.")
    message: str | None = Field(default=None, description="Reason given with a rejection.")
    args: dict[str, Any] | None = Field(default=None, description="Replacement arguments for an edit.")


class Turn(BaseModel):
    """What one call to `CommunicatorAgent.run_turn` produced."""

    thread_id: str = Field(description="Conversation id; pass it back to continue or resume the conversation.")
    messages: list[ChatMessage] = Field(default_factory=list, description="Messages added during this turn, in order.")
    pending_review: list[ReviewRequest] = Field(
        default_factory=list, description="Gated tool calls waiting for a decision; empty when the turn finished."
    )

    @computed_field(description="True when the conversation stopped at the review step.")  # type: ignore[prop-decorator]
    @property
    def waiting_for_review(self) -> bool:
        """True when the conversation stopped at the review step."""
        return bool(self.pending_review)

    @computed_field(description="The agent's text in this turn (its last non-empty message).")  # type: ignore[prop-decorator]
    @property
    def reply(self) -> str:
        """The agent's text in this turn (its last non-empty message)."""
        texts = [m.content for m in self.messages if m.role == "assistant" and m.content]
        return texts[-1] if texts else ""


def decision_from_text(text: str) -> ReviewDecision | None:
    """Read a typed answer to a review: approve or reject words, or None for anything else."""
    words = re.sub(r"[^\w\s]", "", text.replace("'", "")).strip().lower()
    words = re.sub(r"\s+", " ", words)
    if words in _APPROVE_WORDS:
        return ReviewDecision(type="approve")
    if words in _REJECT_WORDS:
        return ReviewDecision(type="reject")
    return None


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


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _chat_message(message: BaseMessage) -> ChatMessage | None:
    if isinstance(message, HumanMessage):
        return ChatMessage(role="user", content=_text_of(message))
    if isinstance(message, ToolMessage):
        text = _text_of(message)
        return ChatMessage(role="tool", content=text, name=message.name, data=_json_object(text), status=message.status)
    if isinstance(message, AIMessage):
        calls = [{"name": call["name"], "args": call["args"]} for call in message.tool_calls]
        return ChatMessage(role="assistant", content=_text_of(message), tool_calls=calls)
    return None


class CommunicatorAgent:
    """The Communicator agent: all skills in one `create_agent`, reviewed sends, durable threads."""

    def __init__(
        self,
        skills: Sequence[Skill] | None = None,
        *,
        model: BaseChatModel,
        checkpointer: BaseCheckpointSaver[Any],
        runtime: AgentRuntime | None = None,
        actor: str | None = None,
        name: str = "communicator",
    ) -> None:
        """Build the agent.

        Args:
            skills: Skills to host; None discovers them through the `communicator.skills` entry points.
            model: Chat model with tool calling (ChatOpenAI, the offline model, ...).
            checkpointer: Where threads are saved (PostgresSaver in production).
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
        for skill in self.skills:
            for tool in skill.tools:
                if any(tool.name == known.name for known in tools):
                    raise ConfigurationError(f"two skills define the tool {tool.name!r}")
                tools.append(tool)
            interrupt_on.update(skill.interrupt_on)
            pins.update(_review_pins(skill))
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
            middleware=[HumanInTheLoopMiddleware(interrupt_on=interrupt_on), ReviewPinMiddleware(pins)],
            checkpointer=checkpointer,
            name=name,
        )

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime, skills: Sequence[Skill] | None = None) -> CommunicatorAgent:
        """The agent on a runtime's model and checkpointer, with discovered skills unless given."""
        return cls(skills, model=runtime.model, checkpointer=runtime.checkpointer, runtime=runtime, actor=runtime.actor)

    def _config(self, thread_id: str, actor: str | None) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id, ACTOR_KEY: actor or self.actor}}

    def pending_review(self, thread_id: str) -> list[ReviewRequest]:
        """The review requests a thread is waiting on (empty when it is not waiting)."""
        snapshot = self.graph.get_state(self._config(thread_id, None))
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

    def _messages(self, thread_id: str) -> list[BaseMessage]:
        snapshot = self.graph.get_state(self._config(thread_id, None))
        return list(snapshot.values.get("messages", [])) if isinstance(snapshot.values, dict) else []

    def history(self, thread_id: str) -> list[ChatMessage]:
        """Every message of a thread so far."""
        return [shown for m in self._messages(thread_id) if (shown := _chat_message(m)) is not None]

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
        if (message is None) == (decision is None):
            raise InvalidRequest("a turn takes either a message or a review decision")
        thread_id = thread_id or uuid.uuid4().hex
        config = self._config(thread_id, actor)
        before = len(self._messages(thread_id))
        pending = self.pending_review(thread_id)
        follow_up: str | None = None
        if message is not None and pending:
            decision = decision_from_text(message)
            if decision is None:
                decision, follow_up = ReviewDecision(type="reject", message=message), message
            message = None
        if decision is not None:
            if not pending:
                raise InvalidRequest("nothing is waiting for review in this conversation")
            self.graph.invoke(Command(resume={"decisions": [self._decision(decision, r) for r in pending]}), config)
            if follow_up is not None and not self.pending_review(thread_id):
                message = follow_up
        if message is not None:
            self.graph.invoke({"messages": [HumanMessage(content=message)]}, config)
        added = [shown for m in self._messages(thread_id)[before:] if (shown := _chat_message(m)) is not None]
        return Turn(thread_id=thread_id, messages=added, pending_review=self.pending_review(thread_id))

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
