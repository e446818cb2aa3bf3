"""Scale-out: two `ethos serve` processes over one real `chroma run` see each other's changes.

Each server has its own data dir (its uploads folder and its derived keyword index); the
chunks, the documents (pages, metadata) and the change counter live in the Chroma server, so
nothing on disk is shared. An upload through one server is listed, viewable and answerable
through the other within seconds, and a deletion through the other disappears from the first,
its uploaded file included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.servers import free_port
from tests.test_ingest_crash import chroma_server  # noqa: F401 - the real `chroma run` fixture

ROOT = Path(__file__).resolve().parents[1]
SEEN_WITHIN_S = 10.0
POLICY = (b"# Minibus Policy\n\n## Drivers\n\nThe minibus seats twelve pupils, and only staff who hold a D1 "
          b"licence and have passed the trust's MiDAS course may drive it.\n")


@contextmanager
def ethos_serve(data: Path, chroma_port: int) -> Iterator[httpx.Client]:
    """A real `ethos serve` process over the Chroma server; yields a client on it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ETHOS_LLM_BASE_URL", "ETHOS_LLM_GGUF_PATH",
                                                            "ETHOS_API_KEYS_FILE")}
    env |= {"ETHOS_DATA_DIR": str(data), "ETHOS_CHROMA_HOST": "127.0.0.1", "ETHOS_CHROMA_PORT": str(chroma_port),
            "ETHOS_REFRESH_S": "0.5", "ETHOS_DEFAULT_ROLE": "admin"}
    log = (data.parent / f"{data.name}.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if client.get("/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (data.parent / f"{data.name}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "ethos serve did not start"
            time.sleep(0.5)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _ids(client: httpx.Client) -> set[str]:
    got = client.get("/api/documents")
    assert got.status_code == 200, got.text
    return {d["doc_id"] for d in got.json()}


def _within(check, timeout: float = SEEN_WITHIN_S) -> float:
    """Seconds until `check()` holds; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"not seen within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - start


def _cites(client: httpx.Client, question: str, doc_id: str) -> bool:
    got = client.post("/api/ask", json={"question": question})
    assert got.status_code == 200, got.text
    return any(c["doc_id"] == doc_id for c in got.json()["citations"])


def test_two_servers_over_one_chroma_see_each_others_uploads_and_deletions(tmp_path: Path,
                                                                            chroma_server: int):  # noqa: F811
    a_dir, b_dir = tmp_path / "a" / "data", tmp_path / "b" / "data"
    a_dir.parent.mkdir()
    b_dir.parent.mkdir()
    with ethos_serve(a_dir, chroma_server) as a, ethos_serve(b_dir, chroma_server) as b:
        assert _ids(a) == _ids(b) == set()
        up = a.post("/api/documents", data={"title": "Minibus Policy"},
                    files=[("files", ("minibus.md", POLICY, "text/markdown"))])
        assert up.status_code == 200, up.text
        [doc_id] = [r["doc_id"] for r in up.json()]

        seen = _within(lambda: doc_id in _ids(b))
        page = b.get(f"/api/documents/{doc_id}/pages/1")
        assert page.status_code == 200 and "MiDAS" in page.json()["text"]
        answered = _within(lambda: _cites(b, "Who may drive the minibus?", doc_id))  # keyword index synced too
        print(f"upload on A listed on B after {seen:.1f} s, answered after {seen + answered:.1f} s")

        assert b.delete(f"/api/documents/{doc_id}").status_code == 204
        gone = _within(lambda: doc_id not in _ids(a))
        assert a.get(f"/api/documents/{doc_id}/pages/1").status_code == 404
        assert not _cites(a, "Who may drive the minibus?", doc_id)
        print(f"deletion on B gone from A after {gone:.1f} s")

        # B cannot reach A's uploads folder: A deletes the file and its manifest entry once it sees the deletion
        stored = a_dir / "uploads" / "minibus.md"
        _within(lambda: not stored.exists())
        assert "minibus.md" not in (a_dir / "uploads" / "sources.toml").read_text()
        # and A's next upload does not bring the document back
        more = a.post("/api/documents", files=[("files", ("trips.md", b"# Trips\n\nDay trips need a risk "
                                                           b"assessment signed by the head.\n", "text/markdown"))])
        assert more.status_code == 200, more.text
        _within(lambda: "uploads/trips.md" in _ids(b))
        assert doc_id not in _ids(a) | _ids(b)

    for data in (a_dir, b_dir):  # nothing the two share lives on either's disk
        assert not (data / "chroma").exists() and not (data / "docstore.json").exists()


def test_a_server_started_later_sees_what_the_first_stored(tmp_path: Path, chroma_server: int):  # noqa: F811
    a_dir, b_dir = tmp_path / "a" / "data", tmp_path / "b" / "data"
    a_dir.parent.mkdir()
    b_dir.parent.mkdir()
    with ethos_serve(a_dir, chroma_server) as a:
        assert a.post("/api/documents", files=[("files", ("minibus.md", POLICY, "text/markdown"))]).status_code == 200
        with ethos_serve(b_dir, chroma_server) as b:
            assert "uploads/minibus.md" in _ids(b)
            assert _cites(b, "Who may drive the minibus?", "uploads/minibus.md")
