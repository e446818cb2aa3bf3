"""One writer, many readers: the CLI and a running server share one data dir without losing documents.

The bug this guards: `ethos ingest` while the server ran, then an upload in the UI, wrote the
server's stale in-memory docstore over the CLI's, so the CLI's documents vanished from the
library and the page viewer. Here a real uvicorn server runs while the real CLI ingests and
removes in another process; every document stays listed and viewable, the server notices the
CLI's writes on its own, and a journalled write interrupted half-way is completed by the next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import Ingestor
from ingest.settings import Settings
from tests.conftest import DEMO, KEYS, auth
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[1]
ETHOS = [sys.executable, "-m", "ui.cli"]
ADMIN = auth("admin-key")


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ETHOS_DATA_DIR": str(data)}
    return subprocess.run([*ETHOS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _policies(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "attendance.md").write_text("# Attendance Policy\n\n## Lateness\n\nPupils arriving after 8:50 are "
                                        "marked late and the office calls home the same morning.\n")
    (root / "uniform.md").write_text("# Uniform Policy\n\n## Shoes\n\nPlain black shoes are worn every day; "
                                     "trainers are for PE only.\n")
    return root


def _listed(client: httpx.Client) -> set[str]:
    got = client.get("/api/documents", headers=ADMIN)
    assert got.status_code == 200, got.text
    return {d["doc_id"] for d in got.json()}


def _all_viewable(client: httpx.Client, doc_ids: set[str]) -> None:
    for doc_id in doc_ids:
        page = client.get(f"/api/documents/{doc_id}/pages/1", headers=ADMIN)
        assert page.status_code == 200 and page.json()["text"], (doc_id, page.text)


def _eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _app(settings: Settings):
    from assistant.api import create_app
    from assistant.service import Assistant

    assistant = Assistant(settings)
    return create_app(settings, assistant), assistant


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=DEMO, api_keys=dict(KEYS), default_role="staff",
                    llm_base_url=None, llm_gguf_path=None, chroma_host=None, refresh_s=0.5)


def test_cli_ingest_upload_restart_and_remove_while_the_server_runs(tmp_path: Path, settings: Settings):
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo)
    policies = _policies(tmp_path / "policies")
    Ingestor(settings).ingest_corpus(demo)
    demo_ids = {f"demo/{p.name}" for p in demo.iterdir() if p.name != "sources.toml"}

    app, assistant = _app(settings)
    with serve(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        assert _listed(client) == demo_ids

        ingested = _cli(settings.data_dir, "ingest", str(policies), "--corpus", "trust")
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        expected = demo_ids | {"trust/attendance.md", "trust/uniform.md"}
        _eventually(lambda: _assert_equal(_listed(client), expected))  # noticed without a restart
        _all_viewable(client, expected)
        asked = client.post("/api/ask", headers=ADMIN, json={"question": "When are pupils marked late?"})
        assert asked.status_code == 200 and any(c["doc_id"] == "trust/attendance.md"
                                                for c in asked.json()["citations"]), asked.text

        up = client.post("/api/documents", headers=ADMIN, data={"title": "Minibus Policy"},
                         files=[("files", ("minibus.md", b"# Minibus Policy\n\nThe minibus seats twelve pupils "
                                           b"and two staff drivers hold a D1 licence.\n", "text/markdown"))])
        assert up.status_code == 200, up.text
        expected |= {"uploads/minibus.md"}
        assert _listed(client) == expected, "the upload must not write a stale view over the CLI's documents"
        _all_viewable(client, expected)

    assistant.kb.close()
    app, assistant = _app(settings)  # a restart reads what is stored, nothing else
    with serve(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        assert _listed(client) == expected
        _all_viewable(client, expected)

        removed = _cli(settings.data_dir, "remove", "trust/uniform.md")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        expected -= {"trust/uniform.md"}
        _eventually(lambda: _assert_equal(_listed(client), expected))
        assert client.get("/api/documents/trust/uniform.md/pages/1", headers=ADMIN).status_code == 404
        asked = client.post("/api/ask", headers=ADMIN, json={"question": "Which shoes are worn every day?"})
        assert all(c["doc_id"] != "trust/uniform.md" for c in asked.json()["citations"]), asked.text
    assistant.kb.close()


def _assert_equal(got, want) -> None:
    assert got == want, (sorted(got ^ want))


def test_an_interrupted_replace_keeps_the_document_listed_and_the_next_ingest_redoes_it(tmp_path: Path):
    corpus = _policies(tmp_path / "policies")
    settings = Settings(data_dir=tmp_path / "data")
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus, corpus="trust")
    chunks = ing.collection.count()
    # What a writer killed inside StoreWriter.replace leaves: the intent, and the old chunks gone.
    ing.documents.intend(["trust/uniform.md"], "put")
    ing.vector_store.delete("trust/uniform.md")

    again = Ingestor(settings)
    report = again.ingest_corpus(corpus, corpus="trust")  # its first write completes the journal
    assert {f.doc_id: f.status for f in report.files}["trust/uniform.md"] == "ingested"
    assert again.documents.intents() == [] and again.collection.count() == chunks
    doc = again.documents.get("trust/uniform.md")
    assert doc.source_hash and doc.chunks and "trainers" in doc.pages()[0].text


def test_an_interrupted_delete_is_completed_by_the_next_writer(tmp_path: Path):
    corpus = _policies(tmp_path / "policies")
    settings = Settings(data_dir=tmp_path / "data")
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus, corpus="trust")
    ing.documents.intend(["trust/attendance.md"], "delete")  # killed after its journal entry only
    version = ing.documents.version()

    other = Ingestor(settings)
    assert other.delete_document("trust/nothing.md") is False  # any write recovers first
    assert other.document_ids() == ["trust/uniform.md"]
    assert other.collection.get(where={"doc_id": "trust/attendance.md"})["ids"] == []
    assert other.documents.version() > version, "recovery is a change other processes must notice"


def test_an_old_docstore_is_migrated_with_page_text_stored_once(tmp_path: Path):
    """A data dir from before the repository: docstore.json (text twice) moves into it on open."""
    from llama_index.core.storage.docstore import SimpleDocumentStore

    from ingest.nodes import to_llama_document
    from ingest.loaders import load_document
    from ingest.models import DocumentMeta

    corpus = _policies(tmp_path / "policies")
    settings = Settings(data_dir=tmp_path / "data")
    ing = Ingestor(settings)
    ing.ingest_corpus(corpus, corpus="trust")
    path = corpus / "uniform.md"
    old = SimpleDocumentStore()
    doc = load_document(path, DocumentMeta(doc_id="trust/legacy.md", title="Legacy", source_path=str(path),
                                           audience="staff"))
    old.add_documents([to_llama_document(doc, "legacy-hash")])
    old.persist(str(settings.docstore_path))

    migrated = Ingestor(settings)
    assert not settings.docstore_path.exists() and settings.docstore_path.with_suffix(".json.migrated").exists()
    legacy = migrated.documents.get("trust/legacy.md")
    assert legacy.audience == "staff" and legacy.source_hash == "legacy-hash"
    assert "pages" not in legacy.metadata, "page text lives only in the page records"
    assert "trainers" in migrated.documents.page("trust/legacy.md", 1).text
    assert set(migrated.document_ids()) == {"trust/attendance.md", "trust/uniform.md", "trust/legacy.md"}


def test_a_writer_that_cannot_get_the_lock_says_so_and_writes_nothing(tmp_path: Path):
    from ingest.locking import WriteLock

    corpus = _policies(tmp_path / "policies")
    settings = Settings(data_dir=tmp_path / "data")
    with WriteLock.for_settings(settings).hold():  # another process mid-write
        env = {**os.environ, "ETHOS_DATA_DIR": str(settings.data_dir), "ETHOS_WRITE_LOCK_TIMEOUT_S": "1"}
        run = subprocess.run([*ETHOS, "ingest", str(corpus)], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=600)
    assert run.returncode == 3 and "another Ethos process is writing" in run.stdout, run.stdout + run.stderr
    assert Ingestor(settings).document_ids() == []
