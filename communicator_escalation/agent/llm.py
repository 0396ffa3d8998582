"""The LLM factory: ChatOpenAI when an API key is configured, else no model (template drafts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["LLM_MAX_RETRIES", "make_chat_model"]

LLM_MAX_RETRIES = 1
"""Client-side retries of one LLM call: a slow or failing model must not hold up a draft for long."""


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """`langchain_openai.ChatOpenAI` for `settings`, or None when OPENAI_API_KEY is unset or empty.

    Covers OpenAI, Azure's OpenAI-compatible endpoint and any local OpenAI-compatible server
    (`OPENAI_BASE_URL`); the model is `ESCALATION_LLM_MODEL` and each call times out after
    `ESCALATION_LLM_TIMEOUT_SECONDS`.
    """
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value().strip():
        return None
    from langchain_openai import ChatOpenAI  # imported only when a model is configured (slow import)

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=LLM_MAX_RETRIES,
    )
