"""The loopback Gmail server (`tests.support.gmail_server`) plus enough of Google Docs v1 and Drive v3
for the real google-api-python-client to create, write and share a document, offline.

Endpoints (names for `script`/`calls`): drive.files.create, drive.permissions.create,
docs.documents.batchUpdate, docs.documents.get; plus every Gmail endpoint and the token endpoint.
A document's text is what its insertText requests wrote; its paragraph styles are kept as requested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.gmail_server import FakeGmail


@dataclass
class StoredDoc:
    """A document in the fake Drive."""

    id: str
    name: str
    mime_type: str
    parents: list[str]
    text: str = ""
    styles: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)


class FakeGoogleWorkspace(FakeGmail):
    """Gmail, Docs and Drive on one loopback server, behind the same OAuth token endpoint."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.docs: dict[str, StoredDoc] = {}

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        table = [
            ("POST", r"/drive/v3/files", "drive.files.create"),
            ("POST", r"/drive/v3/files/(?P<id>[^/]+)/permissions", "drive.permissions.create"),
            ("POST", r"/v1/documents/(?P<id>[^/:]+):batchUpdate", "docs.documents.batchUpdate"),
            ("GET", r"/v1/documents/(?P<id>[^/:]+)", "docs.documents.get"),
        ]
        for verb, pattern, name in table:
            found = re.fullmatch(pattern, path)
            if verb == method and found:
                return name, found.groupdict()
        return super()._route(method, path)

    def _operate(self, endpoint: str, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self._lock:
            if endpoint == "drive.files.create":
                doc = StoredDoc(f"doc{self._new_id()}", (body or {}).get("name", ""), (body or {}).get("mimeType", ""),
                                list((body or {}).get("parents", [])))
                self.docs[doc.id] = doc
                return 200, {"id": doc.id, "webViewLink": f"{self.url}document/d/{doc.id}/edit"}
            doc = self.docs.get(params.get("id", ""))
            if endpoint.startswith(("docs.", "drive.permissions")) and doc is None:
                return 404, None
            if endpoint == "docs.documents.batchUpdate":
                for request in (body or {}).get("requests", []):
                    if "insertText" in request:
                        index = request["insertText"]["location"]["index"] - 1
                        doc.text = doc.text[:index] + request["insertText"]["text"] + doc.text[index:]
                    elif "updateParagraphStyle" in request:
                        doc.styles.append(request["updateParagraphStyle"])
                return 200, {"documentId": doc.id, "replies": [{} for _ in (body or {}).get("requests", [])]}
            if endpoint == "docs.documents.get":
                return 200, {"documentId": doc.id, "title": doc.name}
            if endpoint == "drive.permissions.create":
                permission = dict(body or {}) | {"id": f"perm{self._new_id()}"}
                doc.permissions.append(permission | {"sendNotificationEmail": query.get("sendNotificationEmail", [""])[0]})
                return 200, permission
        return super()._operate(endpoint, params, query, body)


def running_fake_workspace(**kwargs: Any) -> Iterator[FakeGoogleWorkspace]:
    """Generator for a pytest fixture: `yield from running_fake_workspace()`."""
    with FakeGoogleWorkspace(**kwargs) as workspace:
        yield workspace
