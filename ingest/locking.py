"""One writer, many readers: the single write path for chunks and documents.

`ethos ingest`, `ethos remove` and a running server's uploads, deletions and re-index all
write through `StoreWriter`, which holds an inter-process lock (a `filelock` lock file in
the data dir) for each batch it writes, so two processes never interleave writes. Every
write is per document — nothing is written whole from an in-memory copy — so a process
that read the store a minute ago can never write its stale view over another's changes.

Crash safety is a journal: before touching Chroma a writer records an intent per document
(`put` or `delete`); it clears the intents after the document record is written. A writer
killed at any moment leaves intents behind, and the next writer (any process) completes
them before doing anything else: the chunks of an interrupted document are removed, a
deleted document is removed, and a document that was being replaced keeps its old record
(listed and readable) but is marked stale, so the next ingest of its folder redoes it.

Each write appends to the change log (`DocumentRepository.record_change`); readers poll its
counter to notice writes made by other processes. Before each write the log is pruned to its
newest `change_log_keep` records once it holds twice that (the counter still counts every write).
With `ETHOS_CHROMA_HOST` the lock guards the processes of one host; instances on several hosts
write per document and see each other through the change log (concurrent writes of the *same*
document from two hosts: last wins).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ingest.documents import ChunkSpan, DocumentRepository, spans_of
from ingest.settings import Settings

log = logging.getLogger(__name__)
LOCK_FILE = "ethos-write.lock"


class WriteBusy(RuntimeError):
    """Another process held the write lock for longer than `write_lock_timeout_s`."""


class WriteLock:
    """Re-entrant within a process (threads queue on an RLock), exclusive across processes."""

    _locks: dict[Path, "WriteLock"] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path, self.timeout_s = path, timeout_s
        self._thread = threading.RLock()
        self._file = FileLock(str(path), thread_local=False)

    @classmethod
    def for_settings(cls, settings: Settings) -> "WriteLock":
        path = (settings.data_dir / LOCK_FILE).resolve()
        with cls._guard:
            if path not in cls._locks:
                path.parent.mkdir(parents=True, exist_ok=True)
                cls._locks[path] = cls(path, settings.write_lock_timeout_s)
            return cls._locks[path]

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._thread.acquire(timeout=self.timeout_s):
            raise WriteBusy(f"another write in this process held {self.path} for over {self.timeout_s:.0f} s")
        try:
            try:
                self._file.acquire(timeout=self.timeout_s)
            except Timeout as exc:
                raise WriteBusy(f"another Ethos process is writing (lock {self.path}); try again when it "
                                "finishes") from exc
            try:
                yield
            finally:
                self._file.release()
        finally:
            self._thread.release()


class StoreWriter:
    """The only code that writes chunks (Chroma) and documents (`DocumentRepository`)."""

    def __init__(self, settings: Settings, vector_store: Any, documents: DocumentRepository) -> None:
        self.settings = settings
        self.vector_store = vector_store
        self.documents = documents
        self.lock = WriteLock.for_settings(settings)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock, after completing anything a killed writer left half-done."""
        with self.lock.hold():
            self.documents.sync()  # another process may have written since this one last looked
            self.recover()
            self.documents.prune_changes(self.settings.change_log_keep)
            yield

    def complete_interrupted(self) -> list[tuple[str, str]]:
        """Finish what a killed writer left, before anything reads the store to decide what to do.

        Cheap when the journal is empty (one read, no lock); a live writer's intents exist only
        while it holds the lock, so any seen under the lock are a dead writer's.
        """
        if not self.documents.intents():
            return []
        with self.lock.hold():
            self.documents.sync()
            return self.recover()

    def replace(self, docs: list[tuple[str, dict[str, Any]]], nodes: list[Any]) -> None:
        """Store documents (id, metadata with pages) and their embedded chunk nodes, replacing old ones."""
        if not docs:
            return
        ids = [doc_id for doc_id, _ in docs]
        spans = spans_of(nodes)
        with self.writing():
            self.documents.intend(ids, "put")
            for doc_id in ids:
                self.vector_store.delete(doc_id)
            if nodes:
                self.vector_store.add(nodes)
            for doc_id, metadata in docs:
                self.documents.put(doc_id, metadata, spans.get(doc_id, []))
            self.documents.done(ids)
            self.documents.record_change(ids, "put")

    def delete(self, doc_ids: list[str]) -> list[str]:
        """Remove documents and their chunks; returns the ids that existed."""
        with self.writing():
            found = [d for d in doc_ids if self.documents.exists(d)]
            if not found:
                return []
            self.documents.intend(found, "delete")
            for doc_id in found:
                self.vector_store.delete(doc_id)
                self.documents.delete(doc_id)
            self.documents.done(found)
            self.documents.record_change(found, "delete")
            return found

    def recover(self) -> list[tuple[str, str]]:
        """Complete what a killed writer journalled (call with the lock held)."""
        pending = self.documents.intents()
        for doc_id, op in pending:
            self.vector_store.delete(doc_id)
            if op == "delete":
                self.documents.delete(doc_id)
            else:
                self.documents.mark_stale(doc_id)
            log.warning("completed an interrupted %s of %s", op, doc_id)
        if pending:
            self.documents.done([d for d, _ in pending])
            self.documents.record_change([d for d, _ in pending], "recover")
        return pending

    def migrate_docstore(self, path: Path, collection: Any) -> int:
        """Move documents from an old `docstore.json` (page text stored twice) into the repository, once."""
        if not path.exists():
            return 0
        from llama_index.core.storage.docstore import SimpleDocumentStore

        moved = 0
        with self.writing():
            if not path.exists():  # another process migrated while we waited
                return 0
            old = SimpleDocumentStore.from_persist_path(str(path))
            for doc_id in sorted(old.get_all_document_hashes().values()):
                node = old.get_document(doc_id, raise_error=False)
                if node is None or self.documents.exists(doc_id):
                    continue
                got = collection.get(where={"doc_id": doc_id}, include=["metadatas"])
                spans = sorted((ChunkSpan(i, int(m["page"]), int(m["start"]), int(m["end"]))
                                for i, m in zip(got["ids"], got["metadatas"])), key=lambda c: (c.page, c.start))
                self.documents.put(doc_id, dict(node.metadata), spans)
                moved += 1
            if moved:
                self.documents.record_change([], "migrate")
            path.replace(path.with_name(path.name + ".migrated"))
        return moved
