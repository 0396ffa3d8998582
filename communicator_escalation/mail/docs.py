"""Internal escalation briefs as Google Docs: Drive v3 creates the document, Docs v1 writes it.

The same credentials as Gmail (a service account with domain-wide delegation acting as
`ESCALATION_GMAIL_SENDER`, or an authorized-user token), with the Docs and Drive scopes. The
document goes into `ESCALATION_DOCS_FOLDER_ID` when set and is shared (reader, no notification
email) with the response's CCs. Each call is sent once by the HTTP layer; 429 and 5xx answers are
retried here with capped exponential backoff (at least the Retry-After), up to
`ESCALATION_DOCS_MAX_ATTEMPTS`; any other failure is a `MailError` naming the call.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import google.auth.exceptions
import google_auth_httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from ..config import Settings
from ..errors import MailError
from .gmail import _TRANSPORT_ERRORS, SingleAttemptHttp, _error_detail, google_credentials, parse_retry_after

__all__ = ["DOCS_SCOPES", "GoogleDocsBriefs"]

DOCS_SCOPES = ("https://www.googleapis.com/auth/documents", "https://www.googleapis.com/auth/drive.file")
_DOC_MIME = "application/vnd.google-apps.document"
_HEADING = re.compile(r"^(#{1,3}) (.*)$")
_STYLES = {1: "HEADING_1", 2: "HEADING_2", 3: "HEADING_3"}


def _units(text: str) -> int:
    """Length in UTF-16 code units, the unit of Docs indexes."""
    return len(text.encode("utf-16-le")) // 2


def doc_requests(markdown: str) -> list[dict[str, Any]]:
    """Docs batchUpdate requests that write `markdown` as text, its `#` lines as headings."""
    lines, styles = [], []
    index = 1
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        text = heading.group(2) if heading else line
        if heading:
            styles.append((index, index + _units(text) + 1, _STYLES[len(heading.group(1))]))
        lines.append(text)
        index += _units(text) + 1
    requests: list[dict[str, Any]] = [{"insertText": {"location": {"index": 1}, "text": "\n".join(lines) + "\n"}}]
    for start, end, style in styles:
        requests.append({"updateParagraphStyle": {
            "range": {"startIndex": start, "endIndex": end},
            "paragraphStyle": {"namedStyleType": style},
            "fields": "namedStyleType",
        }})
    return requests


class GoogleDocsBriefs:
    """Publishes briefs as Google Docs (see module docstring)."""

    def __init__(self, docs: Any, drive: Any, *, folder_id: str | None, max_attempts: int, backoff: float,
                 backoff_cap: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Wrap Docs v1 and Drive v3 resources.

        Args:
            docs: `build("docs", "v1", ...)`.
            drive: `build("drive", "v3", ...)`.
            folder_id: Drive folder for the documents (None: the account's root).
            max_attempts: Attempts per call on 429/5xx.
            backoff: First retry delay in seconds (doubles per attempt).
            backoff_cap: Largest retry delay.
            sleep: How to wait between attempts.
        """
        self._docs, self._drive = docs, drive
        self._folder_id = folder_id
        self._max_attempts, self._backoff, self._cap = max_attempts, backoff, backoff_cap
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> GoogleDocsBriefs:
        """Docs and Drive over Gmail's credentials, built offline (bundled discovery documents).

        `sleep` is how to wait between attempts.

        Raises:
            ConfigurationError: no usable Google credentials are configured.
        """
        credentials = google_credentials(settings, scopes=DOCS_SCOPES, purpose="ESCALATION_BRIEF_DOCS=google")

        def service(name: str, version: str, service_path: str) -> Any:
            # an endpoint override replaces the root URL and the service path, so the path is added back
            root = settings.docs_api_endpoint
            options = {"api_endpoint": urljoin(root.rstrip("/") + "/", service_path)} if root else None
            http = google_auth_httplib2.AuthorizedHttp(
                credentials, http=SingleAttemptHttp(timeout=settings.gmail_timeout_seconds))
            return build(name, version, http=http, static_discovery=True, cache_discovery=False,
                         client_options=options)

        return cls(service("docs", "v1", ""), service("drive", "v3", "drive/v3/"), folder_id=settings.docs_folder_id,
                   max_attempts=settings.docs_max_attempts, backoff=settings.send_backoff_seconds,
                   backoff_cap=settings.send_backoff_cap_seconds, sleep=sleep)

    def _execute(self, request: HttpRequest, *, action: str) -> dict[str, Any]:
        """Run one request, retrying 429 and 5xx; map every other failure to MailError."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                return request.execute(num_retries=0)  # type: ignore[no-any-return]
            except HttpError as err:
                status = int(err.resp.status)
                message, _ = _error_detail(err)
                if (status != 429 and status < 500) or attempt == self._max_attempts:
                    tries = f" after {attempt} attempts" if attempt > 1 else ""
                    raise MailError(f"Google refused to {action} (HTTP {status}{tries}): {message}") from err
                wait = min(self._cap, self._backoff * 2 ** (attempt - 1))
                self._sleep(max(wait, parse_retry_after(err.resp.get("retry-after")) or 0.0))
            except google.auth.exceptions.GoogleAuthError as err:
                raise MailError(f"Google authorization failed to {action} (check the credentials): {err}") from err
            except _TRANSPORT_ERRORS as err:
                raise MailError(f"could not reach Google to {action}: {type(err).__name__}: {err}") from err
        raise AssertionError("unreachable: the last attempt raises")

    def publish(self, *, title: str, markdown: str, share_with: list[str]) -> tuple[str, str]:
        """Create the brief document, write it, share it; return (document id, URL)."""
        body: dict[str, Any] = {"name": title, "mimeType": _DOC_MIME}
        if self._folder_id:
            body["parents"] = [self._folder_id]
        created = self._execute(self._drive.files().create(body=body, fields="id,webViewLink"),
                                action="create the brief document")
        doc_id = str(created["id"])
        self._execute(self._docs.documents().batchUpdate(documentId=doc_id, body={"requests": doc_requests(markdown)}),
                      action="write the brief document")
        for email in share_with:
            permission = {"type": "user", "role": "reader", "emailAddress": email}
            self._execute(self._drive.permissions().create(fileId=doc_id, body=permission, sendNotificationEmail=False),
                          action=f"share the brief with {email}")
        return doc_id, str(created.get("webViewLink") or f"https://docs.google.com/document/d/{doc_id}/edit")
