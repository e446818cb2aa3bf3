"""Incremental ingestion: a corpus folder in, Chroma + BM25 + docstore kept in step.

Each file is one llama-index `IngestionPipeline` run (structure chunker, then the
embedder) with the docstore in UPSERTS mode, so a changed file's old chunks are
deleted before its new ones are added. Files are committed one at a time (docstore
written atomically after each), so a run killed at any point loses at most the
file in flight, and the next run repairs it: a half-written file is either
re-ingested over its stale chunks or, if new, swept from Chroma first.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline

from ingest import store
from ingest.embedding import get_embedder, tokenizer_of
from ingest.loaders import load_document
from ingest.manifest import Manifest, corpus_files, load_manifest
from ingest.models import LoadError
from ingest.nodes import StructureChunker, to_llama_document
from ingest.settings import Settings

CHUNKER_VERSION = "1"  # bump when chunking changes, so every file is re-chunked once


@dataclass
class FileResult:
    path: str
    doc_id: str
    status: str  # ingested | unchanged | removed | failed
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

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
        self.collection = store.chroma_collection(store.chroma_client(settings), settings)
        self.vector_store = store.vector_store(self.collection)
        self.docstore = store.load_docstore(settings.docstore_path)
        self.pipeline = IngestionPipeline(
            transformations=[
                StructureChunker(
                    count_tokens=self.count_tokens,
                    max_tokens=settings.chunk_tokens,
                    prefix_tokens=settings.prefix_tokens,
                ),
                self.embedder,
            ],
            docstore=self.docstore,
            vector_store=self.vector_store,
            docstore_strategy=DocstoreStrategy.UPSERTS,
        )

    # -- public ---------------------------------------------------------------------
    def ingest_corpus(
        self, root: Path, corpus: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Bring the index in line with `root`: add new, replace changed, drop removed files."""
        started = time.perf_counter()
        root = root.resolve()
        manifest = load_manifest(root if root.is_dir() else root.parent, corpus)
        report = IngestReport()
        paths = corpus_files(root)
        seen: set[str] = set()
        for i, path in enumerate(paths):
            if progress:
                progress(path.name, i, len(paths))
            result = self.ingest_file(path, manifest, root if root.is_dir() else root.parent)
            seen.add(result.doc_id)
            report.files.append(result)
        if root.is_dir():
            report.files.extend(self._remove_missing(manifest.name, seen))
        self.refresh_keyword_index(force=any(f.status in ("ingested", "removed") for f in report.files))
        report.seconds = time.perf_counter() - started
        if progress:
            progress("", len(paths), len(paths))
        return report

    def ingest_file(self, path: Path, manifest: Manifest, root: Path) -> FileResult:
        meta = manifest.meta_for(root, path)
        try:
            source_hash = self._source_hash(path, meta)
            if self._stored_meta(meta.doc_id).get("source_hash") == source_hash:
                return FileResult(str(path), meta.doc_id, "unchanged")
            doc = load_document(path, meta)
            llama_doc = to_llama_document(doc, source_hash)
            if not self.docstore.document_exists(meta.doc_id):
                self.vector_store.delete(meta.doc_id)  # sweep chunks of a run killed mid-file
            nodes = self.pipeline.run(documents=[llama_doc])
            store.persist_docstore(self.docstore, self.settings.docstore_path)
            return FileResult(str(path), meta.doc_id, "ingested", chunks=len(nodes))
        except (LoadError, OSError, UnicodeError, ValueError) as exc:
            return FileResult(str(path), meta.doc_id, "failed", reason=str(exc) or type(exc).__name__)

    def delete_document(self, doc_id: str) -> bool:
        if not self.docstore.document_exists(doc_id):
            return False
        self.vector_store.delete(doc_id)
        self.docstore.delete_document(doc_id, raise_error=False)
        store.persist_docstore(self.docstore, self.settings.docstore_path)
        return True

    def refresh_keyword_index(self, force: bool = False) -> None:
        """Rebuild BM25 from Chroma if anything changed or the persisted one is stale."""
        if force or store.load_bm25(self.settings.bm25_dir, store.chroma_fingerprint(self.collection)) is None:
            store.build_bm25(self.vector_store, self.collection, self.settings.bm25_dir)

    def document_ids(self) -> list[str]:
        return sorted(self.docstore.get_all_document_hashes().values())

    # -- internals ----------------------------------------------------------------
    def _remove_missing(self, corpus: str, seen: set[str]) -> list[FileResult]:
        removed = []
        for doc_id in self.document_ids():
            if doc_id.startswith(f"{corpus}/") and doc_id not in seen:
                self.delete_document(doc_id)
                removed.append(FileResult(doc_id, doc_id, "removed"))
        return removed

    def _stored_meta(self, doc_id: str) -> dict:
        doc = self.docstore.get_document(doc_id, raise_error=False)
        return doc.metadata if doc is not None else {}

    def _source_hash(self, path: Path, meta) -> str:
        """File bytes + manifest entry + chunking settings: any change means re-ingest."""
        digest = hashlib.sha256(path.read_bytes())
        digest.update(json.dumps(meta.__dict__, sort_keys=True).encode())
        digest.update(f"{CHUNKER_VERSION}:{self.settings.chunk_tokens}:{self.settings.embed_model}".encode())
        return digest.hexdigest()
