"""The change log: an append-only Chroma collection (`<collection>_changes`) readers poll.

Every write adds a record, so the number of records ever written is a change counter a reader
polls cheaply to learn that another process (the CLI, another server) wrote. The log is pruned to
its newest records (`prune`); one bookkeeping record keeps the number pruned, so the counter
(`version`) still counts every write ever made and a reader that was behind by more than the
kept records still sees that something changed. Only `ingest.locking.StoreWriter` writes, under
the write lock, through `ingest.documents.DocumentRepository`.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from typing import Any

_PAGE_SIZE = 2000
_PRUNE_AT_ONCE = 10_000  # a log never pruned before goes down over a few writes, each journal kept small
PRUNED = "pruned"  # the bookkeeping record: {"pruned": records deleted so far, "pending": ids}


def vector(record_id: str) -> list[float]:
    """Chroma wants a vector per record; these are only ever fetched by id or field. Distinct values
    keep its vector index from degenerating over many identical points."""
    return [zlib.crc32(record_id.encode()) / 2**32]


class ChangeLog:
    def __init__(self, collection: Any, writer_id: str) -> None:
        self.changes, self.writer_id = collection, writer_id

    def version(self) -> int:
        """The change counter: every write ever logged, the kept records plus those pruned (cheap).

        The pruned total is read before the count, and a prune adds to it only after deleting (see
        `prune`), so a reading taken during a prune can be low (a spare reload), never high (which
        would hide the next write)."""
        pruned, _ = self._pruned()
        return pruned + int(self.changes.count())

    def record(self, doc_ids: list[str], op: str) -> None:
        """Append one record for one write."""
        change = uuid.uuid4().hex
        self.changes.add(ids=[change], embeddings=[vector(change)],
                         metadatas=[{"op": op, "doc_ids": json.dumps(doc_ids[:50]), "count": len(doc_ids),
                                     "writer": self.writer_id, "at": time.time()}])

    def deleted(self, doc_ids: set[str]) -> set[str]:
        """Which of `doc_ids` a logged write deleted (records kept since the last prune; a record
        names at most 50 ids). A document missing for any other reason (a store reset) is not among them."""
        got = self.changes.get(where={"op": "delete"}, include=["metadatas"])
        logged = {d for meta in got["metadatas"] for d in json.loads(meta.get("doc_ids") or "[]")}
        return doc_ids & logged

    def prune(self, keep: int) -> int:
        """Keep the newest `keep` records once the log holds twice that; returns how many went.

        The ids to delete are journalled in the bookkeeping record first, and the pruned total moves
        only once they are gone, so a pruner killed half-way is finished by the next writer (here,
        first thing) and the counter never runs ahead of the writes. Call under the write lock.
        """
        self._finish_prune()
        if self.changes.count() <= 2 * keep + 1:  # + the bookkeeping record
            return 0
        stamped: list[tuple[float, str]] = []
        for offset in range(0, int(self.changes.count()), _PAGE_SIZE):
            got = self.changes.get(include=["metadatas"], limit=_PAGE_SIZE, offset=offset)
            stamped += [(float(m.get("at") or 0.0), i) for i, m in zip(got["ids"], got["metadatas"]) if i != PRUNED]
        old = [i for _, i in sorted(stamped)[:max(0, len(stamped) - keep)]][:_PRUNE_AT_ONCE]  # the rest next write
        pruned, _ = self._pruned()
        self.changes.upsert(ids=[PRUNED], embeddings=[vector(PRUNED)],
                            metadatas=[{"pruned": pruned, "pending": json.dumps(old)}])
        return self._finish_prune()

    def _pruned(self) -> tuple[int, list[str]]:
        """(records pruned so far, ids a prune has journalled but not yet finished deleting)."""
        got = self.changes.get(ids=[PRUNED], include=["metadatas"])
        if not got["ids"]:
            return 0, []
        meta = got["metadatas"][0]
        return int(meta.get("pruned") or 0), json.loads(meta.get("pending") or "[]")

    def _finish_prune(self) -> int:
        pruned, pending = self._pruned()
        if not pending:
            return 0
        for lo in range(0, len(pending), _PAGE_SIZE):
            self.changes.delete(ids=pending[lo:lo + _PAGE_SIZE])
        self.changes.upsert(ids=[PRUNED], embeddings=[vector(PRUNED)],
                            metadatas=[{"pruned": pruned + len(pending), "pending": "[]"}])
        return len(pending)
