"""API keys → roles → `Principal`.

The rules live in `assistant.access` (shared with the chat UI); this module reads the
key from the request headers and turns an `AuthError` into a 401. A key that is sent
but unknown is always 401, never silently downgraded to the default role.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from assistant.access import ROLES, AuthError, load_keys, principal_for_key  # noqa: F401 - re-exported
from assistant.models import Principal
from ingest.settings import Settings

CHALLENGE = {"WWW-Authenticate": "Bearer"}


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


def authenticate(key: str | None, settings: Settings) -> Principal:
    """The same check as the chat UI's (`principal_for_key`), as HTTP errors."""
    if key is not None and not key.strip():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Empty API key", CHALLENGE)
    try:
        return principal_for_key(settings, key)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), CHALLENGE) from exc
