"""Upload and delete latency on a large index: what an admin waits for in the Library.

    python -m evals.scale_changes --dir KEEP/size-100000 [--repeats 3] [--label after] [--results FILE]

Runs against a data dir built by `python -m evals.scale --keep KEEP` (synthetic chunks; the
hashed stand-in embedder on both sides, so the timings are the index's cost, not MiniLM's).
In one process: open the app's `KnowledgeBase` (timed: start-up, including a first keyword
index build when the data dir has none yet), then `repeats` times upload one generated
ten-section policy through `assistant.uploads.ingest_uploads` (the API's upload path minus
HTTP), check that a keyword search finds its unique word, and delete it through
`assistant.uploads.remove_document` (the API's delete path). The same script runs on the old
code (a `git archive` of the commit before) and the new, over the same data dir, so the
before/after rows are side by side; `--report` writes them into evals/reports/scale.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- scale_changes:start -->", "<!-- scale_changes:end -->"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def policy(n: int) -> bytes:
    """A ten-section markdown policy with a word found nowhere else (`quillfeather<n>`)."""
    parts = [f"# Minibus and trips policy {n}\n"]
    for s in range(10):
        parts.append(f"\n## Section {s + 1}\n\nThe quillfeather{n} minibus is booked through the office. Staff "
                     "check the seat belts, the first aid kit and the register before every trip, and a second "
                     "adult travels when more than eight pupils go. Parents are told the return time by text.\n")
    return "".join(parts).encode()


def measure(data: Path, repeats: int) -> dict:
    import ingest.pipeline
    from assistant.knowledge import KnowledgeBase
    from assistant.models import Principal
    from assistant.retrieval import Retriever
    from assistant.uploads import ingest_uploads, remove_document
    from evals.synth import HashEmbedder
    from ingest.settings import Settings

    ingest.pipeline.get_embedder = lambda settings: HashEmbedder()
    settings = Settings(data_dir=data)
    t = time.perf_counter()
    kb = KnowledgeBase(settings)
    load_s = time.perf_counter() - t
    rss_loaded = rss_mb()
    admin = Principal("admin", ("all", "staff", "governors"))
    retriever = Retriever(kb, settings)
    chunks = kb.keyword.size if kb.keyword is not None else 0
    uploads, deletes, found = [], [], []
    for i in range(repeats):
        name = f"bench-policy-{os.getpid()}-{i}.md"
        t = time.perf_counter()
        result = ingest_uploads(kb, settings, [(name, io.BytesIO(policy(i)))], {"audience": "staff"})[0]
        uploads.append(time.perf_counter() - t)
        assert result.status == "ingested", result
        hits = retriever.retrieve(f"quillfeather{i} minibus", admin, mode="bm25").evidence
        found.append(bool(hits) and hits[0].chunk.doc_id == result.doc_id)
        t = time.perf_counter()
        assert remove_document(kb, settings, result.doc_id)
        deletes.append(time.perf_counter() - t)
    return {"chunks": chunks, "load_s": load_s, "rss_loaded_mb": rss_loaded, "rss_after_mb": rss_mb(), "upload_s": uploads, "delete_s": deletes, "found": found,
            "upload_chunks": result.chunks, "upload_p50": statistics.median(uploads),
            "delete_p50": statistics.median(deletes)}


def _rss(r: dict) -> str:
    return f"{r['rss_loaded_mb']:.0f} / {r['rss_after_mb']:.0f}" if "rss_loaded_mb" in r else "–"


def write_report(rows: list[dict], path: Path, note: str) -> None:
    lines = [START, "## Upload and delete latency (before/after the incremental keyword index)", "", note, "",
             "| chunks | code | start-up s | upload s (median; each) | delete s (median; each) | found by keyword search "
             "| RSS MB loaded / after |",
             "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["chunks"], r["label"] != "before")):
        each = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        lines.append(f"| {r['chunks']:,} | {r['label']} | {r['load_s']:.1f} | {r['upload_p50']:.2f} "
                     f"({each(r['upload_s'])}) | {r['delete_p50']:.2f} ({each(r['delete_s'])}) | "
                     f"{sum(r['found'])}/{len(r['found'])} | {_rss(r)} |")
    lines.append(END)
    text = path.read_text() if path.exists() else ""
    block = "\n".join(lines)
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--label", default="after")
    p.add_argument("--results", type=Path, default=Path("/tmp/ethos-scale-changes.json"))
    p.add_argument("--report", action="store_true", help="write the rows in --results into scale.md")
    p.add_argument("--note", default="")
    a = p.parse_args(argv)
    rows = json.loads(a.results.read_text()) if a.results.exists() else []
    if a.report:
        write_report(rows, ROOT / "evals" / "reports" / "scale.md", a.note)
        return
    row = measure(a.dir, a.repeats) | {"label": a.label}
    print(json.dumps(row), flush=True)
    rows = [r for r in rows if (r["chunks"], r["label"]) != (row["chunks"], row["label"])] + [row]
    a.results.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
