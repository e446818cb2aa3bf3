"""Incremental ingestion against real parts: real embedder, real embedded Chroma, real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.access import audiences_for
from ingest import store
from ingest.manifest import load_manifest
from ingest.pipeline import Ingestor
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"


def chroma_ids(ing: Ingestor) -> list[str]:
    return sorted(ing.collection.get(include=[])["ids"])


def bm25_ids(settings: Settings, ing: Ingestor) -> list[str]:
    """The chunk ids of the keyword index as persisted (a fresh store loads the file only)."""
    from ingest.keyword_store import KeywordStore, keyword_path

    loaded = KeywordStore(keyword_path(settings)).load_or_rebuild(ing.collection)
    assert ing.keyword_index() is not None and loaded.node_ids() == ing.keyword_index().node_ids()
    return sorted(loaded.node_ids())


def assert_consistent(settings: Settings, ing: Ingestor, corpus: Path) -> None:
    """Chroma, BM25 and the document repository agree with each other and with the files on disk."""
    ids = chroma_ids(ing)
    assert len(ids) == len(set(ids)), "duplicate chunk ids in Chroma"
    assert ids == bm25_ids(settings, ing)
    docs = set(ing.document_ids())
    assert {i.split("#")[0] for i in ids} == docs
    name = load_manifest(corpus).name
    assert docs == {f"{name}/{p.name}" for p in corpus.iterdir() if p.name != "sources.toml"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dest = tmp_path / "demo"
    shutil.copytree(DEMO, dest)
    return dest


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_demo_chunks_are_verbatim_bounded_and_structured(settings, corpus):
    ing = Ingestor(settings)
    report = ing.ingest_corpus(corpus)
    assert report.count("ingested") == 5 and report.count("failed") == 0
    got = ing.collection.get(include=["documents", "metadatas"])
    assert len(got["ids"]) == report.chunks_added > 20
    pages = {}
    for doc_id in ing.document_ids():
        pages.update({(doc_id, p.number): p.text for p in ing.documents.pages(doc_id)})
    sections = set()
    for text, meta in zip(got["documents"], got["metadatas"]):
        assert pages[(meta["doc_id"], meta["page"])][meta["start"] : meta["end"]] == text
        assert ing.count_tokens(text) <= settings.chunk_tokens
        embed_text = f"{meta['context']}\n{text}"
        assert ing.count_tokens(embed_text) + 2 <= 256, "embedded text must fit the model window"
        sections.add(meta["section"])
    assert "Our Improvement Model › PHASE 3: IMPROVE" in sections
    # Boilerplate from the Luton web page must not become searchable text.
    assert not any("AS IS for your information" in t for t in got["documents"])


def test_list_stays_with_its_introducing_sentence(settings, corpus):
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    docs = ing.collection.get(include=["documents"])["documents"]
    holder = [d for d in docs if "these five fundamentals" in d]
    assert holder and "Establishing school improvement capacity." in holder[0]


def test_reingest_unchanged_adds_nothing(settings, corpus):
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    before = chroma_ids(ing)
    again = Ingestor(settings).ingest_corpus(corpus)
    assert again.count("unchanged") == 5 and again.chunks_added == 0
    assert chroma_ids(ing) == before


def test_changed_file_replaces_its_chunks_and_deleted_file_disappears(settings, corpus):
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    target = corpus / "phase-2-growth-plan.txt"
    old = [i for i in chroma_ids(ing) if "phase-2-growth-plan" in i]
    untouched = [i for i in chroma_ids(ing) if "phase-2-growth-plan" not in i]
    target.write_text(target.read_text() + "\n- to open a forest school by 2029\n")
    report = ing.ingest_corpus(corpus)
    assert [f.status for f in report.files].count("ingested") == 1
    new = [i for i in chroma_ids(ing) if "phase-2-growth-plan" in i]
    assert new and not set(new) & set(old)
    assert [i for i in chroma_ids(ing) if "phase-2-growth-plan" not in i] == untouched
    texts = ing.collection.get(ids=new, include=["documents"])["documents"]
    assert any("forest school" in t for t in texts)
    assert_consistent(settings, ing, corpus)

    (corpus / "luton-2040-education-strategy.txt").unlink()
    report = ing.ingest_corpus(corpus)
    assert report.count("removed") == 1
    assert not [i for i in chroma_ids(ing) if "luton" in i]
    assert_consistent(settings, ing, corpus)


def test_bad_files_are_reported_and_skipped(settings, corpus):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n% truncated")
    (corpus / "budget.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (corpus / "empty.txt").write_text("   \n")
    ing = Ingestor(settings)
    report = ing.ingest_corpus(corpus)
    failed = {Path(f.path).name: f.reason for f in report.files if f.status == "failed"}
    assert set(failed) == {"broken.pdf", "budget.xlsx", "empty.txt"}
    assert all(reason for reason in failed.values())
    assert report.count("ingested") == 5
    ids = chroma_ids(ing)
    assert ids == bm25_ids(settings, ing)
    assert not [i for i in ids if "broken" in i or "budget" in i]


def test_bm25_rebuilt_when_stale(settings, corpus):
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    from ingest.keyword_store import keyword_path

    keyword_path(settings).unlink()
    ing = Ingestor(settings)  # a new process finds no keyword file: rebuilt from Chroma
    ing.refresh_keyword_index()
    assert ing.keywords.rebuilt
    assert bm25_ids(settings, ing) == chroma_ids(ing)


def test_keyword_index_reads_chroma_in_pages(settings, corpus):
    """One unbounded Chroma `get` fails past SQLite's variable limit at ~100k chunks."""
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    paged = store.all_nodes(ing.collection, page=7)
    assert sorted(n.node_id for n in paged) == chroma_ids(ing)
    texts = dict(zip(*[ing.collection.get(include=["documents"])[k] for k in ("ids", "documents")]))
    assert all(n.get_content() == texts[n.node_id] for n in paged)


def test_pipeline_chunks_then_embeds_chunks_and_units_in_one_step(settings):
    """The structure chunker, then one embedding step for chunks and their units together: the
    encode call that pools them is what lets sentence-transformers batch like lengths together
    (one call per batch: tests/test_chunk_embedder.py)."""
    ing = Ingestor(settings)
    assert [type(t).__name__ for t in ing.pipeline.transformations] == ["StructureChunker", "ChunkEmbedder"]
    assert ing.pipeline.disable_cache


def test_keyword_index_persists_ids_and_filter_fields_only(settings, corpus):
    """The keyword rows on disk hold ids, filter fields and stems (no chunk text): hits are read back
    from Chroma by id."""
    import sqlite3

    from ingest.keyword_store import keyword_path

    ing = Ingestor(settings)
    ing.ingest_corpus(corpus)
    with sqlite3.connect(keyword_path(settings)) as db:
        cols = [c[1] for c in db.execute("PRAGMA table_info(chunks)")]
        assert cols == ["node_id", "doc_id", "audience", "organisation", "doc_type", "page", "start", "end", "tokens"]
        tokens = db.execute("SELECT tokens FROM chunks").fetchone()[0]
    texts = ing.collection.get(include=["documents"])["documents"]
    assert tokens and tokens not in texts and all(t.islower() for t in tokens.split())


def test_startup_reads_chroma_ids_once_and_changes_never_rescan(settings, corpus, monkeypatch):
    """Reading every chunk id costs about a minute at 1M chunks: a reader start-up does it once (the
    diff with Chroma), an ingest or a delete none; after a delete keyword queries still answer."""
    from ingest import keyword_store
    from assistant.knowledge import KnowledgeBase
    from assistant.models import Principal
    from assistant.retrieval import Retriever

    Ingestor(settings).ingest_corpus(corpus)
    calls = []
    real = keyword_store.chroma_ids
    monkeypatch.setattr(keyword_store, "chroma_ids", lambda c, where=None: calls.append(where) or real(c, where))
    kb = KnowledgeBase(settings.model_copy(update={"refresh_s": 0}))
    assert calls and calls[0] is None and None not in calls[1:] and kb.keyword is not None
    calls.clear()
    (corpus / "extra.md").write_text("# Extra\n\nOur minibus timetable is agreed each term.\n", encoding="utf-8")
    kb.ingest(corpus)  # the ingest's own writes updated the index: no Chroma scan
    assert not calls and "demo/extra.md" in kb.keyword.chunk_counts()
    admin = Principal("admin", audiences_for("admin", settings))
    victim = kb.documents(admin)[0].doc_id
    assert kb.delete(victim)
    got = Retriever(kb, settings).retrieve("values vision mission", admin, mode="bm25").evidence
    assert got and all(e.chunk.doc_id != victim and e.chunk.text for e in got)
    assert not calls
