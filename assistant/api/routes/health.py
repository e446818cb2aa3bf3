"""`GET /api/health`: is the index loaded, how big is it, which models answer."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assistant.access import AuthError, principal_for_key
from assistant.api.auth import key_from_headers
from assistant.api.deps import AssistantDep, SettingsDep
from assistant.api.schemas import HealthOut
from assistant.models import Principal

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(request: Request, assistant: AssistantDep, settings: SettingsDep) -> HealthOut:
    """Unauthenticated on purpose (load balancers, start-up probes), so it never fails on a key.

    Counts are of the documents the caller may read (the default role's without a key), so
    they reveal nothing a caller could not list anyway: the total used to include
    governors-only papers. A caller with no usable key and no default role gets no counts.
    """
    principal = _caller(request, settings)
    documents = chunks = None
    if principal is not None:
        visible = assistant.kb.documents(principal)
        documents, chunks = len(visible), sum(d.chunks for d in visible)
    return HealthOut(status="ok", documents=documents, chunks=chunks,
                     embed_model=assistant.settings.embed_model, llm=assistant.llm is not None)


def _caller(request: Request, settings) -> Principal | None:
    try:
        key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
        return principal_for_key(settings, key)
    except Exception:  # noqa: BLE001 - a bad or unknown key is no caller, never an error here
        return None
