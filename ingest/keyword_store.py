"""The keyword index's rows on disk (one SQLite file per data dir) and its sync with Chroma.

Chroma is the source of truth for chunks; the keyword index is derived from it, and each
process keeps its own (no file is shared by two servers over one `chroma run`). The SQLite
file holds every chunk's filter fields and stemmed tokens, so a restart reloads the index
without re-reading or re-tokenising Chroma. It is brought in line with Chroma by diffs:

- the writer's own changes (`apply`): the chunks just written and the documents just replaced
  or deleted, one transaction of those rows only;
- anything else (`sync`, on start-up and when another process changed Chroma): chunk ids
  compared with Chroma's, per audience, so a chunk whose audience changed under the same id is
  re-read too; and one chunk per document compared with Chroma's copy (its row's fingerprint),
  because a sources.toml edit of a document's organisation, type or title re-writes its chunks
  under the same ids (they follow the file's bytes): a differing document is re-read whole.

A file that is unreadable, of another format or tokenizer, is deleted and rebuilt from Chroma
(the only full read). SQLite's transactions make a kill at any moment leave the old rows or the
new ones, and the next sync repairs any difference with Chroma.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from ingest.keyword_index import SIGNATURE, KeywordIndex, KeywordRow, Tokenizer

FORMAT = "1"
FILE = "keyword.sqlite3"
PAGE = 5000  # Chroma reads in pages: one unbounded `get` fails past SQLite's variable limit
ID_PAGE = 100_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    node_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, audience TEXT NOT NULL, organisation TEXT NOT NULL,
    doc_type TEXT NOT NULL, page INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
"""
ROW_FIELDS = ("doc_id", "audience", "organisation", "doc_type", "page", "start", "end")
_COLS = "node_id, doc_id, audience, organisation, doc_type, page, start, \"end\", tokens"


def keyword_path(settings: Any) -> Path:
    """Where a data dir keeps its keyword rows (one file per data dir, never shared by two servers)."""
    return Path(settings.data_dir) / FILE


def node_rows(nodes: Sequence[BaseNode], tokenizer: Tokenizer) -> list[KeywordRow]:
    """Keyword rows of nodes: the text BM25 always indexed (the embedded "context" line and the
    chunk) and the fields masks and citations need."""
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    out = []
    for node, tokens in zip(nodes, tokenizer(texts)):
        m = node.metadata
        out.append(KeywordRow(node.node_id, str(m.get("doc_id") or node.ref_doc_id or ""), str(m.get("audience", "")),
                              str(m.get("organisation", "")), str(m.get("doc_type", "")), int(m.get("page", 0) or 0),
                              int(m.get("start", 0) or 0), int(m.get("end", 0) or 0), tuple(tokens)))
    return out


def chroma_ids(collection: Any, where: dict | None = None) -> set[str]:
    """Chunk ids in Chroma (those matching `where`), in large pages: ids alone stay well inside
    SQLite's limits, and small pages cost an offset scan each (3.8 s for 100k ids in pages of 5k)."""
    ids: set[str] = set()
    offset = 0
    while True:
        batch = collection.get(include=[], where=where, limit=ID_PAGE, offset=offset)["ids"]
        ids.update(batch)
        if len(batch) < ID_PAGE:
            return ids
        offset += ID_PAGE


def _nodes_of(got: dict) -> list[BaseNode]:
    """A Chroma `get` (metadatas and documents) as nodes."""
    nodes = []
    for meta, text in zip(got["metadatas"], got["documents"]):
        node = metadata_dict_to_node(meta)
        node.set_content(text or "")
        # Chroma's own fields (what its `where` filters on) win over the copy inside `_node_content`
        node.metadata.update({k: meta[k] for k in ROW_FIELDS if k in meta})
        nodes.append(node)
    return nodes


def chroma_nodes(collection: Any, ids: Sequence[str] | None = None) -> Iterator[list[BaseNode]]:
    """Chunks from Chroma as nodes, in pages: all of them, or those with these ids (what is re-indexed)."""
    if ids is not None:
        ids = list(ids)
        for i in range(0, len(ids), PAGE):
            yield _nodes_of(collection.get(ids=ids[i:i + PAGE], include=["metadatas", "documents"]))
        return
    offset = 0
    while True:
        got = collection.get(include=["metadatas", "documents"], limit=PAGE, offset=offset)
        yield _nodes_of(got)
        if len(got["ids"]) < PAGE:
            return
        offset += PAGE


class KeywordStore:
    """Owns one process's keyword index: `index` is the current snapshot (swap-only)."""

    def __init__(self, path: Path, tokenizer: Tokenizer | None = None) -> None:
        self.path = path
        self.tokenizer = tokenizer or Tokenizer()
        self.index: KeywordIndex = KeywordIndex.build([])
        self.rebuilt = False  # set when the last `open` had to rebuild from all of Chroma
        self._lock = threading.RLock()  # one change at a time within the process

    # -- lifecycle ------------------------------------------------------------------------
    def open(self, collection: Any) -> KeywordIndex:
        """Load the persisted rows, then sync with Chroma by diff."""
        with self._lock:
            self.load_or_rebuild(collection)
            return self.sync(collection)

    def load_or_rebuild(self, collection: Any) -> KeywordIndex:
        """The persisted rows as an index; a missing, corrupt or foreign file is rebuilt from Chroma."""
        with self._lock:
            self.rebuilt = False
            try:
                rows = self._load()
            except (sqlite3.DatabaseError, ValueError, KeyError, IndexError):
                rows = None
            if rows is None:
                return self.rebuild(collection)
            self.index = KeywordIndex.build(rows)
            return self.index

    def rebuild(self, collection: Any) -> KeywordIndex:
        """Everything from Chroma into a fresh file: first start, or a file that cannot be used."""
        with self._lock:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            rows: list[KeywordRow] = []
            with self._db() as db:
                for nodes in chroma_nodes(collection):
                    batch = node_rows(nodes, self.tokenizer)
                    self._write(db, batch, [])
                    rows.extend(batch)
            self.index = KeywordIndex.build(rows)
            self.rebuilt = True
            return self.index

    # -- changes --------------------------------------------------------------------------
    def apply(self, nodes: Sequence[BaseNode] = (), removed_docs: Iterable[str] = ()) -> KeywordIndex:
        """The writer's own change: documents replaced or deleted, chunks added (only these rows
        are written; nothing else is read)."""
        return self.apply_rows(node_rows(nodes, self.tokenizer), removed_docs=removed_docs)

    def apply_rows(self, rows: Sequence[KeywordRow], removed: Iterable[str] = (),
                   removed_docs: Iterable[str] = ()) -> KeywordIndex:
        removed, removed_docs = list(removed), list(removed_docs)
        with self._lock:
            with self._db() as db:
                if removed_docs:
                    db.executemany("DELETE FROM chunks WHERE doc_id = ?", [(d,) for d in removed_docs])
                self._write(db, rows, removed)
            self.index = self.index.with_changes(rows, removed, removed_docs)
            return self.index

    def sync(self, collection: Any) -> KeywordIndex:
        """Bring the index in line with Chroma, reading only chunk ids and the chunks that differ.

        Ids are compared per audience value, so a chunk re-written under the same id with another
        audience (a manifest change) is re-read: the audience is what keeps a chunk from a role.
        """
        with self._lock:
            index = self.index
            theirs = chroma_ids(collection)
            ours = index.node_ids()
            changed = theirs - ours
            # A chunk whose audience changed from A to B is caught by comparing A's ids or B's, so the
            # largest audience (most ids to read) need not be compared.
            values, counts = np.unique(index.columns["audience"][index.alive].astype(str), return_counts=True)
            for audience in values[np.argsort(counts)][:-1].tolist():
                mine = set(index.columns["node_id"][index.alive & (index.columns["audience"] == audience)].tolist())
                changed |= mine.symmetric_difference(chroma_ids(collection, {"audience": audience})) & theirs
            if len(values):  # a chunk moved to an audience no chunk here has yet
                changed |= chroma_ids(collection, {"audience": {"$nin": values.tolist()}}) & ours
            changed |= self._rewritten(collection, index, theirs)
            removed = ours - theirs
            if not changed and not removed:
                return index
            rows: list[KeywordRow] = []
            for nodes in chroma_nodes(collection, sorted(changed)) if changed else ():
                rows.extend(node_rows(nodes, self.tokenizer))
            return self.apply_rows(rows, removed=sorted(removed | (changed - {r.node_id for r in rows})))

    def _rewritten(self, collection: Any, index: KeywordIndex, theirs: set[str]) -> set[str]:
        """Chunks Chroma holds under ids this index has, but with other fields or text.

        A document is re-written whole, so one chunk of each (its first here) stands for it: the
        row Chroma's copy gives is compared with ours by fingerprint (audience aside: `sync` compares
        it for every chunk), and every chunk of a document whose sample differs is re-read. Costs one
        chunk per document, not a read of every chunk."""
        alive = np.flatnonzero(index.alive)
        _, first = np.unique(index.columns["doc_id"][alive].astype(str), return_index=True)
        sample = {str(index.columns["node_id"][p]): int(p) for p in alive[first]}
        ids = sorted(node_id for node_id in sample if node_id in theirs)
        stale: set[str] = set()
        for lo in range(0, len(ids), PAGE):
            got = collection.get(ids=ids[lo:lo + PAGE], include=["metadatas", "documents"])
            for row in node_rows(_nodes_of(got), self.tokenizer):
                p = sample[row.node_id]
                if row.fingerprint != int(index.columns["fingerprint"][p]):
                    stale.add(str(index.columns["doc_id"][p]))
        if not stale:
            return set()
        mask = index.alive & np.isin(index.columns["doc_id"], sorted(stale))
        return set(index.columns["node_id"][mask].tolist()) & theirs

    # -- file -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            with db:  # one transaction: all of this change or none of it
                db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?), ('tokenizer', ?)", (FORMAT, SIGNATURE))
                yield db
        finally:
            db.close()

    @staticmethod
    def _write(db: sqlite3.Connection, rows: Sequence[KeywordRow], removed: Sequence[str]) -> None:
        db.executemany("DELETE FROM chunks WHERE node_id = ?", [(i,) for i in removed])
        db.executemany(f"INSERT OR REPLACE INTO chunks ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(r.node_id, r.doc_id, r.audience, r.organisation, r.doc_type, r.page, r.start, r.end,
                         " ".join(r.tokens)) for r in rows])

    def _load(self) -> list[KeywordRow] | None:
        """The persisted rows; None when there is no usable file (missing, corrupt, other format)."""
        if not self.path.exists():
            return None
        db = sqlite3.connect(self.path, timeout=60)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return None
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("format") != FORMAT or meta.get("tokenizer") != SIGNATURE:
                return None
            return [KeywordRow(*r[:8], tuple(r[8].split())) for r in db.execute(f"SELECT {_COLS} FROM chunks")]
        finally:
            db.close()
