"""The document repository: the one module that knows how a stored document is kept.

Every reader (the library, the page viewer, suggestions, onboarding, the tracker and the
review register) gets typed `StoredDocument`s, `Page`s, `Block`s and `Heading`s from here
instead of parsing stored dicts by string key. Documents live in Chroma next to their chunks,
in a second collection (`<collection>_docs`): one record per document (its metadata, tracker
rows and chunk spans, no text) and one per page (its text and blocks, stored once). Chroma is
the one store every process already shares, embedded on disk or through `chroma run`, so two
`ethos serve` instances over one Chroma server see the same documents with no shared file.

A third collection (`<collection>_changes`) is the change log readers poll (`ingest.change_log`).
Writes are made only by `ingest.locking.StoreWriter`, under the write lock; this
module's write methods are its building blocks.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.change_log import ChangeLog, vector as _vector
from ingest.models import Block, Document, DocumentMeta, Page
from ingest.settings import Settings

DOC, PAGE, INTENT = "doc", "page", "intent"


_PAGE_SIZE = 2000


@dataclass(frozen=True)
class ChunkSpan:
    """Where one indexed chunk of a document sits: its page and character offsets."""

    chunk_id: str
    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Heading:
    path: tuple[str, ...]  # the heading's section path, itself last
    level: int
    page: int
    start: int
    end: int
    text: str


@dataclass
class StoredDocument:
    """A stored document's metadata and chunk spans; page text is fetched on demand."""

    doc_id: str
    metadata: dict[str, Any]  # what the loader, manifest and tracker recorded (no page text)
    chunks: tuple[ChunkSpan, ...] = ()
    _pages: Callable[[str], list[Page]] | None = field(default=None, repr=False, compare=False)

    @property
    def node_id(self) -> str:  # the name the tracker's readers use for a document's id
        return self.doc_id

    def _str(self, key: str, default: str = "") -> str:
        value = self.metadata.get(key)
        return default if value is None else str(value)

    @property
    def title(self) -> str:
        return self._str("title", self.doc_id)

    @property
    def organisation(self) -> str:
        return self._str("organisation")

    @property
    def doc_type(self) -> str:
        return self._str("doc_type")

    @property
    def audience(self) -> str:
        return self._str("audience")  # none stored: readable by nobody (assistant.access.readable)

    @property
    def source_path(self) -> str:
        return self._str("source_path")

    @property
    def source_hash(self) -> str:
        return self._str("source_hash")

    @property
    def page_count(self) -> int:
        return int(self.metadata.get("page_count") or 0)

    def pages(self) -> list[Page]:
        return self._pages(self.doc_id) if self._pages is not None else []

    def document(self) -> Document:
        """The whole document as the loaders made it (for re-running extraction rules)."""
        fields = DocumentMeta.__dataclass_fields__
        meta = DocumentMeta(**{k: self.metadata[k] for k in fields if k in self.metadata})
        return Document(meta=meta, pages=self.pages(), file_hash=self._str("file_hash"), format=self._str("format"))


def _page_id(doc_id: str, number: int) -> str:
    return f"page:{doc_id}#{number}"


def _doc_id_key(doc_id: str) -> str:
    return f"doc:{doc_id}"


class DocumentRepository:
    """Typed reads of stored documents, and the record-level writes `StoreWriter` composes.

    With `cache=True` (a long-lived server) document records are kept in memory until
    `sync()` sees the change counter move or this instance writes; page text is never cached.
    """

    def __init__(self, client: Any, settings: Settings, cache: bool = False) -> None:
        self.settings = settings
        self.docs = client.get_or_create_collection(f"{settings.collection}_docs", embedding_function=None)
        self.changes = client.get_or_create_collection(f"{settings.collection}_changes", embedding_function=None)
        self.writer_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.log = ChangeLog(self.changes, self.writer_id)
        self.cache = cache
        self._records: dict[str, StoredDocument] | None = None
        self._seen_version = -1
        self.own_writes = 0  # change records this instance wrote (to tell its own writes from others')

    # -- reads ------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return sorted(self._all())

    def list(self) -> list[StoredDocument]:
        records = self._all()
        return [records[d] for d in sorted(records)]

    def get(self, doc_id: str) -> StoredDocument | None:
        if self.cache:
            return self._all().get(doc_id)
        got = self.docs.get(ids=[_doc_id_key(doc_id)], include=["metadatas", "documents"])
        return self._record(got["metadatas"][0], got["documents"][0]) if got["ids"] else None

    def exists(self, doc_id: str) -> bool:
        return self.get(doc_id) is not None

    def sources(self) -> dict[str, str]:
        """Every stored document's id and recorded source path, read from the records' metadata
        alone (no chunk spans), so a writer can take it after every write at no real cost."""
        if self.cache and self._records is not None:
            return {d: r.source_path for d, r in self._records.items()}
        return {m["doc_id"]: str(m.get("source_path", "")) for m, _ in self._scan({"kind": DOC}, documents=False)}

    def source_path(self, doc_id: str) -> str:
        doc = self.get(doc_id)
        return doc.source_path if doc is not None else ""

    def pages(self, doc_id: str) -> list[Page]:
        pages = []
        for meta, text in self._scan({"$and": [{"kind": PAGE}, {"doc_id": doc_id}]}):
            pages.append(self._page(meta, text))
        return sorted(pages, key=lambda p: p.number)

    def page(self, doc_id: str, number: int) -> Page | None:
        got = self.docs.get(ids=[_page_id(doc_id, number)], include=["metadatas", "documents"])
        return self._page(got["metadatas"][0], got["documents"][0]) if got["ids"] else None

    def blocks(self, doc_id: str, number: int) -> list[Block]:
        page = self.page(doc_id, number)
        return page.blocks if page is not None else []

    def headings(self, doc_id: str) -> list[Heading]:
        """Every heading of a document in reading order."""
        return [Heading(b.section_path, int(b.level or len(b.section_path)), p.number, b.start, b.end, b.text)
                for p in self.pages(doc_id) for b in p.blocks if b.kind == "heading"]

    def chunk_at(self, doc_id: str, page: int, start: int) -> str:
        """The id of the indexed chunk holding offset `start` of a page, or ""."""
        doc = self.get(doc_id)
        for c in doc.chunks if doc is not None else ():
            if c.page == page and c.start <= start < c.end:
                return c.chunk_id
        return ""

    def version(self) -> int:
        """The change counter (`ChangeLog.version`): every write ever logged, cheap to poll."""
        return self.log.version()

    def sync(self) -> bool:
        """Drop cached records if any process wrote since the last sync; True if something changed."""
        version = self.version()
        if version == self._seen_version:
            return False
        self._records, self._seen_version = None, version
        return True

    # -- record-level writes (only ever called by ingest.locking.StoreWriter, under the lock) --------
    def put(self, doc_id: str, metadata: dict[str, Any], chunks: list[ChunkSpan]) -> None:
        """Store a document: `metadata["pages"]` holds its pages (text and blocks), kept once."""
        meta = {k: v for k, v in metadata.items() if k != "pages"}
        pages = metadata.get("pages", [])
        meta["page_count"] = len(pages)
        old = {i for i in self.docs.get(where={"$and": [{"kind": PAGE}, {"doc_id": doc_id}]}, include=[])["ids"]}
        ids = [_page_id(doc_id, int(p["number"])) for p in pages]
        for lo in range(0, len(ids), _PAGE_SIZE):
            part = pages[lo:lo + _PAGE_SIZE]
            self.docs.upsert(ids=ids[lo:lo + _PAGE_SIZE], embeddings=[_vector(i) for i in ids[lo:lo + _PAGE_SIZE]],
                             documents=[p["text"] for p in part],
                             metadatas=[{"kind": PAGE, "doc_id": doc_id, "number": int(p["number"]),
                                         "blocks": json.dumps(p["blocks"])} for p in part])
        if stale := sorted(old - set(ids)):
            self.docs.delete(ids=stale)
        body = json.dumps({"meta": meta, "chunks": [[c.chunk_id, c.page, c.start, c.end] for c in chunks]})
        self.docs.upsert(ids=[_doc_id_key(doc_id)], embeddings=[_vector(doc_id)], documents=[body],
                         metadatas=[{"kind": DOC, "doc_id": doc_id, "audience": str(meta.get("audience", "all")),
                                     "source_path": str(meta.get("source_path", ""))}])
        self._records = None

    def delete(self, doc_id: str) -> None:
        self.docs.delete(where={"doc_id": doc_id})
        self._records = None

    def mark_stale(self, doc_id: str) -> None:
        """Keep a document listed and readable but make the next ingest of its file redo it."""
        doc = self.get(doc_id) if not self.cache else self._fresh(doc_id)
        if doc is None:
            return
        self.put(doc_id, {**doc.metadata, "source_hash": "", "pages": _page_dicts(self.pages(doc_id))}, [])

    def intend(self, doc_ids: list[str], op: str) -> None:
        """Journal what is about to change, so a writer killed half-way is completed by the next."""
        if doc_ids:
            self.docs.upsert(ids=[f"intent:{d}" for d in doc_ids], embeddings=[_vector(d) for d in doc_ids],
                             metadatas=[{"kind": INTENT, "doc_id": d, "op": op} for d in doc_ids])

    def intents(self) -> list[tuple[str, str]]:
        return [(m["doc_id"], m["op"]) for m, _ in self._scan({"kind": INTENT}, documents=False)]

    def done(self, doc_ids: list[str]) -> None:
        if doc_ids:
            self.docs.delete(ids=[f"intent:{d}" for d in doc_ids])

    def record_change(self, doc_ids: list[str], op: str) -> None:
        """Append to the change log (what readers poll), one record per write."""
        self.log.record(doc_ids, op)
        self.own_writes += 1
        self._records = None

    def deleted(self, doc_ids: set[str]) -> set[str]:
        """See `ChangeLog.deleted`: which of `doc_ids` were removed by a logged delete."""
        return self.log.deleted(doc_ids) if doc_ids else set()

    def prune_changes(self, keep: int) -> int:
        """See `ChangeLog.prune` (call under the write lock)."""
        return self.log.prune(keep)

    # -- internals ---------------------------------------------------------------------------
    def _fresh(self, doc_id: str) -> StoredDocument | None:
        got = self.docs.get(ids=[_doc_id_key(doc_id)], include=["metadatas", "documents"])
        return self._record(got["metadatas"][0], got["documents"][0]) if got["ids"] else None

    def _all(self) -> dict[str, StoredDocument]:
        if self.cache and self._records is not None:
            return self._records
        records = {}
        for meta, body in self._scan({"kind": DOC}):
            doc = self._record(meta, body)
            records[doc.doc_id] = doc
        if self.cache:
            self._records = records
        return records

    def _scan(self, where: dict, documents: bool = True) -> Iterator[tuple[dict, str]]:
        """Records matching `where`, read in pages (one unbounded get fails past SQLite's limits)."""
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        offset = 0
        while True:
            got = self.docs.get(where=where, include=include, limit=_PAGE_SIZE, offset=offset)
            texts = got.get("documents") or [""] * len(got["ids"])
            yield from zip(got["metadatas"], texts)
            if len(got["ids"]) < _PAGE_SIZE:
                return
            offset += _PAGE_SIZE

    def _record(self, meta: dict, body: str) -> StoredDocument:
        data = json.loads(body or "{}")
        chunks = tuple(ChunkSpan(str(c[0]), int(c[1]), int(c[2]), int(c[3])) for c in data.get("chunks", []))
        return StoredDocument(meta["doc_id"], data.get("meta", {}), chunks, self.pages)

    @staticmethod
    def _page(meta: dict, text: str) -> Page:
        text = text or ""
        blocks = [Block(b["kind"], text[b["start"]:b["end"]], b["start"], b["end"], tuple(b["section"]), b["level"])
                  for b in json.loads(meta.get("blocks") or "[]")]
        return Page(int(meta["number"]), text, blocks)


def _page_dicts(pages: list[Page]) -> list[dict[str, Any]]:
    return [{"number": p.number, "text": p.text,
             "blocks": [{"kind": b.kind, "start": b.start, "end": b.end, "section": list(b.section_path),
                         "level": b.level} for b in p.blocks]} for p in pages]


def spans_of(nodes: list[Any]) -> dict[str, list[ChunkSpan]]:
    """Chunk spans per document from the pipeline's nodes (what `put` records)."""
    out: dict[str, list[ChunkSpan]] = {}
    for node in nodes:
        m = node.metadata
        out.setdefault(m["doc_id"], []).append(ChunkSpan(node.node_id, int(m["page"]), int(m["start"]), int(m["end"])))
    for spans in out.values():
        spans.sort(key=lambda c: (c.page, c.start))
    return out
