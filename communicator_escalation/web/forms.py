"""What the web UI's forms and fetches may send: the API's strict-input rules (api/strict.py).

A field a form does not declare is refused (422), text follows `safe_text` (no control characters; a
subject is a header line), every string has a length limit, ids have the API's shape, and a `next`
address must be a path on this site. `csrf_token` is declared so that the strict models accept it;
`csrf_protect` has checked it before a route runs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import AfterValidator, Field

from ..api.strict import ID_PATTERN, Identifier, StrictBody
from ..safe_text import HeaderLine, MultiLine, SingleLine

__all__ = [
    "ApprovalDecisionForm",
    "CcForm",
    "CsrfForm",
    "DecisionForm",
    "EditForm",
    "LinkCode",
    "LinkForm",
    "LoginForm",
    "MessageForm",
    "NotesCheck",
    "QueryResponseId",
]

_CODE_PATTERN = r"^[A-Za-z0-9_-]{20,100}$"


def _local_path(value: str) -> str:
    """`value` if it is a path on this site ('/...', not '//host' or '/\\host'), else '/'."""
    return value if value.startswith("/") and not value.startswith(("//", "/\\")) else "/"


LocalPath = Annotated[SingleLine, Field(max_length=500), AfterValidator(_local_path)]

QueryResponseId = Annotated[str | None, Query(min_length=1, max_length=128, pattern=ID_PATTERN)]
LinkCode = Annotated[str, Query(pattern=_CODE_PATTERN)]


class CsrfForm(StrictBody):
    """A form with nothing but its CSRF token (sign-out, the quick action)."""

    csrf_token: SingleLine = Field(default="", max_length=200, description="The page's CSRF token.")


class LoginForm(CsrfForm):
    """Sign in with an access token from `escalation token create`."""

    access_token: SingleLine = Field(min_length=1, max_length=200, description="The access token.")
    next: LocalPath = Field(default="/", description="Page to open once signed in.")


class LinkForm(CsrfForm):
    """Sign in with the code of a one-time sign-in link."""

    code: str = Field(pattern=_CODE_PATTERN, description="The link's one-time code.")


class MessageForm(CsrfForm):
    """A message to the agent, typed or sent by a button (e.g. 'Send Urgently')."""

    message: MultiLine = Field(min_length=1, max_length=4000, description="What the CSM says.")


class DecisionForm(CsrfForm):
    """The CSM's decision on the review card."""

    decision: Literal["approve", "reject"] = Field(description="approve sends exactly what the card showed.")
    reason: MultiLine = Field(default="", max_length=2000, description="Why, with a rejection.")


class CcForm(CsrfForm):
    """Suggested CCs the CSM ticked."""

    staff_id: list[Identifier] = Field(default_factory=list, max_length=50, description="Staff ids to add.")


class EditForm(CsrfForm):
    """The draft's subject and body as edited in place."""

    subject: HeaderLine = Field(min_length=1, max_length=998, description="Subject line.")
    body: MultiLine = Field(min_length=1, max_length=50_000, description="Plain-text body.")


class NotesCheck(StrictBody):
    """Content to check while the CSM types (nothing is saved)."""

    subject: MultiLine = Field(max_length=998, description="Subject as typed (checked as the send would).")
    body: MultiLine = Field(max_length=50_000, description="Body as typed.")


class ApprovalDecisionForm(CsrfForm):
    """An approver's decision."""

    reason: MultiLine = Field(default="", max_length=2000, description="Note to the CSM.")
