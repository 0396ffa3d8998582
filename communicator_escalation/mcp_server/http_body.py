"""The MCP HTTP app reads UTF-8 bodies only: the streamable HTTP transport answers a body it cannot
decode with a 500 (and a traceback in the log); `Utf8Bodies` answers it as malformed JSON instead
(400, a JSON-RPC parse error). It sits behind the API's `BodyLimit`, which hands the body over whole.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.limits import replay

__all__ = ["Utf8Bodies"]

_PARSE_ERROR = -32700


class Utf8Bodies:
    """ASGI middleware behind `BodyLimit` (which hands the body over whole): a non-UTF-8 body is a parse error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first = await receive()
        try:
            bytes(first.get("body", b"")).decode("utf-8")
        except UnicodeDecodeError:
            error = {"code": _PARSE_ERROR, "message": "Parse error: the request body is not UTF-8 text"}
            await JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=400)(scope, receive, send)
            return
        await self.app(scope, replay([first], receive), send)
