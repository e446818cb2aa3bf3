"""The keyword (BM25) index in memory: takes added and removed chunks without a rebuild.

Why not bm25s's own index: it bakes IDF and document-length normalisation into every stored
score, so one added document changes every score and means a rebuild from all of Chroma
(35 s at 100k chunks, 515 s at 1M). Here the postings hold raw term frequencies and the BM25
arithmetic runs at query time over the query terms' postings only, with the live corpus
statistics (chunk count, document frequency, mean length). The formula and tokenisation are
bm25s's (Lucene BM25, k1 = 1.5, b = 0.75; its tokenizer with English stopwords and PyStemmer's
English stemmer), so scores equal a fresh bm25s build of the same chunks (tests check that).

Layout: a *main* segment of term-sorted postings plus a small *delta* segment for chunks added
since; removed chunks are tombstones (`alive`). When the delta or the tombstones pass a few per
cent of the index they are merged into a new, compact main segment (two sorted runs: linear).
A `KeywordIndex` is an immutable snapshot: a change returns a new one sharing the unchanged
arrays, so a query in flight keeps the snapshot it started with. The vocabulary is shared and
append-only (a term id an older snapshot has never seen simply has no postings there).
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import bm25s
import numpy as np
import Stemmer

K1, B = 1.5, 0.75  # bm25s's defaults (method "lucene"), as the BM25Retriever index used them
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
TEXT_COLUMNS = ("node_id", "doc_id", "audience", "organisation", "doc_type")
INT_COLUMNS = ("page", "start", "end", "fingerprint")
FILTER_KEYS = ("organisation", "doc_type", "doc_id")
MERGE_MIN_ROWS = 2_000  # below this a delta or tombstone count never forces a merge
MERGE_SHARE = 0.05  # ... above it, a merge once the delta or tombstones pass this share of the index
SIGNATURE = f"bm25s-lucene k1={K1} b={B} stopwords=en stemmer=english pattern={TOKEN_PATTERN}"


class Tokenizer:
    """bm25s's tokenizer with English stopwords and stemming: the same for chunks and queries."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()  # a PyStemmer object must not be used by two threads at once

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        if not texts:
            return []
        with self._lock:
            return bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer, token_pattern=TOKEN_PATTERN,
                                  return_ids=False, show_progress=False)


@dataclass(frozen=True)
class KeywordRow:
    """One chunk as the keyword index keeps it: its id, filter fields and stemmed tokens."""

    node_id: str
    doc_id: str
    audience: str
    organisation: str
    doc_type: str
    page: int
    start: int
    end: int
    tokens: tuple[str, ...]

    @property
    def fingerprint(self) -> int:
        """A checksum of what the row holds but its ids and audience: a chunk re-written under the same
        id with another organisation, type or title (a sources.toml edit) gets another one. (The sync
        compares audiences chunk by chunk already: ingest/keyword_store.py.)"""
        text = "\x1f".join((self.organisation, self.doc_type, str(self.page), str(self.start), str(self.end),
                            " ".join(self.tokens)))
        return zlib.crc32(text.encode("utf-8", "surrogatepass"))


class Vocabulary:
    """Term → id, shared by every snapshot of one index and only ever appended to."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, terms: Iterable[str]) -> None:
        new = [t for t in terms if t not in self.ids]
        if new:
            with self._lock:
                for t in new:
                    self.ids.setdefault(t, len(self.ids))


@dataclass(frozen=True)
class Postings:
    """Term-sorted postings: term id t occurs in rows[indptr[t]:indptr[t+1]], tf times each."""

    indptr: np.ndarray
    rows: np.ndarray
    tf: np.ndarray

    @classmethod
    def build(cls, tids: np.ndarray, rows: np.ndarray, tf: np.ndarray, vocab_size: int) -> "Postings":
        order = np.argsort(tids, kind="stable")  # timsort: inputs made of sorted runs sort in linear time
        counts = np.bincount(tids, minlength=vocab_size)
        indptr = np.zeros(vocab_size + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, rows[order].astype(np.int32), tf[order].astype(np.float32))

    @classmethod
    def empty(cls) -> "Postings":
        return cls(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))

    def of(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        if tid + 1 >= len(self.indptr):
            return self.rows[:0], self.tf[:0]
        lo, hi = self.indptr[tid], self.indptr[tid + 1]
        return self.rows[lo:hi], self.tf[lo:hi]

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tids = np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int32), np.diff(self.indptr))
        return tids, self.rows, self.tf


def _postings_of(rows: Sequence[KeywordRow], first: int, vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    """(term ids, positions, term frequencies) of `rows`, placed from position `first`.

    Vectorised: one pass over all tokens to map them to ids, then one sort counts (term, row) pairs.
    """
    lengths = np.fromiter((len(r.tokens) for r in rows), dtype=np.int64, count=len(rows))
    ids = vocab.ids
    with vocab._lock:  # noqa: SLF001 - new terms get the next ids; readers only ever `get`
        tids = np.fromiter((ids.setdefault(t, len(ids)) for r in rows for t in r.tokens), dtype=np.int64,
                           count=int(lengths.sum()))
    where = np.repeat(np.arange(first, first + len(rows), dtype=np.int64), lengths)
    span = first + len(rows) + 1
    pairs, tf = np.unique(tids * span + where, return_counts=True)  # sorted by term: `Postings.build` is linear
    return ((pairs // span).astype(np.int32), (pairs % span).astype(np.int32), tf.astype(np.float32))


class RowMask(np.ndarray):
    """A boolean mask over one snapshot's positions that remembers that snapshot, so a caller
    holding a mask from before a swap is answered by the snapshot the mask belongs to."""

    index: "KeywordIndex | None"

    def __array_finalize__(self, obj: Any) -> None:
        self.index = getattr(obj, "index", None)


@dataclass(frozen=True)
class KeywordIndex:
    """One immutable snapshot of the keyword index (see the module docstring)."""

    vocab: Vocabulary
    columns: dict[str, np.ndarray]  # per position: TEXT_COLUMNS (object) and INT_COLUMNS (int64, with the
    # rows' `fingerprint`, which the sync with Chroma compares: see ingest/keyword_store.py)
    alive: np.ndarray  # per position: False once the chunk is removed
    length: np.ndarray  # per position: token count (bm25s's document length)
    main: Postings
    delta: Postings = field(default_factory=Postings.empty)
    delta_count: int = 0  # the last `delta_count` positions are in `delta`, the others in `main`
    live: int = 0  # chunks alive
    live_length: float = 0.0  # their summed lengths
    # node id -> position of its live chunk; shared by the snapshots of one merge generation and
    # kept current for the newest (the only one that takes changes)
    where: dict[str, int] = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Sequence[KeywordRow], vocab: Vocabulary | None = None) -> "KeywordIndex":
        """A compact index of `rows` (a full build: used on first start)."""
        vocab = vocab or Vocabulary()
        rows = list({r.node_id: r for r in rows}.values())  # one row per chunk id, the last wins
        tids, where, tf = _postings_of(rows, 0, vocab)
        length = np.asarray([len(r.tokens) for r in rows], dtype=np.float64)
        return cls(vocab, _columns(rows), np.ones(len(rows), dtype=bool), length,
                   Postings.build(tids, where, tf, len(vocab.ids)), live=len(rows), live_length=float(length.sum()),
                   where={r.node_id: i for i, r in enumerate(rows)})

    def with_changes(self, added: Sequence[KeywordRow] = (), removed: Iterable[str] = (),
                     removed_docs: Iterable[str] = ()) -> "KeywordIndex":
        """A new snapshot without the `removed` chunk ids and the chunks of `removed_docs`, with
        `added` in (an added id already present replaces it). Costs the size of the change plus
        an occasional merge; the corpus is never re-read or re-tokenised."""
        added = list({r.node_id: r for r in added}.values())
        gone = {p for i in (*removed, *(r.node_id for r in added)) if (p := self.where.get(i)) is not None}
        docs = list(set(removed_docs))
        if docs:
            gone.update(np.flatnonzero(self.alive & np.isin(self.columns["doc_id"], docs)).tolist())
        hit = np.fromiter(sorted(gone), dtype=np.int64, count=len(gone))
        if not added and not len(hit):
            return self
        alive = self.alive.copy()
        alive[hit] = False
        for i in self.columns["node_id"][hit].tolist():
            self.where.pop(i, None)
        live = self.live - len(hit)
        live_length = self.live_length - float(self.length[hit].sum())
        columns, delta, delta_count, length = self.columns, self.delta, self.delta_count, self.length
        if added:
            first = len(alive)
            new_cols = _columns(added)
            columns = {k: np.concatenate([v, new_cols[k]]) for k, v in columns.items()}
            alive = np.concatenate([alive, np.ones(len(added), dtype=bool)])
            new_len = np.asarray([len(r.tokens) for r in added], dtype=np.float64)
            length = np.concatenate([length, new_len])
            live, live_length = live + len(added), live_length + float(new_len.sum())
            new = _postings_of(added, first, self.vocab)
            delta = Postings.build(*(np.concatenate([a, b]) for a, b in zip(delta.flat(), new)), len(self.vocab.ids))
            delta_count += len(added)
            self.where.update((r.node_id, first + i) for i, r in enumerate(added))
        out = replace(self, columns=columns, alive=alive, length=length, delta=delta, delta_count=delta_count,
                      live=live, live_length=live_length)
        limit = max(MERGE_MIN_ROWS, MERGE_SHARE * len(alive))
        return out.merged() if delta_count > limit or len(alive) - live > limit else out

    def merged(self) -> "KeywordIndex":
        """Delta folded into main and tombstones dropped: positions renumbered, nothing re-tokenised."""
        keep = self.alive
        new_pos = np.cumsum(keep, dtype=np.int64) - 1
        parts = [p.flat() for p in (self.main, self.delta)]
        tids, rows, tf = (np.concatenate([p[i] for p in parts]) for i in range(3))
        ok = keep[rows]
        main = Postings.build(tids[ok], new_pos[rows[ok]], tf[ok], len(self.vocab.ids))
        columns = {k: v[keep] for k, v in self.columns.items()}
        where = {i: n for n, i in enumerate(columns["node_id"].tolist())}  # a new generation
        return replace(self, columns=columns, alive=np.ones(int(keep.sum()), bool), length=self.length[keep],
                       main=main, delta=Postings.empty(), delta_count=0, where=where)

    # -- reading --------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Chunks in the index (removed ones not counted)."""
        return self.live

    @property
    def positions(self) -> int:
        """Length of every per-position array and mask (live chunks plus not yet merged removals)."""
        return len(self.alive)

    def node_id(self, position: int) -> str:
        return str(self.columns["node_id"][position])

    def node_ids(self) -> set[str]:
        return set(self.columns["node_id"][self.alive].tolist())

    def chunk_counts(self) -> dict[str, int]:
        ids, counts = np.unique(self.columns["doc_id"][self.alive].astype(str), return_counts=True)
        return dict(zip(ids.tolist(), counts.tolist()))

    def chunk_spans(self, doc_id: str) -> list[tuple[int, int, int, str]]:
        """(page, start, end, chunk id) of every chunk of a document, in position order."""
        c = self.columns
        where = np.flatnonzero(self.alive & (c["doc_id"] == doc_id))
        return [(int(c["page"][i]), int(c["start"][i]), int(c["end"][i]), str(c["node_id"][i])) for i in where]

    def organisations(self) -> set[str]:
        return set(self.columns["organisation"][self.alive].tolist())

    def mask(self, audiences: Sequence[str], filters: Any = None, readable: np.ndarray | None = None) -> RowMask:
        """Chunks the audiences may read that pass the filters (any object with list-valued
        `organisation`, `doc_type`, `doc_id`); `readable`, this same call without filters, saves
        recomputing the audience part when one question searches twice."""
        keep = readable.copy() if readable is not None else np.isin(self.columns["audience"], list(audiences))
        keep &= self.alive
        for key in FILTER_KEYS:
            wanted = getattr(filters, key, None) if filters else None
            if wanted:
                keep &= np.isin(self.columns[key], list(wanted))
        out = np.asarray(keep, dtype=bool).view(RowMask)
        out.index = self
        return out

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        (r1, f1), (r2, f2) = self.main.of(tid), self.delta.of(tid)
        rows, tf = (np.concatenate([r1, r2]), np.concatenate([f1, f2])) if len(r2) else (r1, f1)
        if self.live != len(self.alive):  # tombstones to skip
            ok = self.alive[rows]
            rows, tf = rows[ok], tf[ok]
        return rows, tf

    def document_frequency(self, stem: str, readable: np.ndarray | None = None) -> int:
        """In how many chunks a stemmed term occurs (a hyphenated term: its rarest part).

        With `readable` (the principal's mask) only chunks the asker may read count: whether a
        governors-only paper mentions a word is not staff's to learn.
        """
        owner = getattr(readable, "index", None)
        if owner is not None and owner is not self:  # a mask from an older snapshot: ask that one
            return owner.document_frequency(stem, readable)
        counts = []
        for part in stem.replace("'", "-").replace("’", "-").split("-"):
            if len(part) < 2:
                continue
            tid = self.vocab.ids.get(part)
            rows = self._postings(tid)[0] if tid is not None else np.zeros(0, np.int32)
            counts.append(int(len(rows) if readable is None else np.asarray(readable)[rows].sum()))
        return min(counts) if counts else 0

    def query_tokens(self, text: str, tokenizer: Tokenizer) -> list[str]:
        """The text's stemmed terms that the index knows, repeats kept (BM25 counts each)."""
        return [t for t in tokenizer([text])[0] if t in self.vocab.ids]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 (Lucene variant, bm25s's arithmetic) of every position for these query terms."""
        out = np.zeros(len(self.alive), dtype=np.float32)
        n = self.live
        if n == 0:
            return out
        avg = self.live_length / n
        for token in tokens:
            tid = self.vocab.ids.get(token)
            if tid is None:
                continue
            rows, tf = self._postings(tid)
            if not len(rows):
                continue
            idf = np.float32(math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5)))
            tfc = tf / (K1 * ((1 - B) + B * self.length[rows] / avg) + tf)
            out[rows] += (idf * tfc).astype(np.float32)  # a term's rows are distinct: no lost adds
        return out


def _columns(rows: Sequence[KeywordRow]) -> dict[str, np.ndarray]:
    cols = {k: np.array([getattr(r, k) for r in rows] or [], dtype=object) for k in TEXT_COLUMNS}
    cols |= {k: np.array([int(getattr(r, k)) for r in rows], dtype=np.int64) for k in INT_COLUMNS}
    return cols
