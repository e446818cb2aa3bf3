"""Request and response bodies of the HTTP API that are not domain models already.

Answers and citations are returned as the domain's own `Answer`/`Citation`
models, so the API, the UI and the evals share one definition; only what is
specific to HTTP (request validation, upload results, OpenAI wire format) lives here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.models import Citation, Filters, Turn

MAX_QUESTION_CHARS = 2000


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
    return text


class AskRequest(BaseModel):
    question: str = Field(description=f"The question, 1–{MAX_QUESTION_CHARS} characters")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first")
    filters: FiltersIn | None = None
    mode: Literal["auto", "extractive", "generative"] = "auto"

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)


class PageOut(BaseModel):
    doc_id: str
    number: int
    text: str


class HealthOut(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    embed_model: str
    llm: bool = Field(description="Whether an LLM is configured (generative answers available)")


# --- OpenAI-compatible wire format ------------------------------------------------------


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

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
