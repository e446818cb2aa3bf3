"""The issue-15 fuzz mix through a real ingest, in a child process, with its outcome measured.

    nice -n 19 python -m evals.bench_fuzz_ingest [--scale 1] [--timeout 900] [--project DIR]

Builds tests/fuzzcorpus.py's corpus (hostile files of every class, good generated files and two
real PDFs), runs `Ingestor.ingest_corpus` on it in a fresh Python process rooted at `--project`
(so the same mix can be run against an older checkout for a before/after), and prints: did the run
finish, wall time, peak RSS of the process tree, and per class what became of each file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import fuzzcorpus  # noqa: E402

DRIVER = """
import json, sys
from pathlib import Path
from ingest.pipeline import Ingestor
from ingest.settings import Settings
ing = Ingestor(Settings(data_dir=Path(sys.argv[2])))
report = ing.ingest_corpus(Path(sys.argv[1]), corpus="fuzz")
rows = [{"path": f.path, "status": f.status, "reason": f.reason, "chunks": f.chunks} for f in report.files]
print("RESULT " + json.dumps(rows, ensure_ascii=True))
"""


def run(scale: int, timeout: float, project: Path, without: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        entries = fuzzcorpus.build(corpus, scale=scale)
        for e in [e for e in entries if e.kind in without]:  # e.g. to see past what crashes an old checkout
            (corpus / e.name).unlink()
            entries.remove(e)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(corpus), str(Path(tmp) / "data")], cwd=project,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = next((json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")), None)
        by_name = {}
        for row in rows or []:
            p = Path(row["path"])
            rel = p.relative_to(corpus).as_posix() if p.is_absolute() and p.is_relative_to(corpus) else row["path"]
            by_name[rel] = row
        table = []
        for e in entries:
            shown = e.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            row = by_name.get(shown) or by_name.get(e.name)
            got = row["status"] if row else "(not in summary)"
            table.append({"file": e.name, "kind": e.kind, "expect": e.expect, "got": got,
                          "reason": (row or {}).get("reason", "")[:90]})
        return {"exit": proc.returncode, "timed_out": timed_out, "wall_s": wall, "peak_rss_mb": peak_mb,
                "rows": table, "stderr_tail": err.strip().splitlines()[-3:] if rows is None else []}


def summary(result: dict) -> str:
    rows = result["rows"]
    good = [r for r in rows if r["expect"] == "ingested"]
    bad = [r for r in rows if r["expect"] in ("failed", "any") and r["got"] == "failed"]
    lines = [
        f"finished: {not result['timed_out'] and result['exit'] == 0} (exit {result['exit']}, "
        f"timed out {result['timed_out']}); wall {result['wall_s']:.1f} s; peak RSS {result['peak_rss_mb']:.0f} MB",
        f"expected-readable files ingested: {sum(r['got'] == 'ingested' for r in good)}/{len(good)}",
        f"failures with a reason: {sum(bool(r['reason']) for r in bad)}/{len(bad)}; "
        f"over budget: {sum('budget' in r['reason'] for r in rows)}",
        f"statuses: {dict(Counter(r['got'] for r in rows))}",
        *(f"  stderr: {line}" for line in result["stderr_tail"]),
        "",
        "| file | class | expected | got | reason |",
        "|---|---|---|---|---|",
        *(f"| {r['file'].encode('utf-8', 'backslashreplace').decode()} | {r['kind']} | {r['expect']} | {r['got']} "
          f"| {r['reason'].encode('utf-8', 'backslashreplace').decode()} |" for r in rows),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--without", action="append", default=[], help="leave out files of this class")
    args = parser.parse_args()
    print(summary(run(args.scale, args.timeout, args.project.resolve(), tuple(args.without))))


if __name__ == "__main__":
    main()
