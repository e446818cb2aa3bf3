"""Request and response bodies of the HTTP API that are not domain models already.

Answers and citations are returned as the domain's own `Answer`/`Citation`
models, so the API, the UI and the evals share one definition; only what is
specific to HTTP (request validation, upload results, OpenAI wire format) lives here.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.models import Citation, Filters, Turn

MAX_QUESTION_CHARS = 2000
# Lone surrogates cannot be encoded (they gave a 500 and a dropped connection); C0 controls
# other than tab and newlines, and DEL, are never part of a real question.
_BAD_CHARS = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class InputLimits:
    """History caps of the app serving this request (settings.max_history_turns / _chars)."""

    history_turns: int = 20
    history_chars: int = 20000


#: Set per request by the app's middleware (assistant.api.main), read by the validators below.
LIMITS: ContextVar[InputLimits] = ContextVar("ethos_input_limits", default=InputLimits())


def check_text(text: str, field: str = "text") -> str:
    """Refuse characters that cannot be encoded or are never typed (400, not a 500 later)."""
    if m := _BAD_CHARS.search(text):
        raise ValueError(f"{field} contains a character that is not allowed (U+{ord(m.group()):04X} at {m.start()})")
    return text


def check_history(texts: list[str], field: str = "history") -> None:
    """History is capped in turns and characters, so a request cannot make the server read a book."""
    limits = LIMITS.get()
    if len(texts) > limits.history_turns:
        raise ValueError(f"{field} has {len(texts)} turns; the limit is {limits.history_turns} (send the latest ones)")
    total = sum(len(t) for t in texts)
    if total > limits.history_chars:
        raise ValueError(f"{field} has {total} characters; the limit is {limits.history_chars}")
    for i, text in enumerate(texts):
        check_text(text, f"{field}[{i}]")


def _as_list(value: str | list[str] | None) -> list[str] | None:
    if value is None or value == [] or value == "":
        return None
    return [value] if isinstance(value, str) else list(value)


class FiltersIn(BaseModel):
    """Filters as clients send them: one value or a list of values per field."""

    model_config = ConfigDict(extra="forbid")

    organisation: str | list[str] | None = None
    doc_type: str | list[str] | None = None
    doc_id: str | list[str] | None = None

    @field_validator("organisation", "doc_type", "doc_id")
    @classmethod
    def _clean(cls, value: str | list[str] | None) -> str | list[str] | None:
        for v in [value] if isinstance(value, str) else value or []:
            check_text(v, "filter")
        return value

    def to_filters(self) -> Filters | None:
        filters = Filters(organisation=_as_list(self.organisation), doc_type=_as_list(self.doc_type),
                          doc_id=_as_list(self.doc_id))
        return filters if any((filters.organisation, filters.doc_type, filters.doc_id)) else None


def check_question(text: str) -> str:
    """The two rules every entry point applies: something to ask, and not an essay."""
    if not text or not text.strip():
        raise ValueError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(f"the question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return check_text(text, "the question")


class AskRequest(BaseModel):
    question: str = Field(description=f"The question, 1–{MAX_QUESTION_CHARS} characters")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first")
    filters: FiltersIn | None = None
    mode: Literal["auto", "extractive", "generative"] = "auto"

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)

    @model_validator(mode="after")
    def _history(self) -> "AskRequest":
        check_history([t.content for t in self.history])
        return self


class PageOut(BaseModel):
    doc_id: str
    number: int
    text: str


class HealthOut(BaseModel):
    status: Literal["ok"]
    documents: int | None = Field(description="Documents the caller may read; null without a usable key")
    chunks: int | None = Field(description="Their chunks; null without a usable key")
    embed_model: str
    llm: bool = Field(description="Whether an LLM is configured (generative answers available)")


# --- OpenAI-compatible wire format ------------------------------------------------------


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _clean(self) -> "ChatMessage":
        try:
            text = self.text()
        except TypeError as exc:  # a content part whose "text" is not a string
            raise ValueError("message content parts must have string 'text'") from exc
        check_text(text, "message content")
        return self

    def text(self) -> str:
        """Plain text of a message; multi-part content keeps only its text parts."""
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ... are accepted and ignored

    model: str = "ethos"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    filters: FiltersIn | None = Field(None, description="Ethos extension, e.g. via the client's extra_body")

    @model_validator(mode="after")
    def _history(self) -> "ChatCompletionRequest":
        check_history([m.text() for m in self.messages[:-1] if m.role in ("user", "assistant")], "messages")
        return self


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatCompletionChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = "ethos"
    choices: list[ChatCompletionChoice]
    citations: list[Citation] = Field(description="Ethos extension: the sources, with verbatim quotes")
    refused: bool = Field(False, description="Ethos extension: true when the documents don't answer it")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "ethos"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
