"""A run killed with SIGKILL is repaired by the next; the same corpus round-trips through `chroma run`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from ingest.pipeline import Ingestor
from ingest.settings import Settings
from tests.servers import free_port
from tests.test_ingest_pipeline import DEMO, assert_consistent, chroma_ids

ETHOS = [sys.executable, "-m", "ui.cli"]
ROOT = Path(__file__).resolve().parents[1]


def _grow_corpus(dest: Path, copies: int = 8) -> Path:
    """The demo corpus plus variants of its documents, so a run lasts long enough to be killed."""
    shutil.copytree(DEMO, dest)
    seeds = sorted(p for p in DEMO.glob("*.txt"))
    for i in range(copies):
        src = seeds[i % len(seeds)]
        (dest / f"variant-{i:02d}-{src.name}").write_text(f"Variant {i}\n\n" + src.read_text())
    return dest


def stored_ids(data: Path) -> list[str]:
    """Document ids as a separate reader process sees them (a plain Chroma client, no embedder)."""
    from ingest.documents import DocumentRepository
    from ingest.store import chroma_client

    settings = Settings(data_dir=data)
    return DocumentRepository(chroma_client(settings), settings).ids()


def wait_for_documents(data: Path, proc: subprocess.Popen, at_least: int = 1, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while not (data / "chroma").exists() or len(stored_ids(data)) < at_least:
        assert proc.poll() is None, "the writer ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.1)


@pytest.mark.parametrize("extra_delay", [0.0, 1.5])
def test_killed_run_then_rerun_is_consistent(tmp_path: Path, extra_delay: float):
    corpus = _grow_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    env = {**os.environ, "ETHOS_DATA_DIR": str(data), "ETHOS_COMMIT_PAGES": "2"}
    proc = subprocess.Popen([*ETHOS, "ingest", str(corpus)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_documents(data, proc)  # at least one batch committed (read as another process would)
    time.sleep(extra_delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    settings = Settings(data_dir=data)
    ing = Ingestor(settings)
    partial = len(ing.document_ids())
    assert 0 < partial < 5 + 8, "the kill should land mid-run"
    report = ing.ingest_corpus(corpus)
    assert report.count("failed") == 0
    assert_consistent(settings, ing, corpus)
    assert ing.documents.intents() == [], "the journal is cleared once the next run completed it"
    for doc_id in ing.document_ids():  # every document is whole: its pages and every chunk's span
        doc = ing.documents.get(doc_id)
        assert doc.page_count == len(ing.documents.pages(doc_id)) > 0 and doc.chunks

    # Deterministic chunk ids: the repaired index equals one built in a single clean run.
    clean = Ingestor(Settings(data_dir=tmp_path / "clean"))
    clean.ingest_corpus(corpus)
    assert chroma_ids(ing) == chroma_ids(clean)


@pytest.fixture
def chroma_server(tmp_path: Path):
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    deadline = time.time() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            assert proc.poll() is None, "chroma run exited"
            assert time.time() < deadline, "chroma server did not start"
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_corpus_round_trips_through_chroma_server(tmp_path: Path, chroma_server: int):
    from assistant.knowledge import KnowledgeBase
    from assistant.models import Principal
    from assistant.retrieval import Retriever

    corpus = tmp_path / "demo"
    shutil.copytree(DEMO, corpus)
    settings = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    embedded = Ingestor(Settings(data_dir=tmp_path / "embedded"))
    embedded.ingest_corpus(corpus)

    remote = Ingestor(settings)
    assert not settings.chroma_path.exists(), "server mode must not create an embedded store"
    remote.ingest_corpus(corpus)
    assert chroma_ids(remote) == chroma_ids(embedded)
    assert_consistent(settings, remote, corpus)
    assert Ingestor(settings).ingest_corpus(corpus).chunks_added == 0

    # A separate client sees the same collection on the server.
    other = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert other.get_collection(settings.collection).count() == len(chroma_ids(embedded))

    kb = KnowledgeBase(settings)
    hits = Retriever(kb, settings).retrieve("What are the trust's values?", Principal("staff", ("all", "staff")))
    assert any("Dreaming big" in e.chunk.text for e in hits.evidence)
