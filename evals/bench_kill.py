"""kill -9 consistency: the real CLI killed at random points while a real server serves.

    nice -n 19 python -m evals.bench_kill [--runs 20] [--seed 13] [--out evals/reports/kill.md]

One data dir; a real uvicorn server (the API, with its change watcher) runs over it the whole
time while a poller asks it for the library, a page of every listed document and an answer.
Each run changes the corpus (three files edited, two added, one removed), starts the real
`ethos ingest` CLI in its own process with small commit batches, and kills it with SIGKILL
at a random point of its writing (0-1.5 s after its k-th write, k = 1-3, seen on the change
counter). Then the next
writer (an in-process `Ingestor`) runs the same ingest to completion, and the run is
*consistent* if: no journal entry is left; the stored documents are exactly the folder's
files; every document's recorded chunk ids are exactly its chunks in Chroma (no orphans, no
gaps); and the running server, on its own, lists exactly those documents within 10 s with every
page viewable. Server errors (5xx) seen by the poller during the kills are counted too.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.documents import DocumentRepository  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.store import chroma_client  # noqa: E402
from tests.servers import serve  # noqa: E402

DEMO = ROOT / "corpora" / "demo"


def grow(dest: Path, copies: int) -> None:
    shutil.copytree(DEMO, dest)
    seeds = sorted(DEMO.glob("*.txt"))
    for i in range(copies):
        src = seeds[i % len(seeds)]
        (dest / f"variant-{i:02d}-{src.name}").write_text(f"Variant {i}\n\n" + src.read_text())


def mutate(corpus: Path, run: int, rng: random.Random) -> None:
    """Three edits, two new files and one removal: the ingest adds, replaces and removes."""
    variants = sorted(corpus.glob("variant-*"))
    edited = rng.sample(variants, 3)
    for v in edited:
        v.write_text(v.read_text() + f"\n\nRevised in run {run}: reviewed by the board.\n")
    for k in range(2):
        src = rng.choice(sorted(DEMO.glob("*.txt")))
        (corpus / f"variant-r{run:02d}{k}-{src.name}").write_text(f"Run {run} copy {k}\n\n" + src.read_text())
    doomed = [v for v in variants if v not in edited]
    if len(doomed) > 10:
        rng.choice(doomed).unlink()


def cli_ingest(corpus: Path, data: Path) -> subprocess.Popen:
    env = {**os.environ, "ETHOS_DATA_DIR": str(data), "ETHOS_COMMIT_PAGES": "2"}
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--corpus", "bench"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def first_write_and_end(corpus: Path, data: Path) -> tuple[float, float]:
    """Seconds from start to the first change record, and to the end, of an uncut run."""
    repo = DocumentRepository(chroma_client(Settings(data_dir=data)), Settings(data_dir=data))
    before, start, first = repo.version(), time.monotonic(), None
    proc = cli_ingest(corpus, data)
    while proc.poll() is None:
        if first is None and repo.version() != before:
            first = time.monotonic() - start
        time.sleep(0.05)
    return first or 0.0, time.monotonic() - start


def expected_ids(corpus: Path) -> set[str]:
    return {f"bench/{p.name}" for p in corpus.iterdir() if p.name != "sources.toml" and not p.name.startswith(".")}


def check(ing, corpus: Path) -> list[str]:
    """What is wrong with the stored state after the next run (empty: consistent)."""
    problems = []
    repo = ing.documents
    if repo.intents():
        problems.append(f"journal left: {repo.intents()}")
    ids = set(repo.ids())
    if ids != expected_ids(corpus):
        problems.append(f"documents differ from the folder: {sorted(ids ^ expected_ids(corpus))}")
    got = ing.collection.get(include=["metadatas"])
    chunks: dict[str, set[str]] = {}
    for cid, meta in zip(got["ids"], got["metadatas"]):
        chunks.setdefault(meta["doc_id"], set()).add(cid)
    if set(chunks) != ids:
        problems.append(f"chunks of unknown documents: {sorted(set(chunks) - ids)}; "
                        f"documents without chunks: {sorted(ids - set(chunks))}")
    for doc in repo.list():
        if {c.chunk_id for c in doc.chunks} != chunks.get(doc.doc_id, set()):
            problems.append(f"{doc.doc_id}: recorded chunks differ from Chroma's")
        if len(repo.pages(doc.doc_id)) != doc.page_count:
            problems.append(f"{doc.doc_id}: pages missing")
    return problems


def served_ok(client: httpx.Client, want: set[str], timeout: float = 10.0) -> tuple[bool, float]:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        listed = {d["doc_id"] for d in client.get("/api/documents").json()}
        if listed == want and all(client.get(f"/api/documents/{d}/pages/1").status_code == 200 for d in want):
            return True, time.monotonic() - start
        time.sleep(0.25)
    return False, timeout


class Poller(threading.Thread):
    """Reads the server continuously, as users would, and counts server errors."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=60)
        self.stop, self.requests, self.errors = threading.Event(), 0, []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                docs = self.client.get("/api/documents")
                self._count(docs)
                for d in docs.json()[:3] if docs.status_code == 200 else []:
                    self._count(self.client.get(f"/api/documents/{d['doc_id']}/pages/1"), ok=(200, 404))
                self._count(self.client.post("/api/ask", json={"question": "What are the trust's values?"}))
            except httpx.HTTPError as exc:
                self.errors.append(repr(exc))
            time.sleep(0.2)

    def _count(self, response: httpx.Response, ok: tuple[int, ...] = (200,)) -> None:
        self.requests += 1
        if response.status_code not in ok:
            self.errors.append(f"{response.request.url.path}: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports" / "kill.md")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from assistant.api import create_app
    from assistant.service import Assistant
    from ingest.pipeline import Ingestor

    with tempfile.TemporaryDirectory(prefix="ethos-kill-") as tmp:
        corpus, data = Path(tmp) / "bench", Path(tmp) / "data"
        grow(corpus, args.copies)
        settings = Settings(data_dir=data, corpus_dir=DEMO, default_role="admin", llm_base_url=None,
                            llm_gguf_path=None, chroma_host=None, refresh_s=0.5)
        repair = Ingestor(settings)
        repair.ingest_corpus(corpus, corpus="bench")
        mutate(corpus, 0, rng)
        first, end = first_write_and_end(corpus, data)
        print(f"uncut run: first write after {first:.1f} s, done after {end:.1f} s", flush=True)
        assistant = Assistant(settings)
        rows, consistent, served = [], 0, 0
        with serve(create_app(settings, assistant)) as base, httpx.Client(base_url=base, timeout=60) as client:
            poller = Poller(base)
            poller.start()
            for run in range(1, args.runs + 1):
                mutate(corpus, run, rng)
                # The kill lands at a random point of the writing: after the run's k-th write (seen
                # on the change counter, as any reader would; k random), plus a random jitter.
                before, started, k = repair.documents.version(), time.monotonic(), rng.randint(1, 3)
                proc = cli_ingest(corpus, data)
                while proc.poll() is None and repair.documents.version() < before + k:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 1.5))
                delay = time.monotonic() - started
                killed = proc.poll() is None
                if killed:
                    proc.send_signal(signal.SIGKILL)
                proc.wait()
                left = len(repair.documents.intents())
                report = repair.ingest_corpus(corpus, corpus="bench")  # the next run
                problems = check(repair, corpus)
                ok, seen = served_ok(client, expected_ids(corpus))
                consistent += not problems
                served += ok
                rows.append((run, delay, killed, left, report.count("ingested"), report.count("removed"),
                             not problems, ok, seen, "; ".join(problems)[:160]))
                print(rows[-1], flush=True)
            poller.stop.set()
            poller.join(timeout=60)
        assistant.kb.close()

    killed = sum(r[2] for r in rows)
    midway = sum(bool(r[2] and (r[3] or r[4] or r[5])) for r in rows)  # the next run had work left to finish
    lines = [
        "# kill -9 of the CLI while the server serves (issue 13, part 2)", "",
        f"`nice -n 19 python -m evals.bench_kill --runs {args.runs} --seed {args.seed}`: corpora/demo plus "
        f"{args.copies} variants as corpus `bench`, commit batches of 2 pages, each run edits three files, adds two "
        f"and removes one; the CLI is killed with SIGKILL at a random point of its writing: 0-1.5 s after "
        f"its k-th write (k = 1-3, seen on the change counter; an uncut run writes from {first:.1f} s to "
        f"{end:.1f} s), then the next run completes it.", "",
        f"- **consistent after the next run: {consistent}/{len(rows)}** ({killed} runs were killed mid-way, "
        f"{len(rows) - killed} had finished before the kill; {midway} kills left work the next run had to "
        "finish: journal entries, files to (re)ingest or remove)",
        f"- **served correctly by the running server (lists exactly the folder, every page viewable, within 10 s, "
        f"no restart): {served}/{len(rows)}**",
        f"- server requests during the kills: {poller.requests}, errors: {len(poller.errors)}"
        + (f" (first: {poller.errors[0]})" if poller.errors else ""), "",
        "| run | kill after (s) | killed | journal entries left | next run ingested | removed | consistent "
        "| served | seen after (s) | problems |", "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {r[0]} | {r[1]:.1f} | {'yes' if r[2] else 'no'} | {r[3]} | {r[4]} | {r[5]} | "
              f"{'yes' if r[6] else 'NO'} | {'yes' if r[7] else 'NO'} | {r[8]:.1f} | {r[9]} |" for r in rows]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:8]))


if __name__ == "__main__":
    main()
