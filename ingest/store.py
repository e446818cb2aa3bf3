"""Where chunks live: Chroma (dense); keywords: ingest/keyword_store.py; documents: ingest/documents.py.

Chroma is the source of truth for chunks; each process's keyword index is derived from it and
kept in line by diffs (the writer's own changes, or a chunk-id diff with Chroma), never rebuilt
on a change. Documents (pages, metadata) live in Chroma too, in a second collection
owned by `ingest.documents.DocumentRepository`, and only `ingest.locking.StoreWriter` writes.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore

from ingest.settings import Settings


def chroma_client(settings: Settings) -> Any:
    """Embedded on-disk Chroma by default; a real `chroma run` server when a host is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    with _EMBEDDED:  # Chroma's per-process client cache is not safe against a concurrent reopen
        if not (settings.chroma_path / STORE_FILE).exists():
            _create_store(settings.chroma_path, chroma_settings)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


_EMBEDDED = threading.RLock()
STORE_FILE = "chroma.sqlite3"
INIT_PREFIX = ".chroma-init-"


def _create_store(path: Path, chroma_settings: ChromaSettings) -> None:
    """Make a new embedded store beside its place and rename it into place.

    A writer killed while Chroma creates its schema used to leave a half-made store that every
    later open failed on ("table collections already exists"); now it leaves a temp folder,
    removed by the next open once its process is gone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent, INIT_PREFIX)
    tmp = path.parent / f"{INIT_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    client = chromadb.PersistentClient(path=str(tmp), settings=chroma_settings)
    client.heartbeat()
    client.close()
    try:
        os.rename(tmp, path)  # onto a missing or empty folder
    except OSError:  # another process made the store first: use theirs
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_client(settings: Settings) -> Any:
    """A client on a new embedded Chroma (see `forget_embedded`), made atomically: a watcher
    thread and a request thread may both reopen at once."""
    with _EMBEDDED:
        forget_embedded(settings)
        return chroma_client(settings)


def forget_embedded(settings: Settings) -> None:
    """Make the next `chroma_client` build a new embedded Chroma instead of reusing this process's.

    An embedded Chroma keeps its vector index in memory and does not see chunks another process
    wrote; a new instance loads them. The old one is not stopped: queries in flight keep using it.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    path = str(settings.chroma_path.resolve())
    with _EMBEDDED:
        for identifier in list(SharedSystemClient._identifier_to_system):
            if identifier and Path(identifier).resolve() == Path(path):
                SharedSystemClient._identifier_to_system.pop(identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)


class ReopeningCollection:
    """Embedded Chroma only: a query that fails because another process rewrote the store reopens.

    An embedded Chroma's in-memory vector index can point at chunks another process (the CLI)
    has just replaced, and the query fails ("Error finding id") until the client is reopened;
    the server's watcher reopens within `refresh_s`, this covers the moment in between.
    Everything but `query` goes straight to the collection.
    """

    def __init__(self, collection: Any, settings: Settings, attempts: int = 3) -> None:
        self._collection, self._settings, self._attempts = collection, settings, attempts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def query(self, *args: Any, **kwargs: Any) -> Any:
        from chromadb.errors import InternalError

        for attempt in range(self._attempts):
            try:
                return self._collection.query(*args, **kwargs)
            except InternalError:
                if attempt == self._attempts - 1:
                    raise
                time.sleep(0.2 * attempt)
                self._collection = chroma_collection(fresh_client(self._settings), self._settings)


def query_collection(collection: Any, settings: Settings) -> Any:
    """The collection a reader queries: retried over a reopened client when embedded (see above)."""
    return collection if settings.chroma_host else ReopeningCollection(collection, settings)


def chroma_collection(client: Any, settings: Settings) -> Any:
    """The chunk collection, its HNSW search breadth set to `settings.hnsw_ef_search`.

    With Chroma's default breadth (ef_search 100) each process's local index returned a slightly
    different top 30 for the same query vector (recall against exact search 0.998-1.000 on the
    real-PDF index, varying run to run), so the same question could get a different answer in
    another process. At 400 the same index returned the exact top 30 in every run. The breadth is
    a search-time setting, changed in place on an existing collection (no rebuild).
    """
    # embedding_function=None: Chroma must never fall back to its default ONNX embedder,
    # which would try to download a model. Ethos always passes its own vectors. The space goes in
    # the metadata: a `configuration` passed beside it at creation replaces the space with l2.
    collection = client.get_or_create_collection(
        settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    hnsw = (getattr(collection, "configuration_json", None) or {}).get("hnsw") or {}
    if hnsw.get("ef_search") != settings.hnsw_ef_search:
        collection.modify(configuration={"hnsw": {"ef_search": settings.hnsw_ef_search}})
    return collection


def vector_store(collection: Any) -> ChromaVectorStore:
    return ChromaVectorStore(chroma_collection=collection)


def all_nodes(collection: Any, page: int = 5000) -> list[BaseNode]:
    """Every chunk in Chroma as a node, read in pages: one unbounded `get` fails past
    SQLite's variable limit (seen at 100k chunks)."""
    nodes: list[BaseNode] = []
    offset = 0
    while True:
        got = collection.get(include=["metadatas", "documents"], limit=page, offset=offset)
        for meta, text in zip(got["metadatas"], got["documents"]):
            node = metadata_dict_to_node(meta)
            node.set_content(text or "")
            nodes.append(node)
        if len(got["ids"]) < page:
            return nodes
        offset += page


TEMP_PREFIX = ".bm25-"
STALE_TEMP_S = 600  # a temp folder without a live owner this old is from a killed build


def remove_stale_temps(parent: Path, prefix: str = TEMP_PREFIX) -> list[Path]:
    """Delete temp folders/files that interrupted builds left behind (`.bm25-<pid>-*`, `.docstore-*`).

    A name carrying a pid is removed once that process is gone; an older name without one
    once it is older than STALE_TEMP_S, so a build running in another process is never touched.
    """
    removed = []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        if not entry.name.startswith((prefix, ".docstore-")):
            continue
        pid = entry.name[len(prefix):].split("-", 1)[0] if entry.name.startswith(prefix) else ""
        try:
            if pid.isdigit():
                alive = int(pid) != os.getpid() and _alive(int(pid))
                if alive:
                    continue
            elif time.time() - entry.stat().st_mtime < STALE_TEMP_S:
                continue
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
