"""The read side of the index, loaded once per process and shared by every request.

It owns the `Ingestor` too, because uploads and deletions through the API must go
through the same stores, then swap in a fresh keyword index. Readers take a
snapshot reference (`self.keyword`), so a swap never disturbs a query in flight.
Documents are read through `ingest.documents.DocumentRepository`, filtered by the one
`assistant.access.readable` rule. A watcher thread polls the store's change counter every
`refresh_s` and reloads when another process (`ethos ingest`, `ethos remove`, another
server over the same Chroma) wrote, so this process never serves — or writes — a stale view.
The watcher is stopped and joined by `close()`, and at interpreter exit for any knowledge base
still open: a watcher left polling while Python finalises crashes the process (SIGSEGV) after
its work is done.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from llama_index.core import VectorStoreIndex
from pydantic import BaseModel

from assistant.access import readable
from assistant.models import Evidence, Filters, Principal
from ingest import store
from ingest.documents import Heading, StoredDocument
from ingest.keyword_index import KeywordIndex  # re-exported: scoring and refusal read it from here
from ingest.manifest import Manifest, load_manifest
from ingest.models import Page
from ingest.pipeline import IngestReport, Ingestor
from ingest.settings import Settings

log = logging.getLogger(__name__)
_open: "weakref.WeakSet[KnowledgeBase]" = weakref.WeakSet()  # knowledge bases whose watcher may run

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
        self.vector_index = self._vector_index()
        self._write_lock = threading.RLock()
        self.keyword: KeywordIndex | None = None
        self.docs = self.ingestor.documents
        self.docs.cache = True  # records cached until the change counter moves (see refresh)
        self._version, self._own = self.docs.version(), self.docs.own_writes
        self.reload()
        # called, outside the write lock, with {doc_id: source_path} of documents another process removed
        self.on_foreign_removal: list[Callable[[dict[str, str]], None]] = []
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if settings.refresh_s > 0:
            self._watcher = threading.Thread(target=self._watch, name="ethos-store-watcher", daemon=True)
            self._watcher.start()
            _open.add(self)

    # -- lifecycle ------------------------------------------------------------------
    def reload(self, keyword: KeywordIndex | None = None) -> None:
        """Pick up what an ingest changed: the keyword index (`keyword` if this process just
        wrote it; otherwise synced with Chroma by diff, see ingest/keyword_store.py)."""
        self.keyword = keyword if keyword is not None else self.ingestor.refresh_keyword_index()
        self._sources = self.docs.sources()  # what `refresh` compares with to see what another process removed

    def refresh(self) -> bool:
        """Reload if another process wrote since the last look (a count of the change log: cheap).

        Returns True if it reloaded. This process's own writes already reloaded, so only a
        foreign write costs anything; embedded Chroma keeps its vector index in memory per
        process, so after a foreign write the client is reopened to see the new chunks.
        """
        return self._reload_foreign() is not None

    def poll(self) -> bool:
        """One watcher tick: `refresh`, then hand what another process deleted to `on_foreign_removal`,
        outside the write lock (a hook may wait for an upload, which holds the uploads lock and then
        the write lock). Returns True if it reloaded."""
        removed = self._reload_foreign()
        if removed is None:
            return False
        if removed:
            for hook in self.on_foreign_removal:
                hook(removed)
        return True

    def _reload_foreign(self) -> dict[str, str] | None:
        """None if nothing to reload; else reload and return {doc_id: source_path} of the documents
        another process deleted since (a logged delete, not a store that lost its records)."""
        if not self._write_lock.acquire(blocking=False):
            return None  # this process is writing; it reloads when done and the next poll sees the rest
        try:
            version, own = self.docs.version(), self.docs.own_writes
            foreign = (version - self._version) - (own - self._own)
            self._version, self._own = version, own
            if foreign <= 0:
                return None
            if not self.settings.chroma_host:
                self.ingestor.reopen_chroma()
                self.docs = self.ingestor.documents
                self.docs.cache = True
                self._own = self.docs.own_writes  # a new repository counts its own writes from 0
                self.vector_index = self._vector_index()
            before = self._sources
            self.docs.sync()
            self.reload()
            gone = {d: src for d, src in before.items() if d not in self._sources}
            deleted = self.docs.deleted(set(gone))
            return {d: src for d, src in gone.items() if d in deleted}
        finally:
            self._write_lock.release()

    def _vector_index(self) -> VectorStoreIndex:
        """Dense search over this process's current Chroma client (queries retried after a reopen)."""
        queried = store.vector_store(store.query_collection(self.ingestor.collection, self.settings))
        return VectorStoreIndex.from_vector_store(queried, embed_model=self.embedder)

    def _watch(self) -> None:
        """Poll for other processes' writes. An outage (Chroma restarting) is logged once, with its
        traceback, and once more when the store answers again, not every tick while it lasts."""
        failing = False
        while not self._stop.wait(self.settings.refresh_s):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a failed poll is retried next tick
                if not failing:
                    log.exception("could not check the store for changes; retrying every %ss", self.settings.refresh_s)
                failing = True
            else:
                if failing:
                    log.warning("the store answers again")
                failing = False

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the watcher thread and wait for it (a poll in progress finishes first)."""
        self._stop.set()
        watcher, self._watcher = self._watcher, None
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout_s)
        _open.discard(self)

    def ingest(self, path: Path, corpus: str | None = None) -> IngestReport:
        with self._write_lock:
            report = self.ingestor.ingest_corpus(path, corpus=corpus)
            self.reload(report.keyword_index)  # kept current by the writes themselves: no rescan
            return report

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            deleted = self.ingestor.delete_document(doc_id)
            if deleted:
                self.reload(self.ingestor.keyword_index())  # the delete updated it: no rescan
            return deleted

    # -- documents ------------------------------------------------------------------
    def readable_documents(self, principal: Principal) -> list[StoredDocument]:
        """Every stored document the principal may read, in id order: the one list readers start from."""
        return [d for d in self.docs.list() if readable(principal, d)]

    def stored(self, doc_id: str, principal: Principal) -> StoredDocument | None:
        """One stored document if the principal may read it; None for missing *or* forbidden."""
        doc = self.docs.get(doc_id)
        return doc if doc is not None and readable(principal, doc) else None

    def headings(self, doc_id: str, principal: Principal) -> list[Heading]:
        return self.docs.headings(doc_id) if self.stored(doc_id, principal) is not None else []

    def chunk_at(self, doc_id: str, page: int, start: int, principal: Principal) -> str:
        """The chunk holding a span of a readable document, so a citation opens like any other."""
        return self.docs.chunk_at(doc_id, page, start) if self.stored(doc_id, principal) is not None else ""

    def documents(self, principal: Principal, filters: Filters | None = None) -> list[DocumentInfo]:
        out = []
        for doc in self.readable_documents(principal):
            info = self._info(doc)
            if filters and filters.organisation and info.organisation not in filters.organisation:
                continue
            if filters and filters.doc_type and info.doc_type not in filters.doc_type:
                continue
            out.append(info)
        return out

    def document(self, doc_id: str, principal: Principal) -> DocumentInfo | None:
        """Metadata of a document the principal may see; None for missing *or* forbidden."""
        doc = self.stored(doc_id, principal)
        return self._info(doc) if doc is not None else None

    @staticmethod
    def _info(doc: StoredDocument) -> DocumentInfo:
        m = doc.metadata
        return DocumentInfo(
            doc_id=doc.doc_id, title=doc.title, organisation=doc.organisation, doc_type=doc.doc_type,
            audience=doc.audience, date=str(m.get("date", "")), source_url=str(m.get("source_url", "")),
            format=str(m.get("format", "")), pages=doc.page_count, chunks=len(doc.chunks),
            ingested_at=str(m.get("ingested_at", "")),
        )

    def page(self, doc_id: str, number: int, principal: Principal) -> Page | None:
        if self.stored(doc_id, principal) is None:
            return None
        page = self.docs.page(doc_id, number)
        return Page(page.number, page.text) if page is not None else None

    def block_spans(self, ev: "Evidence") -> list[tuple[str, int, int]]:
        """(kind, start, end) of the blocks on the evidence's page: the document's own structure.

        Evidence comes from a search already masked by the asker's audience."""
        return [(b.kind, b.start, b.end) for b in self.docs.blocks(ev.chunk.doc_id, ev.chunk.page)]

    def outline(self, ev: "Evidence") -> list[tuple[str, int, int]]:
        """Sibling sub-headings of the evidence's section: (heading text, page, offset).

        Lets a list question ("what are the phases?") be answered by the document's own
        structure when the items are headings rather than bullets.
        """
        path = ev.chunk.section_path
        if len(path) < 2:
            return []
        return [(h.text, h.page, h.start) for h in self.docs.headings(ev.chunk.doc_id) if h.path[:-1] == path[:-1]]

    def manifest(self) -> Manifest:
        return load_manifest(self.settings.corpus_dir, self.settings.corpus_name)


@atexit.register
def _close_open() -> None:
    """Join every watcher still polling before Python finalises (see the module docstring)."""
    for kb in list(_open):
        kb.close()
