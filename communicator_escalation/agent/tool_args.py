"""The escalation tools' names and argument models: the contract between the model and the tools.

Every tool takes one of the `*Args` models below as its `args_schema`; `model_json_schema()` of it is
what an LLM sees, so every field is described. All models forbid unknown fields: in particular the
send tool cannot be given addresses or text, only a response id and the urgency (plus the host-only
content hash the host pins at review time, hidden from the model's schema).
Blank optional strings (`""`) are read as "not given", because LLMs often send them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema


class ToolName(StrEnum):
    """Names of the escalation tools, fixed for every front door and model."""

    GATHER_CONTEXT = "gather_escalation_context"
    PICK_STRATEGY = "pick_response_strategy"
    DRAFT_RESPONSE = "draft_escalation_response"
    SUGGEST_CCS = "suggest_escalation_ccs"
    EDIT_DRAFT = "edit_escalation_draft"
    ADD_CCS = "add_escalation_ccs"
    REMOVE_CCS = "remove_escalation_ccs"
    SHOW_DRAFT = "show_escalation_draft"
    SEND_RESPONSE = "send_escalation_response"
    CANCEL_RESPONSE = "cancel_escalation_response"


_ID_MAX = 100
_NAME_MAX = 200
_WHO_MAX_ITEMS = 20
_SUBJECT_MAX = 250
_BODY_MAX = 20_000
_INSTRUCTIONS_MAX = 2_000

_RESPONSE_ID = Field(
    min_length=1,
    max_length=_ID_MAX,
    description="Id of the drafted escalation response, as returned in `response_id` by draft_escalation_response.",
)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _CustomerOrSignal(_Args):
    customer: str | None = Field(
        default=None,
        max_length=_NAME_MAX,
        description=(
            "Customer as the CSM named it: full or partial account name in any language, or the customer id. "
            "Give this or signal_id."
        ),
    )
    signal_id: str | None = Field(
        default=None,
        max_length=_ID_MAX,
        description="Risk signal id of the escalation (e.g. from an alert). When given it wins over customer.",
    )

    @field_validator("customer", "signal_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @model_validator(mode="after")
    def _one_target(self) -> _CustomerOrSignal:
        if self.customer is None and self.signal_id is None:
            raise ValueError("give customer or signal_id")
        return self


class GatherContextArgs(_CustomerOrSignal):
    """Find the customer's open escalation (or the given signal) and summarize its context."""


class PickStrategyArgs(_Args):
    """Choose the escalation type, tone, template and SLA timeline for one escalation."""

    signal_id: str = Field(
        min_length=1,
        max_length=_ID_MAX,
        description="Risk signal id of the escalation, as returned in `signal_id` by gather_escalation_context.",
    )


class DraftResponseArgs(_CustomerOrSignal):
    """Draft the escalation response email (a stored draft; nothing is sent)."""

    instructions: str | None = Field(
        default=None,
        max_length=_INSTRUCTIONS_MAX,
        description="Optional wishes of the CSM for the wording, e.g. 'keep it short'. Never changes recipients or facts.",
    )

    @field_validator("instructions", mode="before")
    @classmethod
    def _blank_instructions(cls, value: Any) -> Any:
        return _blank_to_none(value)


class SuggestCcsArgs(_Args):
    """List the internal people suggested as CCs for a draft, each with the reason."""

    response_id: str = _RESPONSE_ID


class EditDraftArgs(_Args):
    """Change the subject or body of a draft; an edit after approval voids the approval."""

    response_id: str = _RESPONSE_ID
    subject: str | None = Field(
        default=None, max_length=_SUBJECT_MAX, description="New subject line, one line of text."
    )
    body: str | None = Field(default=None, max_length=_BODY_MAX, description="New full body text.")
    replace: str | None = Field(
        default=None, max_length=_BODY_MAX, description="Exact text in the subject or body to replace; use with with_text."
    )
    with_text: str | None = Field(
        default=None,
        max_length=_BODY_MAX,
        description="Text that replaces every occurrence of `replace`; an empty string deletes it.",
    )

    @field_validator("subject", "body", "replace", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and any(ch in value for ch in "\r\n\x00"):
            raise ValueError("the subject must be one line (no CR, LF or NUL)")
        return value

    @model_validator(mode="after")
    def _some_change(self) -> EditDraftArgs:
        if self.replace is None:
            if self.with_text:
                raise ValueError("with_text needs replace")
            self.with_text = None
        elif self.with_text is None:
            raise ValueError("replace needs with_text")
        if self.subject is None and self.body is None and self.replace is None:
            raise ValueError("give subject, body, or replace with with_text")
        return self


class AddCcsArgs(_Args):
    """Add internal CCs to a draft; only staff from the directory can be added."""

    response_id: str = _RESPONSE_ID
    who: list[str] = Field(
        default_factory=list,
        max_length=_WHO_MAX_ITEMS,
        description=(
            "People to add: staff names, staff email addresses, or roles such as 'my manager', 'support lead', "
            "'account executive'. An empty list adds every suggested CC."
        ),
    )

    @field_validator("who")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return _clean_who(value)


class RemoveCcsArgs(_Args):
    """Remove CCs from a draft."""

    response_id: str = _RESPONSE_ID
    who: list[str] = Field(
        min_length=1,
        max_length=_WHO_MAX_ITEMS,
        description="People to remove: names, email addresses or roles of current CCs.",
    )

    @field_validator("who")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        cleaned = _clean_who(value)
        if not cleaned:
            raise ValueError("name at least one CC to remove")
        return cleaned


class ShowDraftArgs(_Args):
    """Show a draft as it stands: recipients, subject, body, suggestions and SLA."""

    response_id: str = _RESPONSE_ID


class SendResponseArgs(_Args):
    """Request approval for a draft and send it once approved (exactly once)."""

    response_id: str = _RESPONSE_ID
    urgent: bool = Field(
        default=False,
        description="True for 'Send Urgently': asks for expedited approval under the escalation policy.",
    )
    content_hash: SkipJsonSchema[str | None] = Field(
        default=None,
        pattern=r"^(?:[0-9a-f]{64})?$",
        description=(
            "HOST-ONLY, not in the model's schema: content hash of the draft as the CSM's review card showed it."
            " The host records it when the call is put up for review and sets it when the call runs"
            " (agent/review_pins.py), overwriting any value the model or an edit gave; the send is refused"
            " when the draft no longer has this content. None (a direct call, no host review): no such check."
        ),
    )


class CancelResponseArgs(_Args):
    """Discard a draft that has not been sent."""

    response_id: str = _RESPONSE_ID


def _clean_who(value: list[str]) -> list[str]:
    cleaned: list[str] = []
    for item in value:
        text = " ".join(item.split())
        if len(text) > _NAME_MAX:
            raise ValueError(f"a name or role is at most {_NAME_MAX} characters")
        if text and text.casefold() not in {seen.casefold() for seen in cleaned}:
            cleaned.append(text)
    return cleaned


TOOL_ARGS: dict[ToolName, type[BaseModel]] = {
    ToolName.GATHER_CONTEXT: GatherContextArgs,
    ToolName.PICK_STRATEGY: PickStrategyArgs,
    ToolName.DRAFT_RESPONSE: DraftResponseArgs,
    ToolName.SUGGEST_CCS: SuggestCcsArgs,
    ToolName.EDIT_DRAFT: EditDraftArgs,
    ToolName.ADD_CCS: AddCcsArgs,
    ToolName.REMOVE_CCS: RemoveCcsArgs,
    ToolName.SHOW_DRAFT: ShowDraftArgs,
    ToolName.SEND_RESPONSE: SendResponseArgs,
    ToolName.CANCEL_RESPONSE: CancelResponseArgs,
}
"""The `args_schema` of every tool, by name."""
