"""Who is asking: API keys → roles → the audiences a principal may read.

The API and the chat UI both authenticate through `principal_for_key`, so the UI
enforces nothing of its own: a key typed into the web page gets exactly the
access the same key gets over HTTP.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from assistant.models import Principal
from ingest.settings import Settings

ROLES = ("staff", "governor", "admin")


class AuthError(Exception):
    """No valid credentials (→ 401)."""


def known_keys(settings: Settings) -> dict[str, str]:
    keys = dict(_keys_file(settings.api_keys_file)) if settings.api_keys_file else {}
    keys.update(settings.api_keys)
    return keys


def principal_for_key(settings: Settings, key: str | None) -> Principal:
    """The principal for an API key; no key means the configured default role."""
    if key:
        role = known_keys(settings).get(key.strip())
        if role is None:
            raise AuthError("unknown API key")
        return Principal(role=role, audiences=tuple(settings.audiences_for(role)), name=f"key:{key[:4]}…")
    if settings.default_role is None:
        raise AuthError("an API key is required (Authorization: Bearer <key>)")
    role = settings.default_role
    return Principal(role=role, audiences=tuple(settings.audiences_for(role)), name="anonymous")


@lru_cache(maxsize=8)
def _keys_file_cached(path: str, mtime: float) -> tuple[tuple[str, str], ...]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    keys = data.get("keys", {})
    bad = {k: v for k, v in keys.items() if v not in ROLES}
    if bad:
        raise ValueError(f"{path}: unknown roles {sorted(set(bad.values()))}; use one of {ROLES}")
    return tuple(keys.items())


def _keys_file(path: Path) -> tuple[tuple[str, str], ...]:
    """Re-read when the file changes, so keys can be revoked without a restart."""
    return _keys_file_cached(str(path), path.stat().st_mtime)
