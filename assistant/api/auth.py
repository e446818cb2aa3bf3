"""API keys → roles → `Principal`.

The rules live in `assistant.access` (shared with the chat UI); this module reads the
key from the request headers and turns an `AuthError` into a 401. A key that is sent
but unknown is always 401, never silently downgraded to the default role.

OpenAI clients (the `openai` package, Open WebUI) always send a key. On a shared install
each person gets one in the keys file (`ETHOS_API_KEYS_FILE`). On a single-user laptop,
`ETHOS_LOCAL_BEARER_TOKEN=<token>` accepts that one configured token as the default role
(`ETHOS_DEFAULT_ROLE`); any other key is still refused.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, status

from assistant.access import ROLES, AuthError, load_keys, principal_for, principal_for_key  # noqa: F401
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
    token = settings.local_bearer_token
    if key is not None and token and settings.default_role is not None \
            and hmac.compare_digest(key.encode(), token.encode()):
        return principal_for(settings.default_role, settings, name="local")
    try:
        return principal_for_key(settings, key)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), CHALLENGE) from exc
