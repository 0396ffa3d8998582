"""The escalation tools' names and argument models: the contract between the model and the tools.

Every tool takes one of the `*Args` models below as its `args_schema`; `model_json_schema()` of it is
what an LLM sees, so every field is described. All models forbid unknown fields: in particular the
send tool cannot be given addresses or text, only a response id and the urgency (plus the host-only
content hash the host pins at review time, hidden from the model's schema).
Blank optional strings (`""`) are read as "not given", because LLMs often send them. Strings follow
the rules every door applies (`safe_text`): ids have an id's shape before they reach SQL, one-line
fields refuse control characters and line breaks, the subject the send path's header rule, and any
text NUL, lone surrogates and control characters other than tab and line breaks.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from communicator_escalation.errors import error_text
from communicator_escalation.models import Severity
from communicator_escalation.safe_text import HeaderLine, Identifier, MultiLine, SingleLine, WorldId


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
    LIST_OPEN = "list_open_escalations"
    DRAFT_UPDATE = "draft_escalation_update"


_NAME_MAX = 200
_WHO_MAX_ITEMS = 20
_SUBJECT_MAX = 250
_BODY_MAX = 20_000
_INSTRUCTIONS_MAX = 2_000
_REQUEST_MAX = 2_000
_LIMIT_MAX = 50

_RESPONSE_ID = Field(description="The draft's response_id.")
_SCHEMA_LIMITS = frozenset(
    {"title", "maxLength", "minLength", "maxItems", "minItems", "maximum", "minimum", "pattern"}
)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _CustomerOrSignal(_Args):
    customer: SingleLine | None = Field(
        default=None,
        max_length=_NAME_MAX,
        description="Customer name (any language, typos ok) or id; a contact's name also works.",
    )
    signal_id: WorldId | None = Field(default=None, description="Risk signal id; wins over the rest.")
    request: MultiLine | None = Field(
        default=None,
        max_length=_REQUEST_MAX,
        description="The CSM's sentence naming the escalation (customer, contact or signal id in it).",
    )

    @field_validator("customer", "signal_id", "request", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @model_validator(mode="after")
    def _one_target(self) -> _CustomerOrSignal:
        if self.customer is None and self.signal_id is None and self.request is None:
            raise ValueError(error_text("requests.tool_target"))
        return self


class GatherContextArgs(_CustomerOrSignal):
    """Find the escalation (the customer's most urgent open one, or the signal) and its context."""


class PickStrategyArgs(_Args):
    """Type, tone (with reasons), SLA clock and timeline of an escalation."""

    signal_id: WorldId = Field(description="The escalation's signal_id.")


class DraftResponseArgs(_CustomerOrSignal):
    """Draft the response email (stored; nothing is sent). The CSM sees the draft card; don't repeat it."""

    instructions: MultiLine | None = Field(
        default=None,
        max_length=_INSTRUCTIONS_MAX,
        description="The CSM's wishes for tone or content, e.g. 'softer tone'.",
    )

    @field_validator("instructions", mode="before")
    @classmethod
    def _blank_instructions(cls, value: Any) -> Any:
        return _blank_to_none(value)


class SuggestCcsArgs(_Args):
    """Suggested and current CCs of a draft, with reasons."""

    response_id: Identifier = _RESPONSE_ID


class EditDraftArgs(_Args):
    """Edit a draft: subject, body, a replacement, or the recipient."""

    response_id: Identifier = _RESPONSE_ID
    subject: HeaderLine | None = Field(default=None, max_length=_SUBJECT_MAX, description="New subject (one line).")
    body: MultiLine | None = Field(default=None, max_length=_BODY_MAX, description="New full body.")
    replace: MultiLine | None = Field(default=None, max_length=_BODY_MAX, description="Exact text to replace.")
    with_text: MultiLine | None = Field(
        default=None, max_length=_BODY_MAX, description="Replacement for `replace` ('' deletes it)."
    )
    to: SingleLine | None = Field(
        default=None, max_length=_NAME_MAX, description="New recipient: a contact of the customer."
    )

    @field_validator("subject", "body", "replace", "to", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @model_validator(mode="after")
    def _some_change(self) -> EditDraftArgs:
        if self.replace is None:
            if self.with_text:
                raise ValueError(error_text("requests.with_needs_replace"))
            self.with_text = None
        elif self.with_text is None:
            raise ValueError(error_text("requests.replace_needs_with"))
        if self.subject is None and self.body is None and self.replace is None and self.to is None:
            raise ValueError(error_text("requests.edit_nothing"))
        return self


class AddCcsArgs(_Args):
    """Add internal CCs (staff only) to a draft."""

    response_id: Identifier = _RESPONSE_ID
    who: list[SingleLine] = Field(
        default_factory=list,
        max_length=_WHO_MAX_ITEMS,
        description="Staff names, emails or roles ('my manager', 'support lead'); empty adds the suggested CCs.",
    )

    @field_validator("who")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return _clean_who(value)


class RemoveCcsArgs(_Args):
    """Remove CCs from a draft."""

    response_id: Identifier = _RESPONSE_ID
    who: list[SingleLine] = Field(
        min_length=1,
        max_length=_WHO_MAX_ITEMS,
        description="Names, emails or roles of current CCs.",
    )

    @field_validator("who")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        cleaned = _clean_who(value)
        if not cleaned:
            raise ValueError(error_text("requests.cc_remove_empty"))
        return cleaned


class ShowDraftArgs(_Args):
    """Show a draft as it stands (the CSM sees the card)."""

    response_id: Identifier = _RESPONSE_ID


class DraftUpdateArgs(_CustomerOrSignal):
    """Draft the next status update (the closing email once resolved) on a sent escalation's thread."""

    response_id: Identifier | None = Field(default=None, description="A sent response of the thread; wins over the rest.")

    @field_validator("response_id", mode="before")
    @classmethod
    def _blank_response(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @model_validator(mode="after")
    def _one_target(self) -> DraftUpdateArgs:
        if self.customer is None and self.signal_id is None and self.request is None and self.response_id is None:
            raise ValueError(error_text("requests.tool_any_target"))
        return self


class SendResponseArgs(_Args):
    """Send a draft after the CSM's review and approval (exactly once)."""

    response_id: Identifier = _RESPONSE_ID
    urgent: bool = Field(
        default=False,
        description="True for 'Send Urgently' (expedited approval).",
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

    response_id: Identifier = _RESPONSE_ID


class ListOpenEscalationsArgs(_Args):
    """Open escalations, most urgent first, with SLA clocks ("what is open", "what's next")."""

    scope: Literal["mine", "team", "all"] = Field(
        default="all", description="mine, team or all I may reach."
    )
    severity: list[Severity] = Field(default_factory=list, description="Only these severities.")
    limit: int | None = Field(default=None, ge=1, le=_LIMIT_MAX, description="At most this many.")
    updates: bool = Field(default=False, description="Only answered ones with a status update clock, soonest due.")


def _clean_who(value: list[str]) -> list[str]:
    cleaned: list[str] = []
    for item in value:
        text = " ".join(item.split())
        if len(text) > _NAME_MAX:
            raise ValueError(error_text("requests.name_too_long", limit=_NAME_MAX))
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
    ToolName.LIST_OPEN: ListOpenEscalationsArgs,
    ToolName.DRAFT_UPDATE: DraftUpdateArgs,
}
"""The `args_schema` of every tool, by name."""


@lru_cache(maxsize=None)
def model_facing(model: type[BaseModel]) -> type[BaseModel]:
    """The args model as a model sees it: the same fields and validation, and `model_schema` as its JSON schema."""

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        return model_schema(model)

    namespace = {"__doc__": model.__doc__, "__module__": model.__module__, "model_json_schema": classmethod(model_json_schema)}
    return type(model.__name__, (model,), namespace)


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema a model sees for a tool's arguments: types, required fields and descriptions.

    Optional fields read as their plain type and length and range limits are left out (the tools
    still enforce them when they validate the call), so a tool costs a model few prompt tokens.
    """
    return _compact(model.model_json_schema())


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [o for o in options if o != {"type": "null"}]
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **kept}
    return {
        k: _compact(v) for k, v in node.items()
        if k not in _SCHEMA_LIMITS and not (k == "default" and v in (None, [], "")) and k != "additionalProperties"
    }
