"""API keys → roles → `Principal`.

Keys come from `settings.api_keys` and/or a TOML file (`[keys] "<key>" = "staff"`),
read once when the app is built so a bad file fails at start-up, not on a request.
A request without a key gets `settings.default_role` (None → 401); a key that is
sent but unknown is always 401, never silently downgraded to the default role.
"""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from pathlib import Path

from fastapi import HTTPException, status

from assistant.models import Principal
from ingest.settings import Settings

ROLES = ("staff", "governor", "admin")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def load_keys(settings: Settings) -> dict[str, str]:
    """All configured keys; the file's entries override `settings.api_keys` for the same key."""
    keys = dict(settings.api_keys)
    if settings.api_keys_file is not None:
        path = Path(settings.api_keys_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read API keys file {path}: {exc}") from exc
        table = data.get("keys", {})
        if not isinstance(table, dict):
            raise ValueError(f"{path}: [keys] must be a table of \"<key>\" = \"<role>\"")
        keys.update({str(k): str(v) for k, v in table.items()})
    bad = {role for role in keys.values() if role not in ROLES}
    if bad:
        raise ValueError(f"unknown role(s) {sorted(bad)} in API keys; use one of {list(ROLES)}")
    return keys


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries, from `Authorization: Bearer <key>` or `X-API-Key`."""
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                "Authorization header must be 'Bearer <api key>'", CHALLENGE)
        return credentials.strip()
    if x_api_key is not None:
        return x_api_key.strip()
    return None


def authenticate(key: str | None, keys: dict[str, str], settings: Settings) -> Principal:
    if key is None:
        if settings.default_role is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "An API key is required", CHALLENGE)
        return principal_for(settings.default_role, settings, name="anonymous")
    role = _lookup(key, keys)
    if role is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Unknown API key", CHALLENGE)
    return principal_for(role, settings, name="key-" + hashlib.sha256(key.encode()).hexdigest()[:8])


def principal_for(role: str, settings: Settings, name: str = "") -> Principal:
    return Principal(role=role, audiences=tuple(settings.audiences_for(role)), name=name)


def _lookup(key: str, keys: dict[str, str]) -> str | None:
    """Constant-time comparison against every key, so response timing reveals nothing."""
    found = None
    for candidate, role in keys.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = role
    return found
