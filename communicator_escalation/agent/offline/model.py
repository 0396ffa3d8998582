"""The offline chat model: a deterministic BaseChatModel that drives the escalation tools.

It is a product mode, not a test double: without an OpenAI key the agent runs on it. Each call reads
the conversation (the CSM's latest message and the tool results since), reads the message as one or
several actions (`intents.py`), and either asks for the next tool call of its plan (`plan.py`), or
answers with text rendered from prompts/chat/ out of this turn's tool results (`answers.py`).
Which customer, contact or escalation the CSM named is read by the context and draft tools against
the database (the model passes the CSM's words as `request`). Tool-call messages carry no text; the
final answer holds the whole turn (context, draft card, ...). It calls only tools that are bound;
when a needed tool is missing it says so in text.
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
from pydantic import BaseModel, Field

from ...errors import error_text
from .answers import answer
from .conversation import read_conversation
from .intents import read_actions
from .plan import Call, plan

_PROVIDER = "communicator_escalation"
_WORD_STARTS = re.compile(r"(?<=\s)(?=\S)")
"""Where the streamed text is cut: before each word, so every piece is a word and the space after it."""
_ANY_TOOL = {"auto", "any", "required"}
_SCHEMA_CACHE_SIZE = 256
_SCHEMAS: dict[int, tuple[BaseTool, dict[str, Any]]] = {}
"""Tool schemas by tool identity (the tool is kept with its schema, so an id is never reused while cached)."""


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
        formatted = [_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Not supported: the offline model only drives the escalation tools.

        Raises:
            NotImplementedError: Always; use an LLM (ChatOpenAI) for free-form structured output.
        """
        raise NotImplementedError(error_text("system.offline_schemas"))

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
        for chunk in message_chunks(self._message(messages, stop, **kwargs)):
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
        for chunk in message_chunks(self._message(messages, stop, **kwargs)):
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _openai_tool(tool: dict[str, Any] | type | Callable[..., Any] | BaseTool) -> dict[str, Any]:
    """The OpenAI schema of a tool; a BaseTool's is computed once (create_agent binds the tools on every call)."""
    if not isinstance(tool, BaseTool):
        return convert_to_openai_tool(tool)
    cached = _SCHEMAS.get(id(tool))
    if cached is None or cached[0] is not tool:
        if len(_SCHEMAS) >= _SCHEMA_CACHE_SIZE:
            _SCHEMAS.pop(next(iter(_SCHEMAS)))
        cached = _SCHEMAS[id(tool)] = (tool, convert_to_openai_tool(tool))
    return cached[1]


def message_chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
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
    progress = plan(read_actions(conversation.request), conversation, tools)
    step = progress.next
    if isinstance(step, Call):
        call_id = _call_id(len(messages), conversation.request, step)
        return AIMessage(content="", tool_calls=[ToolCall(name=step.tool.value, args=step.args, id=call_id, type="tool_call")])
    return AIMessage(content=answer(progress))


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


def _call_id(position: int, request: str, call: Call) -> str:
    """Deterministic and unique within a conversation: the position grows with every model call."""
    seed = json.dumps([position, request, call.tool.value, call.args], sort_keys=True, ensure_ascii=False)
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:24]
