"""ASGI middleware: request-body size limits and the per-request input limits for validation.

A JSON API needs kilobytes; without a limit a 20 MB JSON field was read, parsed and held
before any validator ran. The limit is checked on Content-Length first and then on the bytes
actually received (a chunked body has no length), answering 413 either way. Upload routes
get the upload limit instead. The same middleware publishes the app's history caps to the
request models (`schemas.LIMITS`), since pydantic validators cannot see the app's settings.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException

from assistant.api.schemas import LIMITS, InputLimits
from ingest.settings import Settings

MB = 1024 * 1024
UPLOAD_FILES = 10  # an upload request may carry several files, each up to max_upload_mb


class TooLarge(HTTPException):
    """Raised from `receive`: FastAPI re-raises an HTTPException met while reading a body, so the
    app's own handler answers 413 in the usual JSON shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _message(limit))


class BodyLimits:
    """Pure ASGI (no BaseHTTPMiddleware), so streaming responses are untouched."""

    def __init__(self, app: Any, settings: Settings,
                 upload_paths: tuple[str, ...] = ("/api/documents", "/gradio_api/upload")) -> None:
        self.app = app
        self.json_limit = settings.max_request_mb * MB
        self.upload_limit = settings.max_upload_mb * MB * UPLOAD_FILES + MB
        self.upload_paths = upload_paths
        self.limits = InputLimits(settings.max_history_turns, settings.max_history_chars)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        LIMITS.set(self.limits)
        path = scope.get("path", "")
        limit = self.upload_limit if path.startswith(self.upload_paths) else self.json_limit
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _reject(send, limit)
        received = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit)
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except TooLarge:
            if not started:
                await _reject(send, limit)


def _message(limit: int) -> str:
    return f"The request body is larger than the {limit // MB} MB limit"


async def _reject(send: Any, limit: int) -> None:
    body = json.dumps({"detail": _message(limit)}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
