"""Files are parsed ahead of the embedder (`ingest.parse_worker.prefetch`): order kept, work
overlapped, failures raised in the caller, and a stopped ingest stops the parsing thread."""

from __future__ import annotations

import threading
import time

import pytest

from ingest.parse_worker import prefetch


def test_results_come_in_order_and_the_next_items_are_prepared_while_the_caller_works():
    started: list[int] = []

    def prepare(i: int) -> int:
        started.append(i)
        time.sleep(0.05)
        return i * i

    seen = []
    for i, value in prefetch(range(8), prepare, ahead=3):
        if i == 0:
            time.sleep(0.3)  # the caller "embeds": meanwhile the next items are prepared
            assert len(started) >= 4  # item 0 plus three ahead
        seen.append((i, value))
    assert seen == [(i, i * i) for i in range(8)]


def test_a_failure_is_raised_in_the_caller():
    def prepare(i: int) -> int:
        if i == 2:
            raise RuntimeError("the parse worker process did not start")
        return i

    got = []
    with pytest.raises(RuntimeError, match="did not start"):
        for i, _ in prefetch(range(5), prepare):
            got.append(i)
    assert got == [0, 1]


def test_stopping_early_stops_the_thread():
    calls: list[int] = []
    before = threading.active_count()
    it = prefetch(range(1000), lambda i: calls.append(i) or i, ahead=2)
    assert next(it) == (0, 0)
    it.close()
    time.sleep(0.3)
    assert len(calls) < 10 and threading.active_count() == before


def test_the_parse_worker_does_not_reimport_the_parents_main_module(tmp_path):
    """A multiprocessing spawn child re-imports `__main__` (the CLI, uvicorn, a benchmark) and with
    it torch: 8-18 s of start-up on the embedder's cores per ingest. The worker must start bare."""
    import subprocess
    import sys
    from pathlib import Path

    good = tmp_path / "good.txt"
    good.write_text("The attendance officer phones home on the first day of absence.")
    main = tmp_path / "heavy_main.py"  # a main module that loads torch, like `ethos` does
    main.write_text(
        "import sys\n"
        "import torch  # noqa: F401\n"
        "from pathlib import Path\n"
        "from ingest.models import DocumentMeta\n"
        "from ingest.parse_worker import ParseWorker\n"
        "if __name__ == '__main__':\n"
        "    path = Path(sys.argv[1])\n"
        "    with ParseWorker(timeout_s=120, memory_mb=1024) as worker:\n"
        "        doc = worker.parse(path, DocumentMeta(doc_id='good', title='good', source_path=str(path)))\n"
        "        maps = Path(f'/proc/{worker._proc.pid}/maps').read_text()\n"
        "        print('attendance' in doc.text, 'libtorch' in maps, 'libtorch' in Path('/proc/self/maps').read_text())\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(main), str(good)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr
    # parsed; the worker never loaded torch; the parent did (so the check can see it)
    assert out.stdout.split() == ["True", "False", "True"]


def test_the_worker_extracts_the_tracker_rows_the_parent_would(tmp_path):
    """Commitment extraction moved into the worker: same rows as computed in this process."""
    from pathlib import Path

    from tests.docgen import report_pdf_bytes, write
    from ingest.models import DocumentMeta
    from ingest.parse_worker import ParseWorker
    from ingest.tracker import tracker_metadata

    demo = Path(__file__).resolve().parents[1] / "corpora" / "demo" / "phase-2-growth-plan.txt"
    pdf = write(tmp_path / "report.pdf", report_pdf_bytes())
    with ParseWorker(timeout_s=120, memory_mb=1024) as worker:
        for path in (demo, pdf):
            meta = DocumentMeta(doc_id=path.name, title=path.stem, source_path=str(path))
            doc, tracker = worker.parse_with_tracker(path, meta)
            assert tracker == tracker_metadata(doc) and doc.text == worker.parse(path, meta).text
            if path == demo:
                assert tracker["commitments"]  # the demo plan has pledges: the check compares real rows


def test_ready_says_whether_the_next_result_would_wait():
    """The ingest loop embeds what it holds instead of waiting on the parser: `ready()` must be honest."""
    gate = threading.Event()

    def prepare(i: int) -> int:
        if i == 1:
            gate.wait(5)  # the second file is still being parsed
        return i

    it = prefetch(range(3), prepare, ahead=4)
    assert next(it) == (0, 0)
    time.sleep(0.2)
    assert not it.ready()
    gate.set()
    deadline = time.monotonic() + 5
    while not it.ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert it.ready() and list(it) == [(1, 1), (2, 2)] and it.ready()  # exhausted: next() does not wait


def test_parsing_runs_ahead_only_with_a_core_beside_the_embedders_threads():
    """Overlap without a spare core slowed the pipeline (38-71% vs 78-94% of the bare embedder)."""
    import os

    from ingest.parse_worker import InLine, spare_core

    cores = len(os.sched_getaffinity(0))
    assert spare_core(cores - 1) and not spare_core(cores)
    calls: list[int] = []
    it = InLine(range(3), lambda i: calls.append(i) or i * 10)
    assert calls == [] and it.ready()  # nothing computed before it is asked for
    assert next(it) == (0, 0) and calls == [0]
    it.close()
    assert list(it) == [] and calls == [0]
