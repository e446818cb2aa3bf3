"""`GET /api/health`: is the index loaded, how big is it, which models answer."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AssistantDep
from assistant.api.schemas import HealthOut

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(assistant: AssistantDep) -> HealthOut:
    """Unauthenticated on purpose (load balancers, start-up probes): counts only, no titles."""
    kb = assistant.kb
    return HealthOut(
        status="ok",
        documents=len(kb.ingestor.document_ids()),
        chunks=kb.ingestor.collection.count(),
        embed_model=assistant.settings.embed_model,
        llm=assistant.llm is not None,
    )
