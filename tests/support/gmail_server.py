"""A loopback server speaking enough of the Gmail v1 REST API (and Google's OAuth token endpoint)
for the real google-api-python-client and google-auth to run against it, offline.

Usage::

    with FakeGmail() as gmail:
        settings = Settings(mail_transport="gmail", gmail_api_endpoint=gmail.url, ...)
        gmail.script("drafts.send", [500, 500, 200])          # per-endpoint queue of replies
        gmail.script("drafts.send", [Reply(429, retry_after="7")])
        gmail.script("drafts.send", [AcceptThenHang(2.0)])    # do it, answer after the client timed out
        gmail.script("drafts.send", [AcceptThenDrop()])       # do it, close the socket without answering
        hold = Hold(perform_first=True)                       # do it, then wait for the test before answering
        gmail.script("drafts.send", [hold]); hold.reached.wait(); ...; hold.release.set()
        ...
        assert len(gmail.sent) == 1 and gmail.calls("drafts.send")

Endpoints (names for `script`/`calls`): drafts.create, drafts.delete, drafts.get, drafts.list
(q=rfc822msgid:ID), drafts.send, messages.get, messages.list (q=rfc822msgid:ID), threads.get,
threads.list, token. A scripted
entry is consumed by one request; `200` (or `Reply(200)`) means "behave normally"; when the queue
is empty the endpoint behaves normally. Error replies change no state.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.gmail_script import AcceptThenDrop, AcceptThenHang, Hold, Reply, Scripted

_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_REASONS = {429: "rateLimitExceeded", 500: "backendError", 503: "backendError", 404: "notFound", 400: "invalidArgument"}


@dataclass
class Recorded:
    """One request the server received."""

    endpoint: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: Any


@dataclass
class StoredMessage:
    """A message in the fake mailbox."""

    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str] = field(default_factory=list)
    draft_id: str | None = None

    @property
    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]

    def resource(self, fmt: str = "full") -> dict[str, Any]:
        base: dict[str, Any] = {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}
        if fmt == "minimal":
            return base
        if fmt == "raw":
            return base | {"raw": base64.urlsafe_b64encode(self.raw).decode()}
        headers = [{"name": k, "value": str(v)} for k, v in self.parsed.items()]
        return base | {"payload": {"mimeType": self.parsed.get_content_type(), "headers": headers},
                       "snippet": self.parsed.get_content()[:100] if fmt == "full" else ""}


def _norm_subject(subject: str) -> str:
    return re.sub(r"^(\s*(re|fwd?)\s*:\s*)+", "", subject or "", flags=re.IGNORECASE).strip().lower()


class FakeGmail:
    """Threaded loopback Gmail v1 + OAuth token server on 127.0.0.1 with an ephemeral port."""

    def __init__(self, *, require_auth: bool = True) -> None:
        """Bind the server (call `__enter__` or use `with` to start serving).

        Args:
            require_auth: Answer 401 unless the request carries a token this server issued.
        """
        self.require_auth = require_auth
        self.requests: list[Recorded] = []
        self.token_requests: list[dict[str, Any]] = []
        self.drafts: dict[str, StoredMessage] = {}
        self.messages: dict[str, StoredMessage] = {}
        self._tokens: set[str] = set()
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._ids = itertools.count(0x18C0_0000_0000)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-gmail", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeGmail:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and release hanging handlers."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """API root to pass as `client_options={"api_endpoint": url}` (Settings.gmail_api_endpoint)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def token_uri(self) -> str:
        """OAuth token endpoint to write into service-account / authorized-user files."""
        return f"{self.url}token"

    # -- scripting and inspection --------------------------------------------------------------
    def script(self, endpoint: str, replies: Iterable[Scripted]) -> None:
        """Queue replies for the next requests to `endpoint` (see module docstring)."""
        with self._lock:
            self._scripts[endpoint].extend(replies)

    def calls(self, endpoint: str) -> list[Recorded]:
        """Requests received for `endpoint`, in order."""
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def sent(self) -> list[StoredMessage]:
        """Messages delivered by drafts.send, in order."""
        with self._lock:
            return [m for m in self.messages.values() if "SENT" in m.label_ids]

    def add_message(self, raw: bytes, *, thread_id: str | None = None, labels: Iterable[str] = ("INBOX",)) -> StoredMessage:
        """Seed a message (e.g. the customer's email to reply to); a new thread unless given."""
        with self._lock:
            message_id = self._new_id()
            stored = StoredMessage(message_id, thread_id or message_id, raw, list(labels))
            self.messages[message_id] = stored
            return stored

    def issue_token(self, token: str) -> None:
        """Accept `token` as if this server had issued it (e.g. a still-valid user token)."""
        with self._lock:
            self._tokens.add(token)

    def thread(self, thread_id: str) -> list[StoredMessage]:
        """Non-draft messages of a thread, in order."""
        with self._lock:
            return [m for m in self.messages.values() if m.thread_id == thread_id]

    # -- state ---------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return f"{next(self._ids):x}"

    def _thread_for(self, raw: bytes, thread_id: str | None) -> str | None:
        """Gmail's rule: join `thread_id` only if it exists, the subject matches and the message
        references the thread; otherwise start a new thread. None for an unknown thread id."""
        if thread_id is None:
            return self._new_id()
        members = self.thread(thread_id)
        if not members:
            return None
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        refs = set(str(parsed.get("References", "")).split()) | {str(parsed.get("In-Reply-To", "")).strip()}
        ids = {str(m.parsed.get("Message-ID", "")).strip() for m in members}
        same_subject = _norm_subject(str(parsed.get("Subject", ""))) == _norm_subject(str(members[0].parsed.get("Subject", "")))
        return thread_id if same_subject and refs & ids else self._new_id()

    def _operate(self, endpoint: str, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self._lock:
            fmt = query.get("format", ["full"])[0]
            if endpoint == "token":
                token = f"fake-token-{self._new_id()}"
                self._tokens.add(token)
                return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
            if endpoint == "drafts.create":
                message = (body or {}).get("message", {})
                try:
                    raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
                except (KeyError, ValueError):
                    return 400, None
                thread_id = self._thread_for(raw, message.get("threadId"))
                if thread_id is None:
                    return 404, None
                draft_id = f"r{self._new_id()}"
                stored = StoredMessage(self._new_id(), thread_id, raw, ["DRAFT"], draft_id)
                self.drafts[draft_id] = stored
                return 200, {"id": draft_id, "message": stored.resource("minimal")}
            if endpoint == "drafts.get":
                draft = self.drafts.get(params["id"])
                return (404, None) if draft is None else (200, {"id": params["id"], "message": draft.resource(fmt)})
            if endpoint == "drafts.list":
                found = [(d, m) for d, m in self.drafts.items() if _matches(m, query.get("q", [""])[0])]
                return 200, {"drafts": [{"id": d, "message": m.resource("minimal")} for d, m in found],
                             "resultSizeEstimate": len(found)}
            if endpoint == "drafts.delete":
                return (204, None) if self.drafts.pop(params["id"], None) is not None else (404, None)
            if endpoint == "drafts.send":
                draft = self.drafts.pop(str((body or {}).get("id")), None)
                if draft is None:
                    return 404, None
                draft.label_ids = ["SENT"]
                self.messages[draft.id] = draft
                return 200, draft.resource("minimal")
            if endpoint == "messages.get":
                found = self.messages.get(params["id"]) or next(
                    (d for d in self.drafts.values() if d.id == params["id"]), None)
                return (404, None) if found is None else (200, found.resource(fmt))
            if endpoint == "messages.list":
                pool = list(self.messages.values()) + list(self.drafts.values())
                items = [{"id": m.id, "threadId": m.thread_id} for m in pool if _matches(m, query.get("q", [""])[0])]
                return 200, ({"messages": items} if items else {}) | {"resultSizeEstimate": len(items)}
            if endpoint == "threads.get":
                members = self.thread(params["id"])
                return (404, None) if not members else (200, {"id": params["id"], "messages": [m.resource(fmt) for m in members]})
            if endpoint == "threads.list":
                ids = sorted({m.thread_id for m in self.messages.values()})
                return 200, {"threads": [{"id": t} for t in ids], "resultSizeEstimate": len(ids)}
            return 404, None

    # -- HTTP ----------------------------------------------------------------------------------
    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        if method == "POST" and path == "/token":
            return "token", {}
        match = re.fullmatch(r"/gmail/v1/users/(?P<user>[^/]+)/(?P<rest>.+)", path)
        if not match:
            return None
        rest, params = match["rest"], {"userId": match["user"]}
        table = [
            ("POST", r"drafts/send", "drafts.send"), ("POST", r"drafts", "drafts.create"),
            ("GET", r"drafts", "drafts.list"), ("GET", r"drafts/(?P<id>[^/]+)", "drafts.get"),
            ("DELETE", r"drafts/(?P<id>[^/]+)", "drafts.delete"),
            ("GET", r"messages", "messages.list"), ("GET", r"messages/(?P<id>[^/]+)", "messages.get"),
            ("GET", r"threads", "threads.list"), ("GET", r"threads/(?P<id>[^/]+)", "threads.get"),
        ]
        for verb, pattern, name in table:
            found = re.fullmatch(pattern, rest)
            if verb == method and found:
                return name, params | found.groupdict()
        return None

    def _next_reply(self, endpoint: str) -> Scripted:
        with self._lock:
            queue = self._scripts[endpoint]
            return queue.popleft() if queue else 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})


class _Handler(BaseHTTPRequestHandler):
    """One request to the fake; `fake` is set on the subclass each server makes."""

    fake: FakeGmail

    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout): nothing to answer to

    def _no_content(self) -> None:
        try:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass

    def _error(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        payload = body or {"error": {
            "code": status, "message": f"fake gmail error {status}", "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            "errors": [{"reason": _REASONS.get(status, "failedPrecondition"), "domain": "global",
                        "message": f"fake gmail error {status}"}]}}
        self._json(status, payload, headers)

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        route = self.fake._route(method, split.path)
        endpoint = route[0] if route else f"unknown {method} {split.path}"
        if endpoint == "token":
            body: Any = {k: v[0] for k, v in parse_qs(raw_body.decode()).items()}
        else:
            try:
                body = json.loads(raw_body) if raw_body else None
            except ValueError:
                body = raw_body
        with self.fake._lock:
            self.fake.requests.append(Recorded(endpoint, method, split.path, query, headers, body))
        if route is None:
            self._error(404)
            return
        if endpoint == "token":
            self.fake.token_requests.append(body | {"claims": _jwt_claims(body.get("assertion"))})
        elif self.fake.require_auth:
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if token not in self.fake._tokens:
                self._error(401)
                return
        reply = self.fake._next_reply(endpoint)
        if isinstance(reply, int):
            reply = Reply(reply)
        if isinstance(reply, Reply) and reply.status != 200:
            headers = {"Retry-After": reply.retry_after} if reply.retry_after is not None else None
            self._error(reply.status, reply.body, headers)
            return
        if isinstance(reply, Hold) and not reply.perform_first:
            reply.pause(self.fake._stop)
        status, payload = self.fake._operate(endpoint, route[1], query, body)
        if isinstance(reply, Hold) and reply.perform_first:
            reply.pause(self.fake._stop)
        if isinstance(reply, AcceptThenDrop):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if isinstance(reply, AcceptThenHang):
            self.fake._stop.wait(reply.seconds)
        if status == 204:
            self._no_content()
            return
        if status != 200:
            self._error(status)
            return
        self._json(200, reply.body if isinstance(reply, Reply) and reply.body is not None else payload)


def _matches(message: StoredMessage, query: str) -> bool:
    """Gmail search, as far as the tests use it: `rfc822msgid:ID` (else everything matches)."""
    if not query.startswith("rfc822msgid:"):
        return True
    wanted = query.removeprefix("rfc822msgid:").strip().strip("<>")
    return str(message.parsed.get("Message-ID", "")).strip().strip("<>") == wanted


def _jwt_claims(assertion: str | None) -> dict[str, Any]:
    """The (unverified) claims of a JWT bearer assertion, for tests to inspect."""
    if not assertion:
        return {}
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def running_fake_gmail(**kwargs: Any) -> Iterator[FakeGmail]:
    """Generator for a pytest fixture: `yield from running_fake_gmail()`."""
    with FakeGmail(**kwargs) as gmail:
        yield gmail
