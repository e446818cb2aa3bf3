"""Who is asking: API keys → roles → the audiences a principal may read.

The API and the chat UI both authenticate through `principal_for_key`, so the UI
enforces nothing of its own: a key typed into the web page gets exactly the
access the same key gets over HTTP. Keys come from `settings.api_keys` and/or a
TOML file (`[keys] "<key>" = "staff"`, and optionally `[organisations] "<key>" = "<name>"`, what
"our" means for that key's holder); the file is re-read when it changes, so a
key can be revoked without a restart, and a bad file is an error, never ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.models import Principal
from ingest.settings import Settings

ROLES = ("staff", "governor", "admin")
#: THE role policy: which document audiences each role may read. Governors approve staff
#: policies, so they see staff documents too; staff never see governor-only papers.
#: `ETHOS_ROLE_AUDIENCES` (Settings.role_audiences) replaces it for an install.
ROLE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "staff": ("all", "staff"),
    "governor": ("all", "staff", "governors"),
    "admin": ("all", "staff", "governors"),
}
#: Whoever is not a known principal (a reader asked without one): documents for everyone only.
PUBLIC = Principal(role="public", audiences=("all",), name="public")


class AuthError(Exception):
    """No valid credentials (→ 401)."""


def load_keys(settings: Settings) -> dict[str, str]:
    """All configured keys; the file's entries override `settings.api_keys` for the same key."""
    keys = dict(settings.api_keys)
    if settings.api_keys_file is not None:
        path = Path(settings.api_keys_file)
        try:
            keys.update(_keys_file(str(path), path.stat().st_mtime))
        except OSError as exc:
            raise ValueError(f"cannot read API keys file {path}: {exc}") from exc
    bad = {role for role in keys.values() if role not in ROLES}
    if bad:
        raise ValueError(f"unknown role(s) {sorted(bad)} in API keys; use one of {list(ROLES)}")
    return keys


def principal_for_key(settings: Settings, key: str | None) -> Principal:
    """The principal for an API key; no (or a blank) key means the configured default role."""
    key = (key or "").strip()
    if not key:
        if settings.default_role is None:
            raise AuthError("An API key is required")
        return principal_for(settings.default_role, settings, name="anonymous")
    role = _lookup(key, load_keys(settings))
    if role is None:
        raise AuthError("Unknown API key")
    organisation = _lookup(key, dict(_organisations_file(str(settings.api_keys_file))) if settings.api_keys_file else {})
    return principal_for(role, settings, name="key-" + hashlib.sha256(key.encode()).hexdigest()[:8],
                         organisation=organisation)


def principal_for(role: str, settings: Settings, name: str = "", organisation: str | None = None) -> Principal:
    """`organisation` is what "our" means for this asker: the key's own, else the install's."""
    return Principal(role=role, audiences=audiences_for(role, settings), name=name,
                     organisation=organisation or settings.organisation)


def audiences_for(role: str, settings: Settings | None = None) -> tuple[str, ...]:
    """Audiences a role may read; an unknown role sees only public (`all`) documents."""
    policy = settings.role_audiences if settings is not None and settings.role_audiences else ROLE_AUDIENCES
    return tuple(policy.get(role, ("all",)))


def known_audiences(settings: Settings | None = None) -> list[str]:
    """Every audience some role reads: the values an upload or a manifest may give a document."""
    policy = settings.role_audiences if settings is not None and settings.role_audiences else ROLE_AUDIENCES
    return sorted({a for readable in policy.values() for a in readable})


def readable(principal: Principal, meta: Mapping[str, Any] | Any) -> bool:
    """THE audience rule, used by every reader: may this principal read a document or chunk?

    `meta` is a stored document, a chunk, or a metadata mapping. A missing or blank audience
    never matches (the manifest always sets one, so a record without one is damaged, not public).
    """
    audience = meta.get("audience") if isinstance(meta, Mapping) else getattr(meta, "audience", None)
    return bool(audience) and audience in principal.audiences


def _lookup(key: str, keys: dict[str, str]) -> str | None:
    """Constant-time comparison against every key, so response timing reveals nothing."""
    found = None
    for candidate, role in keys.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = role
    return found


def _organisations_file(path: str) -> tuple[tuple[str, str], ...]:
    """Optional `[organisations] "<key>" = "<organisation name>"` in the keys file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ()  # the keys themselves were read (and any error reported) by load_keys
    table = data.get("organisations", {})
    return tuple((str(k), str(v)) for k, v in table.items()) if isinstance(table, dict) else ()


@lru_cache(maxsize=8)
def _keys_file(path: str, mtime: float) -> tuple[tuple[str, str], ...]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"cannot read API keys file {path}: {exc}") from exc
    table = data.get("keys", {})
    if not isinstance(table, dict):
        raise ValueError(f'{path}: [keys] must be a table of "<key>" = "<role>"')
    return tuple((str(k), str(v)) for k, v in table.items())
