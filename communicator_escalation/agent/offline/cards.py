"""The draft card, for every model: after a draft, the turn ends with the card rendered from the stored draft.

An LLM that answers after the draft tool would re-type the whole email (and could change it). Instead,
when the latest tool results of the turn hold a draft (draft or show tool) and the CSM asked for
nothing more than a draft (read with the offline model's reader: "draft ... and cc my manager"
goes on to the CC change), `DraftCardMiddleware` answers the model call itself: the context gathered
this turn and the draft card, as the offline model renders them from the draft the tool returned
(read from the database). The answer is streamed word by word like a model's. The model's own words
in the turn are at most the short framing it wrote with its tool calls. This saves the model call
that would re-read the draft, the longest prompt of the turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from ..tools.results import ContextResult, DraftResult
from .answers import draft_turn_text
from .conversation import read_conversation
from .intents import read_actions
from .model import message_chunks

__all__ = ["DraftCardMiddleware"]

_CARD_ACTIONS = {"draft", "redraft", "show", "update", "help"}
"""Requests the card answers in full; "help" is a message the offline reader does not know (another language)."""


class _Card(BaseChatModel):
    """Says one fixed text, streamed word by word (so a streaming front door shows it like a model's)."""

    text: str = Field(description="What to say.")

    @property
    def _llm_type(self) -> str:
        return "escalation-draft-card"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.text))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in message_chunks(AIMessage(content=self.text)):
            if run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in message_chunks(AIMessage(content=self.text)):
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def card_for(messages: list[BaseMessage]) -> str | None:
    """The card to end the turn with, or None when the model should go on."""
    conversation = read_conversation(messages)
    results = [o.result for o in conversation.turn]
    if not results or not isinstance(results[-1], DraftResult) or not messages or not _answers_a_tool(messages[-1]):
        return None
    actions = read_actions(conversation.request)
    if any(a.kind not in _CARD_ACTIONS for a in actions):
        return None
    context = next((r for r in reversed(results) if isinstance(r, ContextResult)), None)
    return draft_turn_text(context, results[-1], shown=bool(actions) and all(a.kind == "show" for a in actions))


def _answers_a_tool(message: BaseMessage) -> bool:
    return message.type == "tool"


class DraftCardMiddleware(AgentMiddleware[Any, Any]):
    """Ends a draft turn with the card rendered from the stored draft instead of another model call."""

    def wrap_model_call(
        self, request: ModelRequest[Any], handler: Callable[[ModelRequest[Any]], ModelResponse]
    ) -> ModelResponse:
        """Say the card when the turn's last result is a draft the CSM only asked to see."""
        card = card_for(list(request.messages))
        return handler(request if card is None else request.override(model=_Card(text=card), tools=[]))

    async def awrap_model_call(
        self, request: ModelRequest[Any], handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        """`wrap_model_call` for async runs (pure computation, no I/O)."""
        card = card_for(list(request.messages))
        return await handler(request if card is None else request.override(model=_Card(text=card), tools=[]))
