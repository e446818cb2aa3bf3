"""Domain objects of answering: Principal, Filters, Evidence, Citation, Answer.

Pydantic models so that the API returns them as they are: one definition of a
citation for the extractive path, the generative path, the API and the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from ingest.models import Chunk


@dataclass(frozen=True)
class Principal:
    """Who is asking; `audiences` is what their role may read, fixed when they authenticate."""

    role: str
    audiences: tuple[str, ...]
    name: str = ""
    organisation: str | None = None  # the asker's own organisation: what "our" means

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Filters(BaseModel):
    organisation: list[str] | None = None
    doc_type: list[str] | None = None
    doc_id: list[str] | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


@dataclass
class Evidence:
    """A retrieved chunk with the scores that put it there."""

    chunk: Chunk
    score: float  # fused
    dense: float | None = None  # cosine similarity, when the dense retriever found it
    keyword: float | None = None  # BM25 score, when the keyword retriever found it
    rank: int = 0


class Citation(BaseModel):
    n: int = Field(description="The number used in the answer's [n] markers")
    doc_id: str
    title: str
    organisation: str
    section: str
    page: int
    quote: str = Field(description="Exact characters of the source page text[start:end]")
    start: int
    end: int
    chunk_id: str
    score: float


class Sentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = True


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    refused: bool = False
    mode: Literal["extractive", "generative"] = "extractive"
    sentences: list[Sentence] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list, description="e.g. a cited passage that addresses an AI (assistant.planted)")
    query: str = Field("", description="The question as searched (after follow-up resolution)")
    scope: list[str] = Field(default_factory=list,
                             description="Organisations the search was restricted to (named in the question, or the asker's own)")


@dataclass
class RetrievalResult:
    query: str
    evidence: list[Evidence] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    query_vector: Any = None  # the query's embedding, reused to score answer units
    scope: list[str] = field(default_factory=list)  # organisations the search was restricted to
    readable: Any = None  # mask over the keyword index: the chunks this principal may read
