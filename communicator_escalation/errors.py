"""Expected failures, each with a stable code the CLI, API and tools report.

The code is the whole contract: no error here knows about HTTP. The API maps codes to statuses in one
place (`api/errors.py`); the CLI prints the message and exits 1; the tools return the code to the model.
An error is raised with a reason (`"area.key"`) and its facts; its message is worded by macro `key` of
`prompts/errors/<area>.j2`, never in Python.
"""

from __future__ import annotations

from typing import Any

from .rendering import phrases


def error_text(reason: str, /, **facts: Any) -> str:
    """The words for `reason` ("area.key"): macro `key` of prompts/errors/<area>.j2 called with `facts`."""
    area, key = reason.split(".", 1)
    return str(getattr(phrases(f"errors/{area}.j2"), key)(**facts)).strip()


class EscalationError(Exception):
    """A failure a CSM can act on; never shown as a traceback.

    Raised as `NotFound("access.no_response", response_id=...)`: `reason` names the words, `facts`
    fill them in.
    """

    code = "error"

    def __init__(self, reason: str, /, *, candidates: list[Any] | None = None, **facts: Any) -> None:
        message = error_text(reason, **facts)
        super().__init__(message)
        self.reason = reason
        self.facts = facts
        self.message = message
        self.candidates = list(candidates or [])
        self.notes: list[dict[str, str]] = []

    def to_dict(self) -> dict[str, Any]:
        """The `{"error": {...}}` body used by --json output and the API (`notes` only when there are some)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message, "candidates": self.candidates}
        if self.notes:
            body["notes"] = self.notes
        return {"error": body}


class CustomerNotFound(EscalationError):
    code = "customer_not_found"


class AmbiguousCustomer(EscalationError):
    code = "ambiguous_customer"


class NoOpenEscalation(EscalationError):
    code = "no_open_escalation"


class NotFound(EscalationError):
    """An id (signal, response, approval, staff) that does not exist or is not visible."""

    code = "not_found"


class WorldFileError(EscalationError):
    """A world file that cannot be loaded; names the record and field."""

    code = "invalid_world_file"


class Refused(EscalationError):
    """A review action that is not allowed (outside address, self-approval, wrong state)."""

    code = "refused"


class ContentChanged(Refused):
    """An approval given for content that has changed since it was shown (nothing was sent)."""

    code = "content_changed"


class AlreadyAnswered(Refused):
    """A send refused because the escalation was already answered (or is being answered) by another email."""

    code = "already_answered"


class SendBlocked(EscalationError):
    """A send refused while a blocking review note stands (nothing queued, nothing sent).

    The code is the first blocking note's, e.g. `unconfirmed_placeholder`; `notes` lists them all
    as `{kind, code, text}`.
    """

    code = "send_blocked"

    def __init__(self, reason: str, /, *, notes: list[dict[str, str]] | None = None, **facts: Any) -> None:
        super().__init__(reason, **facts)
        self.notes = list(notes or [])
        if self.notes:
            self.code = self.notes[0]["code"]


class ConfigurationError(EscalationError):
    code = "configuration_error"


class StoreUnavailable(EscalationError):
    code = "database_unavailable"


class MailError(EscalationError):
    code = "mail_error"


class InvalidRequest(EscalationError):
    """A request that is malformed as given (missing or conflicting arguments)."""

    code = "invalid_request"


class NotAnEscalation(InvalidRequest):
    """A risk signal id that names a non-escalation signal (e.g. health_score_drop)."""

    code = "not_an_escalation"
