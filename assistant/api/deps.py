"""FastAPI dependencies: the shared Assistant, settings and the caller's Principal.

The Assistant (embedder, index, LLM) is built once per app and kept on
`app.state`; handlers reach it only through these, never construct their own.
"""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.auth import authenticate, key_from_headers
from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.service import Assistant
from ingest.settings import Settings

# Declared for the OpenAPI "Authorize" button; the raw headers are parsed in `auth`.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <api key>")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <api key>")


# The trivial dependencies are `async def` on purpose: a plain `def` dependency costs a trip
# through the threadpool on every request, and a cheap read should not queue for three of them.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_assistant(request: Request) -> Assistant:
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "The assistant is still starting")
    return assistant


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]


async def get_kb(assistant: AssistantDep) -> KnowledgeBase:
    return assistant.kb


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]


async def get_answer_limiter(request: Request) -> CapacityLimiter:
    """The app's one bound on answers computed at once (see `assistant.api.answering`)."""
    return request.app.state.answer_limiter


AnswerLimiterDep = Annotated[CapacityLimiter, Depends(get_answer_limiter)]


def get_principal(
    request: Request,
    settings: SettingsDep,
    _bearer_doc: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _key_doc: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
    return authenticate(key, settings)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This needs an admin API key")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
