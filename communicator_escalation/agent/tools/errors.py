"""The base of every tool result, and the result of an expected failure (`ErrorResult`, with candidates).

Results forbid unknown fields and serialize as compact JSON without null fields (`to_content`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from communicator_escalation.errors import EscalationError
from communicator_escalation.models import ErrorDetail as _ErrorDetail
from communicator_escalation.models import Model, ReviewNote

__all__ = ["Candidate", "ErrorDetail", "ErrorResult", "Part", "Result"]


class Part(Model):
    """A piece of a tool result."""


class Result(Part):
    """A whole tool result."""

    def to_content(self) -> str:
        """The ToolMessage content: compact JSON without null fields."""
        return self.model_dump_json(exclude_none=True)


class Candidate(Part):
    """One option when a request was ambiguous or matched nothing."""

    id: str | None = Field(default=None, description="Id of the option (customer, signal, staff).")
    label: str = Field(description="What to show, e.g. the customer name.")
    detail: str | None = Field(default=None, description="A short hint telling options apart.")


class ErrorDetail(Part, _ErrorDetail):
    """An expected failure, with its candidates as the model reads them."""

    candidates: list[Candidate] = Field(default_factory=list, description="Options to choose from, or close matches.")


class ErrorResult(Result):
    """Result of any tool on an expected failure."""

    kind: Literal["error"] = "error"
    ok: Literal[False] = False
    error: ErrorDetail = Field(description="The failure.")

    @classmethod
    def from_error(cls, err: EscalationError) -> ErrorResult:
        """Result for an expected failure raised by the workflow."""
        return cls(error=ErrorDetail(code=err.code, message=err.message, candidates=[_candidate(c) for c in err.candidates],
                                     notes=[ReviewNote.model_validate(n) for n in err.notes] or None))


_ID_KEYS = ("id", "signal_id", "customer_id", "staff_id")
_LABEL_KEYS = ("label", "name", "title", "email")
_DETAIL_KEYS = ("detail", "reason", "description", "severity")


def _candidate(value: Any) -> Candidate:
    if isinstance(value, Candidate):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return Candidate(label=str(value))

    def pick(keys: tuple[str, ...]) -> str | None:
        return next((str(value[k]) for k in keys if value.get(k) not in (None, "")), None)

    ident = pick(_ID_KEYS)
    return Candidate(id=ident, label=pick(_LABEL_KEYS) or ident or json.dumps(value, default=str), detail=pick(_DETAIL_KEYS))
