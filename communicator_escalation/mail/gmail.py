"""Gmail transport over google-api-python-client: drafts.create, then drafts.send, never retried here.

Error mapping (what the response state machine relies on):
- 429, 5xx and 403 rate-limit reasons -> `TransientMailError(retry_after=..., status=...)`:
  nothing was delivered, retry later (a retried drafts.send of a draft that did go out finds it
  gone, so a retry can never deliver twice).
- A timeout, dropped connection or other transport error while sending -> `AmbiguousMailError`:
  the request may have reached Gmail; reconcile with `draft_status`, never resend blindly.
  (Plain `httplib2.Http` silently re-sends a request when the server closes the connection
  without answering; `SingleAttemptHttp` sends each request exactly once, on a fresh connection.)
- The draft no longer exists when sending -> `DraftGone` (an `AmbiguousMailError`).
- Any other 4xx -> `MailError`. Transport errors outside sending -> `TransientMailError`.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import google.auth.credentials
import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from ..config import Settings
from ..errors import ConfigurationError, MailError
from .base import AmbiguousMailError, DraftGone, DraftStatus, OutgoingEmail, SendReceipt, TransientMailError
from .message import build_message, message_bytes
from ..utc import utcnow

__all__ = [
    "GMAIL_SCOPES",
    "GmailMailer",
    "SingleAttemptHttp",
    "build_gmail_service",
    "google_credentials",
    "parse_retry_after",
]

# compose: create and send drafts; readonly: search by rfc822msgid when reconciling.
GMAIL_SCOPES = (
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.readonly",
)

_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_TRANSPORT_ERRORS = (OSError, http.client.HTTPException, httplib2.HttpLib2Error)


class SingleAttemptHttp(httplib2.Http):
    """An `httplib2.Http` that sends every request exactly once.

    `httplib2.Http._conn_request` re-sends a request when the connection drops before an answer
    (at least once, whatever `httplib2.RETRIES` says), which could repeat a `drafts.send` that
    Gmail already carried out. Here a failure is raised to the caller instead. Each request
    starts on a fresh connection, so an idle keep-alive connection the server has closed meanwhile
    cannot fail a request that never left.
    """

    def _conn_request(
        self, conn: http.client.HTTPConnection, request_uri: str, method: str, body: Any, headers: dict[str, str]
    ) -> tuple[httplib2.Response, bytes]:
        try:
            conn.close()
            conn.connect()
            conn.request(method, request_uri, body, headers)
            raw = conn.getresponse()
            content = b"" if method == "HEAD" else raw.read()
        except socket.gaierror as err:
            conn.close()
            raise httplib2.ServerNotFoundError(f"Unable to find the server at {conn.host}") from err
        except BaseException:
            conn.close()
            raise
        if method == "HEAD":
            conn.close()
        response = httplib2.Response(raw)
        if method != "HEAD":
            content = httplib2._decompressContent(response, content, self.limit_kwargs)  # noqa: SLF001 - as Http does
        return response, content


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (never negative)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - utcnow(now)).total_seconds())


def _error_detail(err: HttpError) -> tuple[str, set[str]]:
    """Gmail's error message and reasons from an error body, when it has them."""
    try:
        error = json.loads(err.content.decode("utf-8"))["error"]
        reasons = {item.get("reason", "") for item in error.get("errors", [])}
        return str(error.get("message") or err.reason), reasons
    except (ValueError, KeyError, TypeError, AttributeError):
        return str(err.reason or ""), set()


def _mapped_http_error(err: HttpError, action: str) -> MailError:
    status = int(err.resp.status)
    message, reasons = _error_detail(err)
    if status == 429 or status >= 500 or (status == 403 and reasons & _RATE_LIMIT_REASONS):
        retry_after = parse_retry_after(err.resp.get("retry-after"))
        return TransientMailError("mail.refused_for_now", retry_after=retry_after, status=status, action=action,
                                  http=status, detail=message)
    return MailError("mail.refused", action=action, status=status, detail=message)


def _header(headers: list[Mapping[str, str]], name: str) -> str | None:
    for header in headers:
        if header.get("name", "").lower() == name.lower():
            return header.get("value")
    return None


class GmailMailer:
    """A `Mailer` over a Gmail v1 `Resource` (see `build_gmail_service`)."""

    name = "gmail"

    def __init__(self, service: Any, *, user_id: str = "me") -> None:
        """Wrap a Gmail service.

        Args:
            service: `googleapiclient.discovery.build("gmail", "v1", ...)` result.
            user_id: Mailbox to act on; "me" is the authenticated (or impersonated) user.
        """
        self._service = service
        self._user_id = user_id

    def _drafts(self) -> Any:
        return self._service.users().drafts()

    def _messages(self) -> Any:
        return self._service.users().messages()

    def _execute(self, request: HttpRequest, *, action: str, sending: bool = False) -> dict[str, Any]:
        """Run one request exactly once (`num_retries=0`) and map its failure."""
        try:
            return request.execute(num_retries=0)  # type: ignore[no-any-return]
        except HttpError as err:
            raise _mapped_http_error(err, action) from err
        except google.auth.exceptions.RefreshError as err:
            if getattr(err, "retryable", False):
                raise TransientMailError("mail.auth_for_now", detail=err) from err
            raise MailError("mail.auth_failed", detail=err) from err
        except google.auth.exceptions.TransportError as err:
            raise TransientMailError("mail.token_unreachable", detail=err) from err
        except _TRANSPORT_ERRORS as err:
            if sending:
                raise AmbiguousMailError("mail.send_unsure", kind=type(err).__name__, detail=err) from err
            raise TransientMailError("mail.unreachable", action=action, kind=type(err).__name__, detail=err) from err

    def _execute_optional(self, request: HttpRequest, *, action: str, sending: bool = False) -> dict[str, Any] | None:
        """Like `_execute`, but None when Gmail answers 404 (the resource does not exist)."""
        try:
            return self._execute(request, action=action, sending=sending)
        except MailError as err:
            cause = err.__cause__
            if isinstance(cause, HttpError) and int(cause.resp.status) == 404:
                return None
            raise

    def create_draft(self, email: OutgoingEmail) -> str:
        """Create a Gmail draft of the exact message, on `email.thread_id` when given; return its id.

        A thread id the sender's mailbox does not know (404, e.g. the customer wrote to a colleague)
        is dropped: the draft becomes a new message that still carries In-Reply-To and References, and
        the receipt's `thread_id` then differs from the one asked for.
        """
        raw = base64.urlsafe_b64encode(message_bytes(build_message(email))).decode("ascii")
        if email.thread_id:
            request = self._drafts().create(userId=self._user_id, body={"message": {"raw": raw, "threadId": email.thread_id}})
            created = self._execute_optional(request, action="create_draft")
            if created is not None:
                return str(created["id"])
        request = self._drafts().create(userId=self._user_id, body={"message": {"raw": raw}})
        return str(self._execute(request, action="create_draft")["id"])

    def send_draft(self, draft_id: str) -> SendReceipt:
        """Send the stored draft once (`num_retries=0`).

        Raises:
            DraftGone: the draft no longer exists (sent or deleted): reconcile with `draft_status`.
            AmbiguousMailError: the send may have reached Gmail (timeout, dropped connection).
            TransientMailError: Gmail refused for now (429, 5xx); nothing was sent.
            MailError: Gmail refused the request (other 4xx).
        """
        request = self._drafts().get(userId=self._user_id, id=draft_id, format="metadata")
        draft = self._execute_optional(request, action="read_draft")
        if draft is None:
            raise DraftGone("mail.draft_gone", draft_id=draft_id)
        message_id = _header(draft["message"].get("payload", {}).get("headers", []), "Message-ID")
        if message_id is None:
            raise MailError("mail.draft_foreign", draft_id=draft_id)
        request = self._drafts().send(userId=self._user_id, body={"id": draft_id})
        sent = self._execute_optional(request, action="send_draft", sending=True)
        if sent is None:
            raise DraftGone("mail.draft_vanished", draft_id=draft_id)
        return SendReceipt(
            transport=self.name, email_id=str(sent["id"]), message_id=message_id, thread_id=sent.get("threadId")
        )

    def thread_messages(self, email_id: str) -> list[dict[str, Any]]:
        """The messages (`full` format) of the thread sent email `email_id` is on; [] when it is gone.

        Raises:
            MailError: Gmail refused or could not be reached (TransientMailError for 429/5xx).
        """
        request = self._messages().get(userId=self._user_id, id=email_id, format="minimal")
        sent = self._execute_optional(request, action="read_sent")
        if sent is None:
            return []
        request = self._service.users().threads().get(userId=self._user_id, id=sent["threadId"], format="full")
        thread = self._execute_optional(request, action="read_thread")
        return list((thread or {}).get("messages", []))

    def draft_status(self, draft_id: str, message_id: str) -> tuple[DraftStatus, SendReceipt | None]:
        """Is the draft still there, or was a message with `message_id` delivered from this mailbox?"""
        request = self._drafts().get(userId=self._user_id, id=draft_id, format="minimal")
        if self._execute_optional(request, action="read_draft") is not None:
            return "draft", None
        receipt = self.find_sent(message_id)
        return ("sent", receipt) if receipt is not None else ("missing", None)

    def find_sent(self, message_id: str) -> SendReceipt | None:
        """Search the mailbox (`rfc822msgid:`, spam and trash included) for the delivered message."""
        request = self._messages().list(userId=self._user_id, q=_msgid_query(message_id), includeSpamTrash=True)
        found = self._execute(request, action="search_sent")
        for item in found.get("messages", []):
            request = self._messages().get(userId=self._user_id, id=item["id"], format="minimal")
            message = self._execute_optional(request, action="read_sent")
            if message is not None and "DRAFT" not in message.get("labelIds", []):
                return SendReceipt(transport=self.name, email_id=str(message["id"]), message_id=message_id,
                                   thread_id=message.get("threadId"))
        return None

    def drafts_of(self, message_id: str) -> list[str]:
        """Ids of the drafts whose message has `message_id` (drafts.list with `q=rfc822msgid:`)."""
        ids: list[str] = []
        page: str | None = None
        while True:
            request = self._drafts().list(userId=self._user_id, q=_msgid_query(message_id), pageToken=page)
            found = self._execute(request, action="list_drafts")
            ids += [str(item["id"]) for item in found.get("drafts", [])]
            page = found.get("nextPageToken")
            if not page:
                return ids

    def delete_draft(self, draft_id: str) -> bool:
        """drafts.delete; False when Gmail no longer has the draft (sent or deleted)."""
        request = self._drafts().delete(userId=self._user_id, id=draft_id)
        return self._execute_optional(request, action="delete_draft") is not None


def _msgid_query(message_id: str) -> str:
    return f"rfc822msgid:{message_id.strip().removeprefix('<').removesuffix('>')}"


def google_credentials(
    settings: Settings, *, scopes: tuple[str, ...] = GMAIL_SCOPES, purpose: str = "ESCALATION_MAIL_TRANSPORT=gmail"
) -> google.auth.credentials.Credentials:
    """Service account with domain-wide delegation, else an authorized-user token file (Gmail's settings).

    `purpose` names what needs them in the error message.

    Raises:
        ConfigurationError: neither is configured, or the file cannot be used.
    """
    if settings.gmail_service_account_file is not None:
        if not settings.gmail_sender:
            raise ConfigurationError("mail.sender_needed")
        try:
            return service_account.Credentials.from_service_account_file(
                str(settings.gmail_service_account_file), scopes=list(scopes), subject=settings.gmail_sender
            )
        except (OSError, ValueError, KeyError) as err:
            raise ConfigurationError("mail.bad_credentials", variable="ESCALATION_GMAIL_SERVICE_ACCOUNT_FILE",
                                     path=settings.gmail_service_account_file, detail=err) from err
    if settings.gmail_token_file is not None:
        try:
            return user_credentials.Credentials.from_authorized_user_file(str(settings.gmail_token_file))
        except (OSError, ValueError, KeyError) as err:
            raise ConfigurationError("mail.bad_credentials", variable="ESCALATION_GMAIL_TOKEN_FILE",
                                     path=settings.gmail_token_file, detail=err) from err
    raise ConfigurationError("mail.no_credentials", purpose=purpose)


def build_gmail_service(settings: Settings) -> Any:
    """A Gmail v1 `Resource` from the settings' credentials; builds offline (bundled discovery).

    Every call is sent once (`SingleAttemptHttp`, no transport-level resend) with
    `settings.gmail_timeout_seconds`; the token exchange goes the same way, to the `token_uri` of
    the credentials file.

    Raises:
        ConfigurationError: no usable credentials are configured.
    """
    credentials = google_credentials(settings)
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=SingleAttemptHttp(timeout=settings.gmail_timeout_seconds))
    client_options = {"api_endpoint": settings.gmail_api_endpoint} if settings.gmail_api_endpoint else None
    return build(
        "gmail", "v1", http=http, static_discovery=True, cache_discovery=False, client_options=client_options
    )
