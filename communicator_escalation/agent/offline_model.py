"""The offline chat model: a deterministic BaseChatModel that drives the escalation tools.

It is a product mode, not a test double: without an OpenAI key the agent runs on it. Each call reads
the conversation (the CSM's latest message and the tool results since) and either asks for the next
tool, or answers with text rendered from prompts/chat/ out of this turn's tool results.

Turn plans:
    draft request       gather_escalation_context -> draft_escalation_response(signal_id from the context) -> answer
    review commands     one tool on the current draft (the latest DraftResult/ReviewResult) -> answer
    "what's the strategy"  pick_response_strategy(latest signal id) -> answer
    anything else       answer with what it can do
Tool-call messages carry no text; the final answer holds the whole turn (context, draft card, ...).
It calls only tools that are bound; when a needed tool is missing it says so in text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput, LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall, ToolCallChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field, ValidationError

from communicator_escalation.agent.chat_text import render_chat
from communicator_escalation.agent.conversation import Conversation, ToolOutcome, read_conversation
from communicator_escalation.agent.intents import Intent, read_intent
from communicator_escalation.agent.tool_args import TOOL_ARGS, ToolName
from communicator_escalation.agent.tool_results import (
    CancelResult,
    CcSuggestionsResult,
    ContextResult,
    DraftResult,
    ErrorResult,
    ReviewResult,
    SendResult,
    StrategyResult,
)

_PROVIDER = "communicator_escalation"
_WORD_STARTS = re.compile(r"(?<=\s)(?=\S)")
"""Where the streamed text is cut: before each word, so every piece is a word and the space after it."""
_ANY_TOOL = {"auto", "any", "required"}
_REVIEW_TOOLS: dict[str, ToolName] = {
    "send": ToolName.SEND_RESPONSE,
    "add_ccs": ToolName.ADD_CCS,
    "remove_ccs": ToolName.REMOVE_CCS,
    "edit": ToolName.EDIT_DRAFT,
    "show": ToolName.SHOW_DRAFT,
    "cancel": ToolName.CANCEL_RESPONSE,
    "suggest_ccs": ToolName.SUGGEST_CCS,
}
_RESULT_TEMPLATES: dict[type[BaseModel], str] = {
    ReviewResult: "review.j2",
    SendResult: "send.j2",
    CancelResult: "cancel.j2",
    CcSuggestionsResult: "ccs.j2",
    StrategyResult: "strategy.j2",
}


class _Call(BaseModel):
    tool: ToolName
    args: dict[str, Any]


class _Missing(BaseModel):
    tool: ToolName


class _Invalid(BaseModel):
    tool: ToolName
    problems: list[str]


class OfflineChatModel(BaseChatModel):
    """Deterministic chat model for the escalation skill; needs no network and no key.

    Bind the escalation tools with `bind_tools` (or let `create_agent` do it). The same conversation
    always gives the same answer.
    """

    model: str = Field(default="escalation-offline", description="Name reported in traces.")

    @property
    def _llm_type(self) -> str:
        return "escalation-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model")
        params = LangSmithParams(
            ls_provider=_PROVIDER,
            ls_model_name=model if isinstance(model, str) else self.model,
            ls_model_type="chat",
        )
        if stop:
            params["ls_stop"] = stop
        return params

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the model may call.

        Args:
            tools: Tools, pydantic models, functions or OpenAI tool schemas.
            tool_choice: None, "auto", "any" or "required": the model calls a tool when the CSM's
                request needs one (it never invents a call for a request that needs none);
                "none" or False: no tool calls; a tool name (or `{"function": {"name": ...}}`):
                only that tool may be called.
            **kwargs: Passed on to `bind`.
        """
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Not supported: the offline model only drives the escalation tools.

        Raises:
            NotImplementedError: Always; use an LLM (ChatOpenAI) for free-form structured output.
        """
        raise NotImplementedError(
            "OfflineChatModel only drives the escalation tools and cannot fill arbitrary schemas; "
            "use ChatOpenAI (set OPENAI_API_KEY) for structured output."
        )

    def _message(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> AIMessage:
        allowed = _allowed_tools(kwargs.get("tools") or [], kwargs.get("tool_choice"))
        message = respond(messages, tools=allowed)
        if stop and isinstance(message.content, str) and not message.tool_calls:
            message = AIMessage(content=_cut_at_stop(message.content, stop))
        return message

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._message(messages, stop, **kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)  # pure computation: no I/O to wait for

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _chunks(self._message(messages, stop, **kwargs)):
            if run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in _chunks(self._message(messages, stop, **kwargs)):
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """The message as a model streams it: its text word by word, then its tool calls, one chunk each."""
    text = message.content if isinstance(message.content, str) else ""
    for piece in _WORD_STARTS.split(text) if text else []:
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
    for index, call in enumerate(message.tool_calls):
        part = ToolCallChunk(name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=index, type="tool_call_chunk")
        yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[part]))
    yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))


def respond(messages: Sequence[BaseMessage], *, tools: frozenset[str]) -> AIMessage:
    """The offline model's next message for a conversation.

    Args:
        messages: The whole conversation so far.
        tools: Names of the tools it may call.

    Returns:
        An AIMessage with one tool call, or the final answer as text.
    """
    conversation = read_conversation(messages)
    intent = read_intent(conversation.request)
    step = _next_step(intent, conversation, tools)
    if isinstance(step, _Call) and step.tool.value in {o.tool for o in conversation.turn}:
        step = None
    if isinstance(step, _Call):
        call_id = _call_id(len(messages), conversation.request, step)
        return AIMessage(content="", tool_calls=[ToolCall(name=step.tool.value, args=step.args, id=call_id, type="tool_call")])
    return AIMessage(content=_answer(intent, conversation, step))


def _allowed_tools(tools: list[dict[str, Any]], tool_choice: str | dict[str, Any] | bool | None) -> frozenset[str]:
    bound = frozenset(t["function"]["name"] for t in tools if "function" in t)
    if isinstance(tool_choice, bool) or tool_choice is None:
        return bound if tool_choice is not False else frozenset()
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        return bound & {name} if isinstance(name, str) else bound
    if tool_choice in _ANY_TOOL:
        return bound
    if tool_choice == "none":
        return frozenset()
    return bound & {tool_choice}


def _cut_at_stop(text: str, stop: list[str]) -> str:
    cuts = [text.index(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


def _call_id(position: int, request: str, call: _Call) -> str:
    """Deterministic and unique within a conversation: the position grows with every model call."""
    seed = json.dumps([position, request, call.tool.value, call.args], sort_keys=True, ensure_ascii=False)
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _step(tool: ToolName, tools: frozenset[str], **args: Any) -> _Call | _Missing | _Invalid:
    if tool.value not in tools:
        return _Missing(tool=tool)
    try:
        validated = TOOL_ARGS[tool].model_validate(args)
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"] for e in err.errors()
        ]
        return _Invalid(tool=tool, problems=problems)
    return _Call(tool=tool, args=validated.model_dump(exclude_none=True))


_Step = _Call | _Missing | _Invalid | None


def _next_step(intent: Intent, conversation: Conversation, tools: frozenset[str]) -> _Step:
    """The next tool call of this turn, a reason it cannot be made, or None to answer now."""
    turn = conversation.turn
    last = turn[-1].result if turn else None
    if turn and (last is None or isinstance(last, ErrorResult)):
        return None
    if intent.kind == "draft":
        if intent.customer is None and intent.signal_id is None:
            return None
        if not turn:
            if ToolName.GATHER_CONTEXT.value in tools:
                return _step(ToolName.GATHER_CONTEXT, tools, customer=intent.customer, signal_id=intent.signal_id)
            return _step(
                ToolName.DRAFT_RESPONSE, tools, customer=intent.customer, signal_id=intent.signal_id,
                instructions=intent.instructions,
            )
        if isinstance(last, ContextResult):
            return _step(ToolName.DRAFT_RESPONSE, tools, signal_id=last.signal_id, instructions=intent.instructions)
        return None
    if turn:
        return None
    if intent.kind == "strategy":
        signal_id = conversation.current_signal_id()
        return _step(ToolName.PICK_STRATEGY, tools, signal_id=signal_id) if signal_id else None
    tool = _REVIEW_TOOLS.get(intent.kind)
    response_id = conversation.current_response_id()
    if tool is None or response_id is None:
        return None
    if tool is ToolName.SEND_RESPONSE:
        return _step(tool, tools, response_id=response_id, urgent=intent.urgent)
    if tool in (ToolName.ADD_CCS, ToolName.REMOVE_CCS):
        return _step(tool, tools, response_id=response_id, who=intent.who)
    if tool is ToolName.EDIT_DRAFT:
        return _step(
            tool, tools, response_id=response_id, subject=intent.subject, body=intent.body,
            replace=intent.replace, with_text=intent.with_text,
        )
    return _step(tool, tools, response_id=response_id)


def _answer(intent: Intent, conversation: Conversation, step: _Step) -> str:
    parts = [_turn_text(intent, conversation)] if conversation.turn else []
    if isinstance(step, _Missing):
        parts.append(render_chat("tool_unavailable.j2", tool=step.tool.value))
    elif isinstance(step, _Invalid):
        parts.append(render_chat("invalid_request.j2", tool=step.tool.value, problems=step.problems))
    elif not conversation.turn:
        parts.append(_no_tool_text(intent))
    return "\n\n".join(p for p in parts if p)


def _no_tool_text(intent: Intent) -> str:
    if intent.kind == "draft":
        return render_chat("ask_target.j2")
    if intent.kind in _REVIEW_TOOLS or intent.kind == "strategy":
        return render_chat("no_draft.j2", kind=intent.kind)
    template: dict[str, str] = {"edit_help": "edit_help.j2", "hold": "hold.j2"}
    return render_chat(template.get(intent.kind, "help.j2"))


def _turn_text(intent: Intent, conversation: Conversation) -> str:
    outcome = conversation.turn[-1]
    tool = outcome.tool
    if outcome.rejected:
        return render_chat(
            "rejected.j2", tool=tool, reason=outcome.reason, response_id=conversation.current_response_id()
        )
    if outcome.answered is not None:
        return render_chat("reviewer_answer.j2", tool=tool, answer=outcome.answered)
    result = outcome.result
    if result is None:
        return render_chat("tool_failed.j2", tool=tool, reason=outcome.reason)
    context = _turn_context(conversation.turn)
    if isinstance(result, ErrorResult):
        text = render_chat("error.j2", error=result.error, context=context)
    elif isinstance(result, ContextResult | DraftResult):
        draft = result if isinstance(result, DraftResult) else None
        if draft is not None and context is None and intent.kind == "show":
            text = render_chat("show.j2", draft=draft)
        else:
            text = render_chat("draft.j2", context=context, draft=draft)
    else:
        text = render_chat(_RESULT_TEMPLATES[type(result)], result=result)
    return _with_review_note(text, outcome)


def _turn_context(turn: list[ToolOutcome]) -> ContextResult | None:
    return next((o.result for o in reversed(turn) if isinstance(o.result, ContextResult)), None)


def _with_review_note(text: str, outcome: ToolOutcome) -> str:
    if not outcome.reviewer_edited:
        return text
    return f"{render_chat('reviewer_edited.j2', tool=outcome.tool)}\n\n{text}"

