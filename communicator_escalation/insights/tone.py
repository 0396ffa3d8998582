"""The tone of a customer's reply: positive, neutral or negative.

Offline by default with VADER (`vaderSentiment`, a lexicon and rule-based analyser made for short
informal text: it reads negation, intensifiers and "but"); with an LLM configured, one
structured-output call per reply, the reply inside a delimited data block, falling back to the
lexicon when the call fails. VADER knows English; a reply in another language mostly reads neutral.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from ..config import Settings
from ..rendering import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["LexiconTone", "LlmTone", "Tone", "ToneReader", "tone_reader"]

Tone = Literal["positive", "neutral", "negative"]
_THRESHOLD = 0.05  # VADER's own cut-off on the compound score
_DELIMITERS = re.compile(r"<\s*/?\s*reply\b", re.IGNORECASE)
logger = logging.getLogger(__name__)


class ToneReader(Protocol):
    """Reads the tone of one reply."""

    method: str

    def __call__(self, text: str) -> Tone:
        """The tone of `text`."""
        ...


@lru_cache(maxsize=1)
def _analyser() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # loads its lexicon file

    return SentimentIntensityAnalyzer()


class LexiconTone:
    """VADER's compound score: >= 0.05 positive, <= -0.05 negative, else neutral."""

    method = "lexicon"

    def __call__(self, text: str) -> Tone:
        score = float(_analyser().polarity_scores(text or "")["compound"])
        return "positive" if score >= _THRESHOLD else "negative" if score <= -_THRESHOLD else "neutral"


class _ToneAnswer(BaseModel):
    tone: Tone = Field(description="positive, neutral or negative, as the customer feels about the vendor's handling.")


class LlmTone:
    """One structured-output call per reply; the lexicon when the call fails."""

    method = "llm"

    def __init__(self, llm: BaseChatModel) -> None:
        self._llm = llm.with_structured_output(_ToneAnswer)
        self._fallback = LexiconTone()

    def __call__(self, text: str) -> Tone:
        from langchain_core.messages import HumanMessage, SystemMessage

        safe = _DELIMITERS.sub(lambda m: m.group(0).replace("<", "&lt;"), text or "")
        messages = [SystemMessage(render("insights/tone_system.j2")), HumanMessage(render("insights/tone_user.j2", reply=safe))]
        try:
            answer = self._llm.invoke(messages)
        except Exception as err:  # any model failure: the lexicon answers instead
            logger.warning("reply tone by LLM failed (%s); using the lexicon", type(err).__name__)
            return self._fallback(text)
        return answer.tone if isinstance(answer, _ToneAnswer) else self._fallback(text)


def tone_reader(settings: Settings) -> ToneReader:
    """The LLM reader when OPENAI_API_KEY is set, else the offline lexicon."""
    from ..agent.llm import make_chat_model

    llm = make_chat_model(settings)
    return LlmTone(llm) if llm is not None else LexiconTone()
