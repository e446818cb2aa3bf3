"""An OpenAI-compatible surface (`/v1/chat/completions`, `/v1/models`) over the same Assistant.

Any OpenAI client or chat front-end can point its base URL here. The last user
message is the question, earlier user/assistant messages are the history. Since
such clients only show `content`, the checking travels in it too: a sentence the
sources do not support is followed by "⚠ not supported by the sources", and the
sources are appended as a readable list (a source cited only by such sentences is
marked). The structured data travels in extra top-level fields: `citations`,
`sentences` (each with `supported`), `refused` and `llm_failed`. The streamed text and
the final content are the same text with the same [n] numbers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, status
from pydantic import Field
from fastapi.responses import StreamingResponse

from assistant.api.answering import run_answer, stream_answer
from assistant.api.deps import AnswerLimiterDep, AssistantDep, PrincipalDep
from assistant.api.routes import SSE_HEADERS, sse
from assistant.api.schemas import (
    ChatCompletion, ChatCompletionChoice, ChatCompletionMessage, ChatCompletionRequest, ChatMessage, ModelCard,
    ModelList, check_question,
)
from assistant.generative import LLM_FAILED, LLM_FAILED_PARTWAY
from assistant.models import Answer, Sentence, Turn

MODEL = "ethos"
SOURCES = "Sources"
CLOSEST = "Closest passages (none answers the question)"
_SOURCES_TAIL = re.compile(rf"\n\n(?:{SOURCES}|{re.escape(CLOSEST)}):\n.*\Z", re.S)
QUOTE_CHARS = 300
UNSUPPORTED = " ⚠ not supported by the sources"
UNBACKED = " ⚠ cited only by unsupported sentences"
log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class CheckedCompletion(ChatCompletion):
    """A chat completion with Ethos's checking beside `content`."""

    sentences: list[Sentence] = Field(default_factory=list,
                                      description="Ethos extension: each sentence, its [n] and whether the sources support it")
    llm_failed: bool = Field(False, description="Ethos extension: the language model failed; the answer quotes the documents")


@router.get("/models", response_model=ModelList)
def list_models(_principal: PrincipalDep) -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL, created=0)])


@router.post("/chat/completions", response_model=CheckedCompletion,
             responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE chunks if stream"}})
async def chat_completions(body: ChatCompletionRequest, assistant: AssistantDep, principal: PrincipalDep,
                           slots: AnswerLimiterDep):
    """Answer the last user message; `model` may be any string, answers report "ethos".

    Computed on the app's answer limiter, as /api/ask and /api/chat are (`assistant.api.answering`)."""
    question, history = split_messages(body.messages)
    filters = body.filters.to_filters() if body.filters else None
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        events = stream_answer(slots, assistant.stream(question, principal, history, filters))
        return StreamingResponse(_chunks(events, completion_id, created), media_type="text/event-stream",
                                 headers=SSE_HEADERS)
    text, answer = "", None
    for event in await run_answer(slots, list, assistant.stream(question, principal, history, filters)):
        if isinstance(event, Answer):
            answer = event
        else:
            text += flagged(event)
    assert answer is not None
    return CheckedCompletion(
        id=completion_id, created=created,
        choices=[ChatCompletionChoice(message=ChatCompletionMessage(content=text + sources_text(answer)))],
        citations=answer.citations, refused=answer.refused, sentences=answer.sentences, llm_failed=llm_failed(answer),
    )


def flagged(piece: str) -> str:
    """A streamed piece of answer text, with the warning after a sentence the sources do not support."""
    sentence = getattr(piece, "sentence", None)
    return piece + UNSUPPORTED if sentence is not None and not sentence.supported else piece


def llm_failed(answer: Answer) -> bool:
    return answer.answer.startswith(LLM_FAILED) or answer.answer.endswith(LLM_FAILED_PARTWAY)


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """(question, history): system/tool messages are ignored; our own source lists are stripped."""
    last = messages[-1]
    if last.role != "user":
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The last message must be the user's question")
    try:
        question = check_question(last.text())
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"messages[-1].content: {exc}") from exc
    history = [
        Turn(role=m.role, content=_SOURCES_TAIL.sub("", m.text()) if m.role == "assistant" else m.text())
        for m in messages[:-1]
        if m.role in ("user", "assistant")
    ]
    return question, history


def sources_text(answer: Answer) -> str:
    """'\\n\\nSources:\\n[1] Title — Organisation, section, p. N: "quote"', one line per citation."""
    if not answer.citations:
        return ""
    lines = []
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1].rstrip() + "…"
        where = ", ".join(part for part in (c.organisation, c.section, f"p. {c.page}") if part)
        backing = [s.supported for s in answer.sentences if c.n in s.citations]
        mark = UNBACKED if backing and not any(backing) else ""
        lines.append(f'[{c.n}] {c.title} — {where}: "{quote}"{mark}')
    return f"\n\n{CLOSEST if answer.refused else SOURCES}:\n" + "\n".join(lines)


def _chunk(completion_id: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    return sse({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})


async def _chunks(events: AsyncIterator[str | Answer], completion_id: str, created: int) -> AsyncIterator[str]:
    """OpenAI `chat.completion.chunk` frames: role, content pieces, sources, a final stop, [DONE]."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    try:
        async for event in events:
            if isinstance(event, Answer):
                tail = sources_text(event)
                if tail:
                    yield _chunk(completion_id, created, {"content": tail})
                citations = [c.model_dump() for c in event.citations]
                yield _chunk(completion_id, created, {}, "stop", citations=citations, refused=event.refused,
                             sentences=[s.model_dump() for s in event.sentences], llm_failed=llm_failed(event))
            else:
                yield _chunk(completion_id, created, {"content": flagged(event)})
    except Exception:  # noqa: BLE001 - headers are sent; report in the stream as OpenAI does
        log.exception("streamed completion failed")
        yield sse({"error": {"message": "The answer failed on the server; see its log", "type": "server_error"}})
    yield sse("[DONE]")
