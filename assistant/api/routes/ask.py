"""Questions: `POST /api/ask` (one JSON answer) and `POST /api/chat` (the same, streamed as SSE).

Both are computed on the app's answer limiter (`assistant.api.answering`), not FastAPI's
threadpool, so a burst of questions waits its turn without delaying cheap reads.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from assistant.api.answering import run_answer, stream_answer
from assistant.api.deps import AnswerLimiterDep, AssistantDep, PrincipalDep
from assistant.api.routes import SSE_HEADERS, sse
from assistant.api.schemas import AskRequest
from assistant.models import Answer
from assistant.service import Assistant

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["ask"])


@router.post("/ask", response_model=Answer)
async def ask(body: AskRequest, assistant: AssistantDep, principal: PrincipalDep,
              slots: AnswerLimiterDep) -> Answer:
    """Answer a question from the documents the caller may read, with verbatim citations."""
    check_mode(body, assistant)
    filters = body.filters.to_filters() if body.filters else None
    return await run_answer(slots, assistant.ask, body.question, principal, history=body.history, filters=filters,
                            mode=body.mode)


@router.post(
    "/chat",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "`token` events ({text}), then `citations` ([...]), then `done` (the Answer)"}},
)
async def chat(body: AskRequest, assistant: AssistantDep, principal: PrincipalDep,
               slots: AnswerLimiterDep) -> StreamingResponse:
    """The same answer as /api/ask, streamed as Server-Sent Events while it is produced."""
    check_mode(body, assistant)
    filters = body.filters.to_filters() if body.filters else None
    events = stream_answer(slots, assistant.stream(body.question, principal, body.history, filters, body.mode))
    return StreamingResponse(_chat_events(events), media_type="text/event-stream", headers=SSE_HEADERS)


def check_mode(body: AskRequest, assistant: Assistant) -> None:
    """Refuse generative mode up front when no LLM is configured, rather than mid-stream."""
    if body.mode == "generative" and assistant.llm is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "Generative mode needs an LLM; none is configured (use auto or extractive)")


async def _chat_events(events: AsyncIterator[str | Answer]) -> AsyncIterator[str]:
    """The answer is computed on answer workers (`stream_answer`); only formatting runs here."""
    try:
        async for event in events:
            if isinstance(event, Answer):
                yield sse([c.model_dump() for c in event.citations], "citations")
                yield sse(event.model_dump(), "done")
            else:  # the same text, with the same [n], as the `done` answer; a flag on unsupported sentences
                sentence = getattr(event, "sentence", None)
                flag = {"supported": False} if sentence is not None and not sentence.supported else {}
                yield sse({"text": event, **flag}, "token")
    except Exception:  # noqa: BLE001 - headers are sent; the client must still hear about it
        log.exception("streamed answer failed")
        yield sse({"detail": "The answer failed on the server; see its log"}, "error")
