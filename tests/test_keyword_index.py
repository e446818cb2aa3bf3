"""The incremental keyword index: exact BM25, changes without a rebuild, masking, repair, sync by diff.

Real parts: bm25s as the reference scorer, the session's real Chroma and embedder (tests/conftest.py),
real ingest of a real file. Every test that changes the session index undoes its change.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer

from assistant.access import audiences_for
from assistant.models import Principal
from assistant.retrieval import Retriever
from ingest import keyword_index, keyword_store
from ingest.keyword_index import KeywordIndex, KeywordRow, Tokenizer
from ingest.keyword_store import KeywordStore, chroma_ids
from tests.conftest import PRIVATE_DOC_ID

WORDS = ("send policy safeguarding pupils attendance behaviour governors budget curriculum reading phonics "
         "early years staff training ofsted inspection the and of is to in").split()
UNIQUE = "zephyrine"  # a word no demo document holds
STEM = Tokenizer()([UNIQUE])[0][0]  # document frequency is asked for stems
QUERY = "send policy for governors reading reading"  # a repeated term counts twice, as in bm25s


def corpus(n: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 40))) for _ in range(n)]


def rows_of(texts: list[str], prefix: str = "n", per_doc: int = 10) -> list[KeywordRow]:
    return [KeywordRow(f"{prefix}{i}", f"{prefix}d{i // per_doc}", "all", "org", "policy", 1, 0, 1, tuple(t))
            for i, t in enumerate(Tokenizer()(texts))]


def by_id(index: KeywordIndex, tokens: list[str]) -> dict[str, float]:
    scores = index.scores(tokens)
    return {index.node_id(i): float(scores[i]) for i in np.flatnonzero(index.alive)}


def test_scores_equal_a_fresh_bm25s_build():
    texts = corpus(3000)
    index = KeywordIndex.build(rows_of(texts))
    ref = bm25s.BM25()
    ref.index(bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False),
              show_progress=False)
    tokens = Tokenizer()([QUERY])[0]
    want = ref.get_scores([t for t in tokens if t in ref.vocab_dict])
    np.testing.assert_allclose(index.scores(tokens), want, rtol=1e-6, atol=1e-7)
    assert index.document_frequency("send") == int(sum("send" in t.split() for t in texts))


@pytest.mark.parametrize("merge_min", [10_000, 50])  # changes kept in the delta / merged along the way
def test_changed_index_scores_as_a_fresh_build_of_the_same_chunks(monkeypatch, merge_min):
    monkeypatch.setattr(keyword_index, "MERGE_MIN_ROWS", merge_min)
    base, extra = rows_of(corpus(2000)), rows_of(corpus(400, seed=2), prefix="x")
    index = KeywordIndex.build(base)
    index = index.with_changes(removed_docs=[f"nd{i}" for i in range(0, 200, 3)])  # 67 documents out
    for k in range(0, len(extra), 25):
        index = index.with_changes(added=extra[k:k + 25])
    index = index.with_changes(removed=["x5", "x6"])
    live = [r for r in base if int(r.doc_id[2:]) % 3 or int(r.doc_id[2:]) >= 200] + \
        [r for r in extra if r.node_id not in ("x5", "x6")]
    fresh = KeywordIndex.build(live)
    tokens = Tokenizer()([QUERY])[0]
    got, want = by_id(index, tokens), by_id(fresh, tokens)
    assert got.keys() == want.keys() and index.size == len(live)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-5
    assert index.document_frequency("send") == fresh.document_frequency("send")
    if merge_min == 50:
        assert index.positions < len(base) + len(extra)  # tombstones were dropped by a merge
    else:
        assert index.delta_count == len(extra) and index.positions == len(base) + len(extra)


@pytest.fixture()
def unique_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kwtest"
    folder.mkdir()
    (folder / "minibus.md").write_text(f"# Minibus rota\n\nThe {UNIQUE} minibus leaves at nine each Friday.\n",
                                       encoding="utf-8")
    return folder


def _principals(settings):
    return {role: Principal(role, audiences_for(role, settings)) for role in ("staff", "governor", "admin")}


def _keyword_hits(assistant, query: str, principal) -> list:
    return Retriever(assistant.kb, assistant.settings).retrieve(query, principal, mode="bm25").evidence


def test_adding_and_removing_a_document_touches_only_its_rows(assistant, unique_folder, monkeypatch):
    kb = assistant.kb
    admin = _principals(assistant.settings)["admin"]
    before = kb.keyword.size
    written: list[tuple[int, int]] = []
    real_write = KeywordStore._write
    monkeypatch.setattr(KeywordStore, "_write", staticmethod(
        lambda db, rows, removed: written.append((len(rows), len(removed))) or real_write(db, rows, removed)))
    monkeypatch.setattr(KeywordStore, "rebuild", lambda *a, **k: pytest.fail("rebuilt from all of Chroma"))
    real_nodes = keyword_store.chroma_nodes
    monkeypatch.setattr(keyword_store, "chroma_nodes", lambda c, ids=None: pytest.fail("read Chroma's chunks")
                        if ids is None else real_nodes(c, ids))
    report = kb.ingest(unique_folder, corpus="kwtest")
    try:
        added = report.chunks_added
        assert report.count("ingested") == 1 and added >= 1
        assert written == [(added, 0)]  # only the new document's rows were written
        assert kb.keyword.size == before + added
        hits = _keyword_hits(assistant, f"{UNIQUE} minibus", admin)
        assert hits and hits[0].chunk.doc_id == "kwtest/minibus.md"
        assert kb.keyword.document_frequency(STEM) == added
    finally:
        assert kb.delete("kwtest/minibus.md")
    assert kb.keyword.size == before and written[-1] == (0, 0)
    assert not [e for e in _keyword_hits(assistant, f"{UNIQUE} minibus", admin) if e.chunk.doc_id.startswith("kwtest/")]
    assert kb.keyword.document_frequency(STEM) == 0


def test_keyword_search_masks_governor_chunks_from_staff(assistant):
    kb, who = assistant.kb, _principals(assistant.settings)
    query = "Project Kestrel budget deficit recovery"
    assert any(e.chunk.doc_id == PRIVATE_DOC_ID for e in _keyword_hits(assistant, query, who["governor"]))
    staff_hits = _keyword_hits(assistant, query, who["staff"])
    assert not [e for e in staff_hits if e.chunk.doc_id == PRIVATE_DOC_ID or e.chunk.audience == "governors"]
    staff_mask = kb.keyword.mask(who["staff"].audiences, None)
    assert kb.keyword.document_frequency("kestrel", staff_mask) == 0 < kb.keyword.document_frequency("kestrel")


def test_missing_corrupt_or_stale_index_is_detected_and_repaired(assistant, tmp_path, monkeypatch):
    collection = assistant.kb.ingestor.collection
    want = chroma_ids(collection)
    path = tmp_path / "keyword.sqlite3"
    ks = KeywordStore(path)
    assert ks.open(collection).node_ids() == want and ks.rebuilt  # no file: built from Chroma
    path.write_bytes(b"this is not a database" * 100)  # corrupt
    ks = KeywordStore(path)
    assert ks.open(collection).node_ids() == want and ks.rebuilt
    with sqlite3.connect(path) as db:  # stale: a lost row, a row Chroma no longer has, a changed audience
        lost, changed = sorted(want)[:2]
        db.execute("DELETE FROM chunks WHERE node_id = ?", (lost,))
        db.execute("UPDATE chunks SET audience = 'all' WHERE node_id = ?", (changed,))
        db.execute("INSERT INTO chunks SELECT 'ghost', doc_id, audience, organisation, doc_type, page, start, "
                   "\"end\", tokens FROM chunks WHERE node_id = ?", (changed,))
    fetched: list[list[str]] = []
    real_nodes = keyword_store.chroma_nodes
    monkeypatch.setattr(keyword_store, "chroma_nodes", lambda c, ids=None: fetched.append(list(ids)) or real_nodes(c, ids)
                        if ids is not None else pytest.fail("full read for a repairable file"))
    ks = KeywordStore(path)
    index = ks.open(collection)
    assert not ks.rebuilt and index.node_ids() == want
    true_audience = collection.get(ids=[changed], include=["metadatas"])["metadatas"][0]["audience"]
    if true_audience != "all":
        assert sorted(fetched[0]) == sorted([lost, changed])
        assert index.columns["audience"][index.where[changed]] == true_audience
    else:
        assert fetched == [[lost]]
    with sqlite3.connect(path) as db:
        assert {r[0] for r in db.execute("SELECT node_id FROM chunks")} == want  # the file was repaired too


def test_two_stores_over_one_chroma_collection_sync_by_diff(assistant, unique_folder, tmp_path, monkeypatch):
    """A second process's own index (its own file) catches up with another's writes by chunk-id diff."""
    kb, collection = assistant.kb, assistant.kb.ingestor.collection
    other = KeywordStore(tmp_path / "other.sqlite3")
    other.open(collection)
    staff = _principals(assistant.settings)["staff"]
    report = kb.ingest(unique_folder, corpus="kwtest")
    try:
        new_ids = {i for i in chroma_ids(collection) if i.startswith("kwtest/")}
        assert len(new_ids) == report.chunks_added >= 1
        fetched: list[list[str]] = []
        real_nodes = keyword_store.chroma_nodes
        monkeypatch.setattr(keyword_store, "chroma_nodes",
                            lambda c, ids=None: fetched.append(sorted(ids)) or real_nodes(c, ids))
        index = other.sync(collection)
        assert fetched == [sorted(new_ids)] and new_ids <= index.node_ids()  # only the new chunks were read
        assert index.document_frequency(STEM, index.mask(staff.audiences)) == len(new_ids)
        # the same ids re-written with another audience (a manifest change) are re-read, and masked
        got = collection.get(ids=sorted(new_ids), include=["metadatas"])
        collection.update(ids=got["ids"], metadatas=[m | {"audience": "governors"} for m in got["metadatas"]])
        fetched.clear()
        index = other.sync(collection)
        assert fetched == [sorted(new_ids)]
        assert index.document_frequency(STEM, index.mask(staff.audiences)) == 0
    finally:
        assert kb.delete("kwtest/minibus.md")
    fetched.clear()
    index = other.sync(collection)
    assert fetched == [] and not new_ids & index.node_ids()  # a removal needs ids only
    assert index.node_ids() == kb.keyword.node_ids()
