"""Incremental ingestion: a corpus folder in, Chroma + keyword index + documents kept in step.

Files are loaded one by one (a bad file is reported and skipped), then chunked and embedded
in small batches through llama-index's `IngestionPipeline` (structure chunker, then the
embedder), and written by `ingest.locking.StoreWriter` — the one write path, under the
inter-process write lock, journalled so that a run killed at any point is completed by the
next writer (its old chunks are replaced; see ingest/locking.py). Documents are kept by
`ingest.documents.DocumentRepository`; a file whose stored source hash is stale is redone.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import torch
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import Document as LlamaDocument

from ingest import scope, store
from ingest.documents import DocumentRepository
from ingest.locking import StoreWriter, WriteBusy
from ingest.embedding import encode, get_embedder, tokenizer_of
from ingest.keyword_index import KeywordIndex
from ingest.keyword_store import KeywordStore, keyword_path
from ingest.manifest import Manifest, display_path, load_manifest, walk_corpus
from ingest.models import LoadError
from ingest.parse_worker import InLine, ParseWorker, prefetch, spare_core
from ingest.nodes import ChunkEmbedder, StructureChunker, to_llama_document
from ingest.settings import Settings

CHUNKER_VERSION = "5"  # bump when chunking or unit embedding changes, so every file is re-chunked once


@dataclass
class FileResult:
    path: str
    doc_id: str
    status: str  # ingested | unchanged | removed | failed | skipped (not a corpus file: link out, fifo, hidden)
    # with dry_run: "ingested"/"removed" are what the run would do; nothing is written
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    keyword_index: KeywordIndex | None = field(default=None, repr=False)  # current after this ingest

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def chunks_added(self) -> int:
        return sum(f.chunks for f in self.files if f.status == "ingested")


ProgressFn = Callable[[str, int, int], None]  # (file, files done, files total)


class Ingestor:
    """Owns the stores for one data directory; create once, call `ingest_corpus` as often as needed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings)
        tokenizer = tokenizer_of(self.embedder)
        self.count_tokens = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])
        client = store.chroma_client(settings)
        self.collection = store.chroma_collection(client, settings)
        self.vector_store = store.vector_store(self.collection)
        self.documents = DocumentRepository(client, settings)
        self.writer = StoreWriter(settings, self.vector_store, self.documents)  # the only writer of both
        # Parse ahead of the embedder only if a core is free beside torch's threads (measured:
        # without one, overlap made the pipeline slower, evals/reports/ingest.md).
        self.parse_ahead = spare_core(torch.get_num_threads())
        self.keywords = KeywordStore(keyword_path(settings))  # this process's own keyword index
        self._keywords_open = False
        self.writer.migrate_docstore(settings.docstore_path, self.collection)  # an old data dir, once
        self.writer.complete_interrupted()  # a writer killed mid-batch: finished before anything reads
        self.pipeline = IngestionPipeline(
            transformations=[
                StructureChunker(
                    count_tokens=self.count_tokens,
                    max_tokens=settings.chunk_tokens,
                    prefix_tokens=settings.prefix_tokens,
                ),
                # chunks and their answer units, in one encode call per batch of files
                ChunkEmbedder(encode=lambda texts: encode(self.embedder, texts)),
            ],
            # No docstore and no vector store: the pipeline only chunks and embeds; StoreWriter
            # writes chunks and documents together under the write lock.
            # The ingestion cache would keep transformed nodes (with embeddings) in memory for the
            # life of the process, for inputs the source hash already skips (issue 13 part 4).
            disable_cache=True,
        )

    # -- public ---------------------------------------------------------------------
    def ingest_corpus(
        self, root: Path, corpus: str | None = None, progress: ProgressFn | None = None,
        dry_run: bool = False, prune: bool = False,
    ) -> IngestReport:
        """Bring the index in line with folder `root`: add new, replace changed, drop removed files.

        Only documents whose source lies under `root` are replaced or removed (ingest/scope.py);
        `prune` also removes documents of the corpus whose source file is gone from anywhere.
        `dry_run` reports what would change (files are hashed, not parsed) and writes nothing.
        """
        started = time.perf_counter()
        root = root.resolve()
        base = root if root.is_dir() else root.parent
        audiences = self.settings.audience_values()  # None: the manifest's own (all, staff, governors)
        manifest = load_manifest(base, corpus, audiences)
        report = IngestReport(dry_run=dry_run)
        if dry_run:
            return self._dry_run(root, base, manifest, report, prune, started)
        store.remove_stale_temps(self.settings.data_dir)  # left by a build killed mid-write
        if interrupted := self.writer.complete_interrupted():  # another process may have died since we opened
            self._keywords().apply((), removed_docs=[doc_id for doc_id, _ in interrupted])
        walk = walk_corpus(root)
        paths = walk.files
        report.files.extend(FileResult(rel, "", "skipped", reason=why) for rel, why in walk.skipped)
        batch: list[tuple[FileResult, LlamaDocument]] = []
        # Files are hashed and parsed in the worker process: ahead, while this thread embeds, when
        # there is a core for it; otherwise each in its turn. Closed first if anything raises.
        ahead = prefetch if self.parse_ahead else InLine
        with ParseWorker(self.settings.parse_timeout_s, self.settings.parse_memory_mb) as worker, \
                closing(ahead(paths, lambda path: self._prepare(path, manifest, base, worker))) as prepared:
            for i, (path, (result, doc)) in enumerate(prepared):
                if progress:
                    progress(display_path(path.name), i, len(paths))
                report.files.append(result)
                if doc is not None:
                    batch.append((result, doc))
                # Full batches for the embedder, but never wait for the parser while holding work:
                # the first files are embedded while the rest are parsed.
                if batch and (sum(len(d.metadata["pages"]) for _, d in batch) >= self.settings.commit_pages
                              or not prepared.ready()):
                    self._commit(batch)
                    batch = []
        self._commit(batch)
        if root.is_dir():
            seen = {f.doc_id for f in report.files}
            doomed = scope.to_remove(self.document_ids(), self.documents, manifest.name, base, seen, prune)
            report.files.extend(self.remove_documents(doomed))
        changed = any(f.status in ("ingested", "removed") for f in report.files)
        report.keyword_index = self.keyword_index()  # kept current by each write: no rescan
        report.seconds = time.perf_counter() - started
        if progress:
            progress("", len(paths), len(paths))
        return report

    def _prepare(self, path: Path, manifest: Manifest, root: Path,
                 worker: ParseWorker) -> tuple[FileResult, LlamaDocument | None]:
        """Load one file (parsed in `worker`, under its budgets); any failure is that file's row."""
        shown = display_path(str(path))
        try:
            meta = manifest.meta_for(root, path)
        except Exception as exc:  # noqa: BLE001 - a name the manifest cannot map is this file's problem
            return FileResult(shown, "", "failed", reason=f"cannot name this file: {exc}"), None
        if reason := scope.collision(self.documents, meta.doc_id, meta.source_path):
            return FileResult(shown, meta.doc_id, "failed", reason=reason), None
        try:
            source_hash = self._source_hash(path, meta)
            if self._stored_meta(meta.doc_id).get("source_hash") == source_hash:
                return FileResult(shown, meta.doc_id, "unchanged"), None
            doc, tracker = worker.parse_with_tracker(path, meta)
            return FileResult(shown, meta.doc_id, "ingested"), to_llama_document(doc, source_hash, tracker)
        except (LoadError, OSError) as exc:
            return FileResult(shown, meta.doc_id, "failed", reason=str(exc) or type(exc).__name__), None
        except Exception as exc:  # noqa: BLE001 - no file may stop the run
            return FileResult(shown, meta.doc_id, "failed", reason=f"{type(exc).__name__}: {str(exc)[:200]}"), None

    def _commit(self, batch: list[tuple[FileResult, LlamaDocument]]) -> None:
        """Chunk and embed a batch of files (no lock held), then store them through the writer.

        Batching gives the embedder full batches; crash safety rests on the writer's journal
        (see ingest/locking.py), so a batch killed mid-write is completed by the next writer.
        """
        if not batch:
            return
        try:
            nodes = self.pipeline.run(documents=[doc for _, doc in batch])
            self.writer.replace([(doc.id_, doc.metadata) for _, doc in batch], nodes)
            self._keywords().apply(nodes, removed_docs=[doc.id_ for _, doc in batch])  # only these rows
        except WriteBusy:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the file that breaks a batch (e.g. an id Chroma rejects)
            if len(batch) == 1:
                batch[0][0].status, batch[0][0].reason = "failed", f"could not index: {exc}"
                return
            for item in batch:
                self._commit([item])
            return
        per_doc: dict[str, int] = {}
        for node in nodes:
            per_doc[node.ref_doc_id] = per_doc.get(node.ref_doc_id, 0) + 1
        for result, doc in batch:
            result.chunks = per_doc.get(doc.id_, 0)

    def reopen_chroma(self) -> None:
        """A fresh embedded Chroma client: its in-memory vector index misses other processes' writes."""
        client = store.fresh_client(self.settings)
        self.collection = store.chroma_collection(client, self.settings)
        self.vector_store = store.vector_store(self.collection)
        self.documents = DocumentRepository(client, self.settings)
        self.writer = StoreWriter(self.settings, self.vector_store, self.documents)

    def delete_document(self, doc_id: str) -> bool:
        found = self.writer.delete([doc_id])
        if found:
            self._keywords().apply((), removed_docs=found)
        return bool(found)

    def refresh_keyword_index(self, force: bool = False) -> KeywordIndex | None:
        """The keyword index brought in line with Chroma by diff (another process may have written).

        Reads Chroma's chunk ids (per audience) and only the chunks that differ; the first call in a
        process loads the persisted rows, rebuilding from Chroma only when they are missing or
        unusable. `force` is accepted for old callers; a diff is always enough.
        """
        store_ = self._keywords(sync=False)
        return _nonempty(store_.sync(self.collection))

    def keyword_index(self) -> KeywordIndex | None:
        """The current keyword index as this process's own writes left it (no Chroma read)."""
        return _nonempty(self._keywords().index)

    def _keywords(self, sync: bool = True) -> KeywordStore:
        """The keyword store, opened (loaded and synced with Chroma) on first use."""
        if not self._keywords_open:
            self.keywords.open(self.collection) if sync else self.keywords.load_or_rebuild(self.collection)
            self._keywords_open = True
        return self.keywords

    def document_ids(self) -> list[str]:
        return self.documents.ids()

    def _dry_run(self, root: Path, base: Path, manifest: Manifest, report: IngestReport, prune: bool,
                 started: float) -> IngestReport:
        walk = walk_corpus(root)
        report.files.extend(FileResult(rel, "", "skipped", reason=why) for rel, why in walk.skipped)
        for path in walk.files:
            shown = display_path(str(path))
            try:
                meta = manifest.meta_for(base, path)
                if reason := scope.collision(self.documents, meta.doc_id, meta.source_path):
                    report.files.append(FileResult(shown, meta.doc_id, "failed", reason=reason))
                    continue
                same = self._stored_meta(meta.doc_id).get("source_hash") == self._source_hash(path, meta)
                report.files.append(FileResult(shown, meta.doc_id, "unchanged" if same else "ingested",
                                               reason="" if same else "would be (re)ingested"))
            except Exception as exc:  # noqa: BLE001 - a dry run reports, it never stops
                report.files.append(FileResult(shown, "", "failed", reason=f"{type(exc).__name__}: {exc}"))
        if root.is_dir():
            seen = {f.doc_id for f in report.files}
            for doc_id in scope.to_remove(self.document_ids(), self.documents, manifest.name, base, seen, prune):
                report.files.append(FileResult(doc_id, doc_id, "removed", reason="would be removed"))
        report.seconds = time.perf_counter() - started
        return report

    # -- internals ----------------------------------------------------------------
    def remove_documents(self, doc_ids: list[str]) -> list[FileResult]:
        """Delete these documents; each is a 'removed' row, or 'failed' with the reason."""
        removed = []
        for doc_id in doc_ids:
            try:
                self.delete_document(doc_id)
                removed.append(FileResult(doc_id, doc_id, "removed"))
            except Exception as exc:  # noqa: BLE001 - one bad removal must not stop the others
                removed.append(FileResult(doc_id, doc_id, "failed", reason=f"could not remove: {exc}"))
        return removed

    def _stored_meta(self, doc_id: str) -> dict:
        doc = self.documents.get(doc_id)
        return doc.metadata if doc is not None else {}

    def _source_hash(self, path: Path, meta) -> str:
        """File bytes + manifest entry + chunking settings: any change means re-ingest."""
        with path.open("rb") as f:  # streamed: a huge file is the parser's budget to refuse, not ours
            digest = hashlib.file_digest(f, "sha256")
        digest.update(json.dumps(meta.__dict__, sort_keys=True).encode())
        digest.update(f"{CHUNKER_VERSION}:{self.settings.chunk_tokens}:{self.settings.embed_model}".encode())
        return digest.hexdigest()


def _nonempty(index: KeywordIndex) -> KeywordIndex | None:
    """None for an empty index: readers treat "no keyword index" and "no chunks" alike."""
    return index if index.size else None
