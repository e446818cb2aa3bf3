"""The read side of the index, loaded once per process and shared by every request.

It owns the `Ingestor` too, because uploads and deletions through the API must go
through the same stores, then swap in a fresh keyword index. Readers take a
snapshot reference (`self.keyword`), so a swap never disturbs a query in flight.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.retrievers.bm25 import BM25Retriever
from pydantic import BaseModel

from assistant.models import Evidence, Filters, Principal
from ingest.manifest import Manifest, load_manifest
from ingest.models import Page
from ingest.pipeline import IngestReport, Ingestor
from ingest.settings import Settings


@dataclass
class KeywordIndex:
    """A BM25 index plus per-chunk metadata columns, for building masks without a scan."""

    retriever: BM25Retriever
    columns: dict[str, np.ndarray]

    @classmethod
    def wrap(cls, retriever: BM25Retriever) -> "KeywordIndex":
        keys = ("audience", "organisation", "doc_type", "doc_id")
        cols = {k: np.array([str(c.get(k, "")) for c in retriever.corpus], dtype=object) for k in keys}
        return cls(retriever, cols)

    @property
    def size(self) -> int:
        return len(self.columns["doc_id"])

    def document_frequency(self, stem: str, readable: np.ndarray | None = None) -> int:
        """In how many chunks a stemmed term occurs (a hyphenated term: its rarest part).

        Read from the BM25 index itself (its term-to-chunk postings), so "absent from the whole
        corpus" costs a lookup, not a scan. With `readable` (the principal's mask) only chunks the
        asker may read count: whether a governors-only paper mentions a word is not staff's to learn.
        """
        bm25 = self.retriever.bm25
        indptr, indices = bm25.scores["indptr"], bm25.scores["indices"]
        counts = []
        for part in re.split(r"[-'’]", stem):
            if len(part) < 2:
                continue
            tid = bm25.vocab_dict.get(part)
            if tid is None:
                counts.append(0)
            elif readable is None:
                counts.append(int(indptr[tid + 1] - indptr[tid]))
            else:
                counts.append(int(readable[indices[indptr[tid]:indptr[tid + 1]]].sum()))
        return min(counts) if counts else 0

    def mask(self, audiences: tuple[str, ...], filters: Filters | None,
             readable: np.ndarray | None = None) -> np.ndarray:
        """Chunks the audiences may read that pass the filters; `readable` (this same call without
        filters) saves recomputing the audience part when one question searches twice."""
        keep = readable.copy() if readable is not None else np.isin(self.columns["audience"], list(audiences))
        for key in ("organisation", "doc_type", "doc_id"):
            wanted = getattr(filters, key, None) if filters else None
            if wanted:
                keep &= np.isin(self.columns[key], wanted)
        return keep


class DocumentInfo(BaseModel):
    """What a reader may know about a document; also the API's response model."""

    doc_id: str
    title: str
    organisation: str
    doc_type: str
    audience: str
    date: str
    source_url: str
    format: str
    pages: int
    chunks: int
    ingested_at: str


class KnowledgeBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ingestor = Ingestor(settings)
        self.embedder = self.ingestor.embedder
        self.vector_index = VectorStoreIndex.from_vector_store(
            self.ingestor.vector_store, embed_model=self.embedder
        )
        self._write_lock = threading.Lock()
        self.keyword: KeywordIndex | None = None
        self._chunk_counts: dict[str, int] = {}
        self.reload()

    # -- lifecycle ------------------------------------------------------------------
    def reload(self, bm25: BM25Retriever | None = None) -> None:
        """Pick up what an ingest changed: keyword index (`bm25` if just built), chunk counts."""
        if bm25 is None:
            bm25 = self.ingestor.refresh_keyword_index()
        self.keyword = KeywordIndex.wrap(bm25) if bm25 is not None else None
        counts: dict[str, int] = {}
        if self.keyword is not None:
            for doc_id in self.keyword.columns["doc_id"]:
                counts[doc_id] = counts.get(doc_id, 0) + 1
        self._chunk_counts = counts

    def ingest(self, path: Path, corpus: str | None = None) -> IngestReport:
        with self._write_lock:
            report = self.ingestor.ingest_corpus(path, corpus=corpus)
            self.reload(report.keyword_index)  # just built or checked: no second fingerprint
            return report

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            deleted = self.ingestor.delete_document(doc_id)
            if deleted:
                self.reload(self.ingestor.refresh_keyword_index(force=True))
            return deleted

    # -- documents ------------------------------------------------------------------
    def documents(self, principal: Principal, filters: Filters | None = None) -> list[DocumentInfo]:
        out = []
        for doc_id in self.ingestor.document_ids():
            info = self.document(doc_id, principal)
            if info is None:
                continue
            if filters and filters.organisation and info.organisation not in filters.organisation:
                continue
            if filters and filters.doc_type and info.doc_type not in filters.doc_type:
                continue
            out.append(info)
        return out

    def document(self, doc_id: str, principal: Principal) -> DocumentInfo | None:
        """Metadata of a document the principal may see; None for missing *or* forbidden."""
        node = self.ingestor.docstore.get_document(doc_id, raise_error=False)
        if node is None or node.metadata.get("audience", "all") not in principal.audiences:
            return None
        m = node.metadata
        return DocumentInfo(
            doc_id=doc_id, title=m["title"], organisation=m["organisation"], doc_type=m["doc_type"],
            audience=m["audience"], date=m.get("date", ""), source_url=m.get("source_url", ""),
            format=m["format"], pages=len(m["pages"]), chunks=self._chunk_counts.get(doc_id, 0),
            ingested_at=m["ingested_at"],
        )

    def page(self, doc_id: str, number: int, principal: Principal) -> Page | None:
        if self.document(doc_id, principal) is None:
            return None
        node = self.ingestor.docstore.get_document(doc_id, raise_error=False)
        for p in node.metadata["pages"]:
            if p["number"] == number:
                return Page(p["number"], p["text"])
        return None

    def block_spans(self, ev: "Evidence") -> list[tuple[str, int, int]]:
        """(kind, start, end) of the blocks on the evidence's page: the document's own structure."""
        node = self.ingestor.docstore.get_document(ev.chunk.doc_id, raise_error=False)
        if node is None:
            return []
        for p in node.metadata["pages"]:
            if p["number"] == ev.chunk.page:
                return [(b["kind"], b["start"], b["end"]) for b in p["blocks"]]
        return []

    def outline(self, ev: "Evidence") -> list[tuple[str, int, int]]:
        """Sibling sub-headings of the evidence's section: (heading text, page, offset).

        Lets a list question ("what are the phases?") be answered by the document's own
        structure when the items are headings rather than bullets.
        """
        path = ev.chunk.section_path
        if len(path) < 2:
            return []
        node = self.ingestor.docstore.get_document(ev.chunk.doc_id, raise_error=False)
        if node is None:
            return []
        out = []
        for p in node.metadata["pages"]:
            for b in p["blocks"]:
                if b["kind"] == "heading" and tuple(b["section"][:-1]) == path[:-1]:
                    out.append((p["text"][b["start"] : b["end"]], p["number"], b["start"]))
        return out

    def manifest(self) -> Manifest:
        return load_manifest(self.settings.corpus_dir, self.settings.corpus_name)
