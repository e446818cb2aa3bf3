"""ASGI middleware: Gradio's file-upload route only for admins.

Gradio mounts `POST <mount>/gradio_api/upload` for its File components and accepts any
caller: anonymous uploads were written into Gradio's temporary folder (105 MB in one probe).
Only the Library's admin panel uploads, so the route gets the same rule as `POST
/api/documents`: an admin principal, from `Authorization: Bearer` / `X-API-Key`, or from the
`ethos_key` cookie the chat page sets from its key box (a browser's own upload request cannot
carry a header). With `default_role = "admin"` (a single-user laptop) anonymous uploads stay
allowed, exactly as for the API.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from assistant.access import AuthError, principal_for_key
from ingest.settings import Settings

COOKIE = "ethos_key"
GUARDED_SUFFIXES = ("/gradio_api/upload", "/upload")  # "/upload": Gradio's legacy alias, if mounted


class GradioUploadGuard:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and self._guarded(scope.get("path", "")):
            status, detail = self._check(dict(scope.get("headers") or []))
            if status:
                body = json.dumps({"detail": detail}).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _guarded(path: str) -> bool:
        path = path.rstrip("/")
        return path.endswith(GUARDED_SUFFIXES) and not path.startswith("/api/")

    def _check(self, headers: dict[bytes, bytes]) -> tuple[int, str]:
        key = _header_key(headers) or _cookie_key(headers)
        try:
            principal = principal_for_key(self.settings, key)
        except AuthError as exc:
            return 401, str(exc)
        if not principal.is_admin:
            return 403, "Uploading files needs an admin key"
        return 0, ""


def _header_key(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1").strip()
    if auth.lower().startswith("bearer ") and auth[7:].strip():
        return auth[7:].strip()
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def _cookie_key(headers: dict[bytes, bytes]) -> str | None:
    raw = headers.get(b"cookie", b"").decode("latin-1")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(COOKIE)
    except Exception:  # noqa: BLE001 - a malformed cookie header is no key
        return None
    return unquote(morsel.value).strip() or None if morsel else None
