"""The change log is pruned, and readers still never miss a write (ingest/documents.py, ingest/locking.py).

Real parts: an embedded Chroma on disk, the real `StoreWriter` as the writing "process" (its own
Ingestor and repository, as the CLI would have) and a real `KnowledgeBase` as the server that polls.
With `change_log_keep=2` the log is pruned before a write once it holds more than 5 records.
"""

from __future__ import annotations

import pytest

from assistant.knowledge import KnowledgeBase
from ingest.change_log import PRUNED
from ingest.pipeline import Ingestor
from ingest.settings import Settings

KEEP = 2


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", change_log_keep=KEEP, refresh_s=0)


def put(ing: Ingestor, doc_id: str) -> None:
    """One write through the one write path: a document record (no chunks needed for the log)."""
    ing.writer.replace([(doc_id, {"title": doc_id, "audience": "all", "source_path": doc_id, "pages": []})], [])


def test_the_log_stays_bounded_and_the_counter_counts_every_write(settings):
    ing = Ingestor(settings)
    before = ing.documents.version()
    for i in range(20):
        put(ing, f"t/{i}.md")
        assert ing.documents.changes.count() <= 2 * KEEP + 2  # the kept records, this write, the bookkeeping
    assert ing.documents.version() - before == 20 + 1  # every write, and the bookkeeping record once
    newest = ing.documents.changes.get(include=["metadatas"])
    kept = [m for i, m in zip(newest["ids"], newest["metadatas"]) if i != PRUNED]
    assert json_ids(kept) >= {"t/19.md", "t/18.md"}  # the newest are the ones kept


def json_ids(metas: list[dict]) -> set[str]:
    import json

    return {d for m in metas for d in json.loads(m["doc_ids"])}


def test_a_server_behind_by_more_than_the_kept_log_still_reloads(settings):
    writer = Ingestor(settings)  # the CLI
    for i in range(4):
        put(writer, f"t/{i}.md")
    server = KnowledgeBase(settings)
    try:
        assert server.docs.ids() == [f"t/{i}.md" for i in range(4)]  # what the server has cached
        seen = writer.documents.changes.count()
        for i in range(4, 7):  # more writes than the log keeps; the last adds a document
            put(writer, f"t/{i}.md")
        # the precondition that made a bare record count miss this: the log holds as many records as before
        assert writer.documents.changes.count() == seen
        assert "t/6.md" not in server.docs.ids()
        assert server.refresh() is True
        assert "t/6.md" in server.docs.ids()
        assert server.refresh() is False  # and nothing more to see
    finally:
        server.close()


def test_a_pruner_killed_half_way_never_runs_the_counter_ahead(settings, monkeypatch):
    ing = Ingestor(settings)
    for i in range(2 * KEEP + 2):  # one more than the log holds unpruned
        put(ing, f"t/{i}.md")
    before = ing.documents.version()
    changes = ing.documents.changes
    real_delete = changes.delete

    def killed(ids=None, **kw):
        real_delete(ids=ids[:1])  # one record gone, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(changes, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        put(ing, "t/killed.md")  # the prune before this write is journalled, then killed mid-delete
    monkeypatch.undo()
    assert ing.documents.get("t/killed.md") is None
    assert ing.documents.version() <= before + 1  # low (a spare reload) at worst, never high
    assert changes.get(ids=[PRUNED], include=["metadatas"])["metadatas"][0]["pending"] != "[]"
    nxt = Ingestor(settings)  # the next writer finishes the prune before its own write
    put(nxt, "t/next.md")
    assert nxt.documents.version() == before + 1 + 1  # the bookkeeping record, then the write
    assert changes.get(ids=[PRUNED], include=["metadatas"])["metadatas"][0]["pending"] == "[]"
    assert changes.count() <= 2 * KEEP + 2



def test_the_log_tells_a_deleted_document_from_one_that_is_merely_missing(settings):
    ing = Ingestor(settings)
    put(ing, "uploads/a.md")
    put(ing, "demo/b.md")
    ing.writer.delete(["uploads/a.md"])
    repo = ing.documents
    assert repo.deleted({"uploads/a.md", "demo/b.md", "uploads/never.md"}) == {"uploads/a.md"}
    assert repo.deleted(set()) == set()


def test_a_server_hears_of_a_foreign_delete_but_not_of_records_merely_gone(settings):
    writer = Ingestor(settings)  # another process
    for doc_id in ("uploads/a.md", "uploads/b.md"):
        put(writer, doc_id)
    server = KnowledgeBase(settings)
    heard: list[dict[str, str]] = []
    server.on_foreign_removal.append(heard.append)
    try:
        writer.writer.delete(["uploads/a.md"])
        writer.documents.delete("uploads/b.md")  # records lost without a logged delete (a store reset)
        assert server.poll() is True
        assert heard == [{"uploads/a.md": "uploads/a.md"}]  # b's file must stay: nobody asked to delete it
        assert server.poll() is False
        assert len(heard) == 1  # told once
    finally:
        server.close()
