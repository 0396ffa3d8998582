"""Strict input at the API's door: bodies refuse unknown fields, strings refuse what `safe_text` refuses,
and ids in paths and queries have a shape and a length before they reach the workflow (and SQL).

A request that breaks any of these is a 422 with the error body; nothing is read from or written to
the database for it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..safe_text import (
    ID_MAX_LENGTH, ID_PATTERN, LINE_PATTERN, WORLD_ID_MAX_LENGTH, Identifier, SingleLine, WorldId, nested_text_problem,
)

__all__ = [
    "ID_PATTERN",
    "ApprovalFilter",
    "ApprovalId",
    "ApprovalQuery",
    "CleanJson",
    "CustomerRef",
    "Identifier",
    "ResponseId",
    "SignalId",
    "StrictBody",
    "WorldId",
]

class StrictBody(BaseModel):
    """A request body: a field the API does not know is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _clean_nested(value: dict[str, Any]) -> dict[str, Any]:
    """`value` if every key and string in it, however nested, is text (`safe_text.nested_text_problem`)."""
    if (problem := nested_text_problem(value)) is not None:
        raise ValueError(problem)
    return value


CleanJson = Annotated[dict[str, Any], AfterValidator(_clean_nested)]
"""A free-form JSON object whose keys and strings are text (no NUL, lone surrogate or control character)."""

_ID_RULE = f"matches {ID_PATTERN}"
ResponseId = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                 description=f"Escalation response id (e.g. resp-3f2a...); {_ID_RULE}.")]
SignalId = Annotated[str, Path(min_length=1, max_length=WORLD_ID_MAX_LENGTH, pattern=LINE_PATTERN,
                               description="Risk signal id, as the world gives it (one line, at most 200 characters).")]
ApprovalId = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                 description=f"Approval request id; {_ID_RULE}.")]
CustomerRef = Annotated[SingleLine, Path(min_length=1, max_length=200,
                                          description="Customer id, or a name as the CLI and the chat resolve it.")]


class ApprovalQuery(StrictBody):
    """The approval list's query: which state to list (another query parameter is an error)."""

    status: Literal["pending", "approved", "rejected", "void", "all"] = Field(
        default="pending", description="pending (default), approved, rejected, void or all"
    )


ApprovalFilter = Annotated[ApprovalQuery, Query()]
