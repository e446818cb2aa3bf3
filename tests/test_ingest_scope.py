"""Folder-scoped sync (issue 13 part 1): an ingest of one folder never removes another folder's documents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _doc(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    return path


@pytest.fixture()
def ingestor(tmp_path: Path) -> Ingestor:
    return Ingestor(Settings(data_dir=tmp_path / "data"))


def _statuses(report) -> dict[str, str]:
    return {f.doc_id: f.status for f in report.files if f.doc_id}


def test_two_folders_into_one_corpus_keep_both(tmp_path: Path, ingestor: Ingestor):
    policies, plans = tmp_path / "policies", tmp_path / "plans"
    gone = _doc(policies, "attendance.md", "Pupils attend every day.")
    _doc(policies, "uniform.md", "Uniform is navy blue.")
    _doc(plans, "plan-2025.md", "We will open a library in 2025.")
    ingestor.ingest_corpus(policies, corpus="trust")
    second = ingestor.ingest_corpus(plans, corpus="trust")
    assert "removed" not in _statuses(second).values()
    assert ingestor.document_ids() == ["trust/attendance.md", "trust/plan-2025.md", "trust/uniform.md"]

    gone.unlink()  # a file removed from policies/ goes; plans/ is untouched
    again = ingestor.ingest_corpus(policies, corpus="trust")
    assert _statuses(again)["trust/attendance.md"] == "removed"
    assert ingestor.document_ids() == ["trust/plan-2025.md", "trust/uniform.md"]


def test_the_same_relative_path_in_two_folders_is_refused_not_replaced(tmp_path: Path, ingestor: Ingestor):
    a, b = tmp_path / "school-a", tmp_path / "school-b"
    _doc(a, "send-policy.md", "School A supports pupils with SEND through a named key worker.")
    _doc(b, "send-policy.md", "School B runs a nurture group every afternoon.")
    ingestor.ingest_corpus(a, corpus="trust")
    report = ingestor.ingest_corpus(b, corpus="trust")
    [row] = [f for f in report.files if f.doc_id == "trust/send-policy.md"]
    assert row.status == "failed" and "school-a" in row.reason and "--corpus" in row.reason
    kept = ingestor.documents.get("trust/send-policy.md")
    assert "key worker" in kept.document().text

    shutil.rmtree(a)  # the first folder moved away: the second now takes the id
    moved = ingestor.ingest_corpus(b, corpus="trust")
    assert _statuses(moved)["trust/send-policy.md"] == "ingested"
    assert "nurture group" in ingestor.documents.get("trust/send-policy.md").document().text


def test_dry_run_reports_and_changes_nothing(tmp_path: Path, ingestor: Ingestor):
    folder = tmp_path / "policies"
    old = _doc(folder, "old.md", "An old policy.")
    ingestor.ingest_corpus(folder, corpus="trust")
    old.unlink()
    _doc(folder, "new.md", "A new policy.")
    chunks = ingestor.collection.count()
    report = ingestor.ingest_corpus(folder, corpus="trust", dry_run=True)
    assert report.dry_run and _statuses(report) == {"trust/new.md": "ingested", "trust/old.md": "removed"}
    assert ingestor.document_ids() == ["trust/old.md"] and ingestor.collection.count() == chunks


def test_prune_removes_documents_whose_file_is_gone_from_anywhere(tmp_path: Path, ingestor: Ingestor):
    a, b = tmp_path / "a", tmp_path / "b"
    _doc(a, "one.md", "First folder document.")
    _doc(b, "two.md", "Second folder document.")
    ingestor.ingest_corpus(a, corpus="trust")
    ingestor.ingest_corpus(b, corpus="trust")
    shutil.rmtree(a)
    ingestor.ingest_corpus(b, corpus="trust")
    assert "trust/one.md" in ingestor.document_ids()  # not this folder's: kept without --prune
    pruned = ingestor.ingest_corpus(b, corpus="trust", prune=True)
    assert _statuses(pruned)["trust/one.md"] == "removed"
    assert ingestor.document_ids() == ["trust/two.md"]


def test_ethos_remove_by_path_and_by_id(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    _doc(a, "one.md", "First folder document.")
    _doc(b, "two.md", "Second folder document.")
    data = tmp_path / "data"
    ing = Ingestor(Settings(data_dir=data))
    ing.ingest_corpus(a, corpus="trust")
    ing.ingest_corpus(b, corpus="trust")
    env = {**os.environ, "ETHOS_DATA_DIR": str(data)}
    cli = [sys.executable, "-m", "ui.cli", "remove"]
    dry = subprocess.run([*cli, str(a), "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0 and "one.md" in dry.stdout and "two.md" not in dry.stdout and "Dry run" in dry.stdout
    done = subprocess.run([*cli, str(a), "trust/two.md"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Ingestor(Settings(data_dir=data)).document_ids() == []
    missing = subprocess.run([*cli, "trust/nothing.md"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "No stored document" in missing.stdout
