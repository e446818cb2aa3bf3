"""Where chunks live: Chroma (dense), a persisted BM25 index (keywords); documents: ingest/documents.py.

Chroma is the source of truth for chunks; the BM25 index is derived from it after
each ingest and stamped with a fingerprint of what it was built from, so a
reader can tell a stale or half-written index and rebuild it instead of serving
wrong results. Documents (pages, metadata) live in Chroma too, in a second collection
owned by `ingest.documents.DocumentRepository`, and only `ingest.locking.StoreWriter` writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from ingest.settings import Settings

FINGERPRINT_FILE = "ethos_fingerprint.json"


def chroma_client(settings: Settings) -> Any:
    """Embedded on-disk Chroma by default; a real `chroma run` server when a host is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def forget_embedded(settings: Settings) -> None:
    """Make the next `chroma_client` build a new embedded Chroma instead of reusing this process's.

    An embedded Chroma keeps its vector index in memory and does not see chunks another process
    wrote; a new instance loads them. The old one is not stopped: queries in flight keep using it.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    path = str(settings.chroma_path.resolve())
    for identifier in list(SharedSystemClient._identifier_to_system):
        if identifier and Path(identifier).resolve() == Path(path):
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)


def chroma_collection(client: Any, settings: Settings) -> Any:
    # embedding_function=None: Chroma must never fall back to its default ONNX embedder,
    # which would try to download a model. Ethos always passes its own vectors.
    return client.get_or_create_collection(
        settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )


def vector_store(collection: Any) -> ChromaVectorStore:
    return ChromaVectorStore(chroma_collection=collection)


def chroma_fingerprint(collection: Any, page: int = 5000) -> str:
    """Digest of every chunk id in Chroma: what the BM25 index must have been built from."""
    digest = hashlib.sha256()
    ids: list[str] = []
    offset = 0
    while True:
        batch = collection.get(include=[], limit=page, offset=offset)["ids"]
        ids.extend(batch)
        if len(batch) < page:
            break
        offset += page
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return f"{len(ids)}:{digest.hexdigest()[:24]}"


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


KEYWORD_FIELDS = ("node_id", "doc_id", "audience", "organisation", "doc_type", "page", "start", "end")


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


def build_bm25(collection: Any, path: Path) -> BM25Retriever | None:
    """Rebuild the keyword index from Chroma and swap it in atomically."""
    nodes = all_nodes(collection)
    fingerprint = chroma_fingerprint(collection)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent)
    if path.exists():
        shutil.rmtree(path)
    if not nodes:
        return None
    retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)
    # Keep only what masks, counts and citations need; the full node (text and all) is read
    # from Chroma for the few hits a query returns. At 1M chunks the full corpus was 2.5 GB.
    retriever.corpus = [{k: c[k] for k in KEYWORD_FIELDS if k in c} for c in retriever.corpus]
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    retriever.persist(str(tmp))
    (tmp / FINGERPRINT_FILE).write_text(json.dumps({"fingerprint": fingerprint}))
    os.replace(tmp, path)
    return retriever


def load_bm25(path: Path, expected_fingerprint: str) -> BM25Retriever | None:
    """The persisted index if it matches Chroma; None when missing or stale."""
    stamp = path / FINGERPRINT_FILE
    if not stamp.exists():
        return None
    if json.loads(stamp.read_text()).get("fingerprint") != expected_fingerprint:
        return None
    return BM25Retriever.from_persist_dir(str(path))

