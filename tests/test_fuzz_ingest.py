"""No file can stop an ingest (issue 15): a generated hostile corpus mixed with real PDFs.

The CLI runs the whole mix and must exit 0; a second, in-process run then shows what became
of each file: good files unchanged (so the first run stored them, with their text decoded
correctly), every bad file failed with a reason, and everything that is not a corpus file
(links out, FIFOs, hidden files, dangling links) skipped with a reason. Nothing from outside
the folder is stored, and no chunk exceeds the character cap.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.chunking import CHARS_PER_TOKEN_CAP
from ingest.manifest import display_path, walk_corpus
from ingest.models import DocumentMeta, LoadError
from ingest.parse_worker import ParseWorker
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from tests import fuzzcorpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("fuzz")
    corpus, data = base / "corpus", base / "data"
    entries = fuzzcorpus.build(corpus)
    env = {**os.environ, "ETHOS_DATA_DIR": str(data)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--corpus", "fuzz"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    settings = Settings(data_dir=data)
    ingestor = Ingestor(settings)
    again = ingestor.ingest_corpus(corpus, corpus="fuzz")
    rows = {}
    for f in again.files:
        rel = Path(f.path).relative_to(corpus.resolve()).as_posix() if Path(f.path).is_absolute() else f.path
        rows[rel.rstrip("/")] = f
    yield entries, done, seconds, ingestor, rows
    fuzzcorpus.clean(corpus)


def _row(rows: dict, entry: fuzzcorpus.Entry):
    return rows.get(display_path(entry.name))


def test_the_cli_run_finishes_with_exit_0(fuzz_run):
    _, done, seconds, _, _ = fuzz_run
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "skipped" in done.stdout and "failed" in done.stdout


def test_every_file_has_the_expected_outcome_and_every_failure_a_reason(fuzz_run):
    entries, _, _, ingestor, rows = fuzz_run
    problems = []
    for entry in entries:
        row = _row(rows, entry)
        if row is None:
            problems.append(f"{entry.name}: not in the summary")
            continue
        if entry.expect == "ingested" and row.status != "unchanged":
            problems.append(f"{entry.name} ({entry.kind}): {row.status} {row.reason}")
        elif entry.expect in ("failed", "skipped") and (row.status != entry.expect or not row.reason):
            problems.append(f"{entry.name} ({entry.kind}): expected {entry.expect}, got {row.status} {row.reason!r}")
        elif entry.expect == "any" and row.status not in ("unchanged", "failed"):
            problems.append(f"{entry.name}: {row.status}")
        if row.status == "failed" and not row.reason:
            problems.append(f"{entry.name}: failed without a reason")
    assert not problems, problems


def test_good_files_are_stored_with_their_text_decoded(fuzz_run):
    entries, _, _, ingestor, rows = fuzz_run
    for entry in entries:
        if entry.needle:
            node = ingestor.documents.get(_row(rows, entry).doc_id)
            text = node.document().text if node is not None else ""
            assert entry.needle in text, (entry.name, text[:200])


def test_nothing_from_outside_the_folder_is_stored_and_chunks_are_capped(fuzz_run):
    _, _, _, ingestor, _ = fuzz_run
    got = ingestor.collection.get(include=["documents"])
    assert got["ids"]
    assert not any("Project Heron" in text for text in got["documents"])
    cap = ingestor.settings.chunk_tokens * CHARS_PER_TOKEN_CAP
    assert max(len(t) for t in got["documents"]) <= cap
    assert any("\\xff\\xfe" in doc_id for doc_id in ingestor.document_ids())  # the non-UTF-8 name, escaped


def test_the_walk_refuses_links_out_and_reports_specials(tmp_path: Path):
    entries = fuzzcorpus.build(tmp_path / "c", real=False)
    walk = walk_corpus(tmp_path / "c")
    reasons = dict(walk.skipped)
    assert "outside" in reasons["link-out.txt"] and "outside" in reasons["dir-out"]
    assert "FIFO" in reasons["pipe.txt"] and "broken link" in reasons["dangling.txt"]
    assert "hidden" in reasons[".hidden.txt"]
    assert all(p.resolve().is_relative_to((tmp_path / "c").resolve()) for p in walk.files)
    assert len(walk.files) == sum(e.expect != "skipped" for e in entries)


def _meta(path: Path) -> DocumentMeta:
    return DocumentMeta(doc_id=path.name, title=path.stem, source_path=str(path))


def test_a_file_over_the_time_budget_fails_and_the_worker_recovers(tmp_path: Path):
    slow = tmp_path / "slow.pdf"
    slow.write_bytes((fuzzcorpus.REAL / fuzzcorpus.REAL_PICKS[0]).read_bytes() if fuzzcorpus.REAL.exists()
                     else fuzzcorpus.docgen.report_pdf_bytes())
    good = tmp_path / "good.txt"
    good.write_text(fuzzcorpus.GOOD_TEXT)
    with ParseWorker(timeout_s=0.001, memory_mb=1024) as worker:
        with pytest.raises(LoadError, match="budget"):
            worker.parse(slow, _meta(slow))
        worker.timeout_s = 60
        assert "attendance officer" in worker.parse(good, _meta(good)).text


def test_a_file_over_the_memory_budget_fails_and_the_worker_recovers(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * (8 << 20))  # 40 MB of text: far more than 32 MB once decoded and split
    good = tmp_path / "good.txt"
    good.write_text(fuzzcorpus.GOOD_TEXT)
    with ParseWorker(timeout_s=120, memory_mb=32) as worker:
        with pytest.raises(LoadError, match="memory|crashed"):
            worker.parse(big, _meta(big))
        assert "attendance officer" in worker.parse(good, _meta(good)).text
