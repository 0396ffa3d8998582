"""Expected failures, each with a stable code the CLI, API and tools report."""

from __future__ import annotations

from typing import Any


class EscalationError(Exception):
    """A failure a CSM can act on; never shown as a traceback."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, candidates: list[Any] | None = None) -> None:
        super().__init__(message)
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
    http_status = 404


class AmbiguousCustomer(EscalationError):
    code = "ambiguous_customer"
    http_status = 409


class NoOpenEscalation(EscalationError):
    code = "no_open_escalation"
    http_status = 404


class NotFound(EscalationError):
    """An id (signal, response, approval, staff) that does not exist or is not visible."""

    code = "not_found"
    http_status = 404


class WorldFileError(EscalationError):
    """A world file that cannot be loaded; names the record and field."""

    code = "invalid_world_file"
    http_status = 422


class Refused(EscalationError):
    """A review action that is not allowed (outside address, self-approval, wrong state)."""

    code = "refused"
    http_status = 409


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
    http_status = 422

    def __init__(self, message: str, *, notes: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.notes = list(notes)
        if self.notes:
            self.code = self.notes[0]["code"]


class ConfigurationError(EscalationError):
    code = "configuration_error"
    http_status = 500


class StoreUnavailable(EscalationError):
    code = "database_unavailable"
    http_status = 503


class MailError(EscalationError):
    code = "mail_error"
    http_status = 502


class InvalidRequest(EscalationError):
    """A request that is malformed as given (missing or conflicting arguments)."""

    code = "invalid_request"
    http_status = 422


class NotAnEscalation(InvalidRequest):
    """A risk signal id that names a non-escalation signal (e.g. health_score_drop)."""

    code = "not_an_escalation"
