"""Domain objects of ingestion: a loaded Document (pages of structured blocks) and its Chunks.

Every piece of text keeps character offsets into the text of the page it came
from, so that the answering layer can quote the source verbatim and a viewer can
highlight the exact span. Loaders build pages with `DocumentBuilder`, which is
the only place offsets are computed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]
SECTION_SEP = " › "


class LoadError(Exception):
    """A file that cannot be turned into a Document; the message is shown to the user."""


@dataclass
class Block:
    """One structural unit of a page: `text == page.text[start:end]`."""

    kind: BlockKind
    text: str
    start: int
    end: int
    section_path: tuple[str, ...] = ()
    level: int = 0  # heading depth (1 = top); 0 for non-headings


@dataclass
class Page:
    number: int  # the real 1-based page number (1 for single-page formats)
    text: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class DocumentMeta:
    """What the corpus manifest says about a file, with defaults when it says nothing."""

    doc_id: str
    title: str
    source_path: str
    organisation: str = "Unknown organisation"
    doc_type: str = "document"
    audience: str = "all"
    date: str = ""
    source_url: str = ""
    corpus: str = "default"


@dataclass
class Document:
    meta: DocumentMeta
    pages: list[Page]
    file_hash: str
    format: str  # pdf, docx, html, markdown, text

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


@dataclass
class Chunk:
    """A retrievable passage: verbatim `text` of one page, plus where it sits."""

    chunk_id: str
    doc_id: str
    text: str
    page: int
    start: int
    end: int
    section_path: tuple[str, ...]
    title: str
    organisation: str
    doc_type: str
    audience: str
    source_path: str
    # answer units (ingest.units.UnitSpan) and their vectors, alone and in context, stored at ingest
    units: tuple = ()
    unit_vectors: Any = field(default=None, repr=False, compare=False)
    unit_context_vectors: Any = field(default=None, repr=False, compare=False)

    @property
    def section(self) -> str:
        return SECTION_SEP.join(self.section_path)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def embed_text(self, prefix_chars: int = 240) -> str:
        """Title and section help the embedder place a passage; they are never quoted."""
        prefix = self.title if not self.section else f"{self.title} | {self.section}"
        return f"{prefix[:prefix_chars]}\n{self.text}"


class DocumentBuilder:
    """Assembles page texts from blocks, tracking offsets and the current section path.

    Loaders call `heading`, `paragraph`, `list_item` and `table_row` in reading
    order and `new_page` at each page break; the section path carries across pages.
    """

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self._parts: list[str] = []
        self._blocks: list[Block] = []
        self._len = 0
        self._page_no: int | None = None
        self._headings: list[tuple[int, str]] = []  # (level, text)

    # -- structure --------------------------------------------------------------
    def new_page(self, number: int) -> None:
        self._flush()
        self._page_no = number

    def heading(self, text: str, level: int = 1) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self._headings = [h for h in self._headings if h[0] < level]
        self._headings.append((level, text))
        self._add("heading", text, level)

    def paragraph(self, text: str) -> None:
        self._add("paragraph", text.strip())

    def list_item(self, text: str) -> None:
        self._add("list_item", text.strip())

    def table_row(self, text: str) -> None:
        self._add("table_row", text.strip())

    @property
    def section_path(self) -> tuple[str, ...]:
        return tuple(h[1] for h in self._headings)

    # -- output -------------------------------------------------------------------
    def build(self) -> list[Page]:
        self._flush()
        return [p for p in self.pages if p.text.strip()]

    def _add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        if not text:
            return
        if self._page_no is None:
            self._page_no = 1
        sep = "" if not self._parts else ("\n" if kind in ("list_item", "table_row") else "\n\n")
        start = self._len + len(sep)
        self._parts.append(sep + text)
        self._len = start + len(text)
        self._blocks.append(Block(kind, text, start, self._len, self.section_path, level))

    def _flush(self) -> None:
        if self._page_no is not None and self._parts:
            self.pages.append(Page(self._page_no, "".join(self._parts), self._blocks))
        self._parts, self._blocks, self._len = [], [], 0
