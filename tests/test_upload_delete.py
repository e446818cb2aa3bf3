"""Deleting an uploaded document deletes its stored file and manifest entry, and never any other file.

Real parts: the session's uvicorn server over the demo index (tests/conftest.py), uploads and
deletes through its HTTP API, `ethos remove` as a real CLI process writing to the same store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from assistant.uploads import forget_upload
from tests.conftest import auth

ROOT = Path(__file__).resolve().parents[1]
ADMIN = auth("admin-key")


def _upload(api, name: str, text: str) -> None:
    r = api.post("/api/documents", headers=ADMIN, files=[("files", (name, text.encode(), "text/markdown"))])
    assert r.status_code == 200 and r.json()[0]["status"] == "ingested", r.text


def _listed(api) -> set[str]:
    return {d["doc_id"] for d in api.get("/api/documents", headers=ADMIN).json()}


def test_deleting_an_upload_deletes_its_file_and_entry_only(api, demo_settings, assistant):
    uploads = demo_settings.data_dir / "uploads"
    _upload(api, "kiln.md", "# Kiln\n\nThe kiln is fired on Fridays after school.")
    _upload(api, "pottery.md", "# Pottery Club\n\nPottery club meets in the art room on Tuesdays.")
    stray = uploads / "notes-kept-by-hand.txt"  # in the folder, but no upload's file
    stray.write_text("not an upload")
    try:
        source = assistant.kb.docs.source_path("uploads/pottery.md")
        assert forget_upload(demo_settings, assistant.kb.docs, "uploads/pottery.md", source) is None  # still stored

        assert api.delete("/api/documents/uploads/kiln.md", headers=ADMIN).status_code == 204
        assert not (uploads / "kiln.md").exists()
        manifest = (uploads / "sources.toml").read_text()
        assert "kiln.md" not in manifest and "pottery.md" in manifest
        assert (uploads / "pottery.md").exists() and stray.read_text() == "not an upload"
        assert "uploads/pottery.md" in _listed(api)
    finally:
        stray.unlink(missing_ok=True)
        api.delete("/api/documents/uploads/kiln.md", headers=ADMIN)
        api.delete("/api/documents/uploads/pottery.md", headers=ADMIN)
    assert not (uploads / "pottery.md").exists()


def test_an_uploads_id_read_from_another_folder_deletes_no_file(api, demo_settings, assistant, tmp_path):
    """`ethos ingest elsewhere --corpus uploads` makes an `uploads/...` id whose source is not in the
    uploads folder: deleting it must leave the uploads folder's file of that name alone."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "lookalike.md").write_text("# Lookalike\n\nThe greenhouse is watered at noon.")
    uploads = demo_settings.data_dir / "uploads"
    uploads.mkdir(exist_ok=True)
    ours = uploads / "lookalike.md"
    ours.write_text("# Someone else's file of the same name")
    try:
        report = assistant.kb.ingest(elsewhere, corpus="uploads")
        assert [f.status for f in report.files] == ["ingested"]
        assert api.delete("/api/documents/uploads/lookalike.md", headers=ADMIN).status_code == 204
        assert "uploads/lookalike.md" not in _listed(api)
        assert ours.read_text() == "# Someone else's file of the same name"
        assert (elsewhere / "lookalike.md").exists()
    finally:
        ours.unlink(missing_ok=True)
        assistant.kb.delete("uploads/lookalike.md")


def test_ethos_remove_of_an_upload_deletes_its_file_too(api, demo_settings):
    uploads = demo_settings.data_dir / "uploads"
    _upload(api, "minibus-rota.md", "# Minibus Rota\n\nThe minibus rota is set each half term by the bursar.")
    assert (uploads / "minibus-rota.md").exists()
    env = {**os.environ, "ETHOS_DATA_DIR": str(demo_settings.data_dir)}
    run = subprocess.run([sys.executable, "-m", "ui.cli", "remove", "uploads/minibus-rota.md"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (uploads / "minibus-rota.md").exists()
    assert "minibus-rota.md" not in (uploads / "sources.toml").read_text()
    deadline = time.monotonic() + 30
    while "uploads/minibus-rota.md" in _listed(api):  # the server notices the CLI's write
        assert time.monotonic() < deadline, "the server still lists the removed upload"
        time.sleep(0.25)
