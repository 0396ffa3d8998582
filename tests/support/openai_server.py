"""A loopback OpenAI-compatible server for tests: the real `openai` client and `ChatOpenAI` talk to it.

Serves ``POST /v1/chat/completions`` (plain JSON, or server-sent events word by word when the
request has ``"stream": true``) on 127.0.0.1 with an ephemeral port, from a script of replies:

    with OpenAIServer() as server:
        server.reply_json({"subject": "...", "body": "..."})       # structured output as content
        server.reply_tool_calls([("draft_escalation_response", {"customer": "DataFlow"})])
        server.reply_text("Done.")
        server.reply_error(500)
        llm = ChatOpenAI(base_url=server.base_url, api_key="test", max_retries=0)

Every request received is recorded (`server.requests`) with its JSON body, headers and an
approximate token count. A callable reply computes the answer from the request (multi-turn
tool conversations). When the script runs out the server answers 500, so a test that makes more
calls than it scripted fails loudly.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["OpenAIServer", "Reply", "ReceivedRequest"]

_WORD_STARTS = re.compile(r"(?<=\s)(?=\S)")


@dataclass
class Reply:
    """One scripted answer: a chat completion message, or an HTTP error."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    error_body: dict[str, Any] | None = None
    delay_seconds: float = 0.0

    def completion(self, model: str) -> dict[str, Any]:
        """The `chat.completion` object of this reply."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(args)}}
                for name, args in self.tool_calls
            ]
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if self.tool_calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def chunks(self, model: str) -> Iterator[dict[str, Any]]:
        """The `chat.completion.chunk` objects of this reply, for streaming requests."""
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        for piece in _WORD_STARTS.split(self.content) if self.content else []:  # word by word, as a model streams
            yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for index, (name, args) in enumerate(self.tool_calls):
            call = {"index": index, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)}}
            yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]}
        finish = "tool_calls" if self.tool_calls else "stop"
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
               "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


@dataclass
class ReceivedRequest:
    """A request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        """All message text, concatenated."""
        parts = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, list):
                parts += [p.get("text", "") for p in content if isinstance(p, dict)]
            elif content:
                parts.append(str(content))
        return "\n".join(parts)

    @property
    def approx_tokens(self) -> int:
        """A rough token count of the request (4 characters a token, the usual rule of thumb)."""
        return len(json.dumps(self.body)) // 4


Responder = Reply | Callable[[ReceivedRequest], Reply]


class OpenAIServer:
    """Threaded loopback server speaking the OpenAI chat-completions protocol; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Responder] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-loopback", daemon=True)

    @property
    def base_url(self) -> str:
        """The `base_url` for the OpenAI client (ends in /v1)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def reply(self, *replies: Responder) -> OpenAIServer:
        """Queue replies (or callables computing one from the request), answered in order."""
        with self._lock:
            self._script.extend(replies)
        return self

    def reply_text(self, text: str) -> OpenAIServer:
        """Queue an assistant message with `text`."""
        return self.reply(Reply(content=text))

    def reply_json(self, payload: Any) -> OpenAIServer:
        """Queue an assistant message whose content is `payload` as JSON (structured output)."""
        return self.reply(Reply(content=json.dumps(payload)))

    def reply_tool_calls(self, calls: list[tuple[str, dict[str, Any]]], content: str | None = None) -> OpenAIServer:
        """Queue an assistant message calling tools: (name, arguments) pairs."""
        return self.reply(Reply(content=content, tool_calls=list(calls)))

    def reply_error(self, status: int = 500, message: str = "internal error") -> OpenAIServer:
        """Queue an HTTP error with an OpenAI-style error body."""
        return self.reply(Reply(status=status, error_body={"error": {"message": message, "type": "server_error"}}))

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def _next(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            responder = self._script.popleft() if self._script else None
        if responder is None:
            return Reply(status=500, error_body={"error": {"message": "no scripted reply left", "type": "test"}})
        if not callable(responder):
            return responder
        try:
            return responder(request)
        except Exception as err:  # noqa: BLE001 - a failing test responder becomes a visible 500
            return Reply(status=500, error_body={"error": {"message": f"responder failed: {err!r}", "type": "test"}})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                return

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": f"unknown path {self.path}", "type": "test"}})
                    return
                reply = server._next(ReceivedRequest(self.path, dict(self.headers.items()), body))
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                try:
                    self._answer(reply, body)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up first (a timeout test)

            def _answer(self, reply: Reply, body: dict[str, Any]) -> None:
                if reply.status != 200:
                    self._send_json(reply.status, reply.error_body or {"error": {"message": "error"}})
                    return
                model = str(body.get("model", "test-model"))
                if not body.get("stream"):
                    self._send_json(200, reply.completion(model))
                    return
                events = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in reply.chunks(model))
                events += b"data: [DONE]\n\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(events)))
                self.end_headers()
                self.wfile.write(events)

        return Handler

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
