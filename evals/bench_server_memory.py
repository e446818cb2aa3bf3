"""Server memory under load: RSS of a real `ethos serve` after 1 and 3 short load runs, and after uploads.

    nice -n 19 python -m evals.bench_server_memory [--clients 20] [--seconds 20] [--runs 3]
    nice -n 19 python -m evals.bench_server_memory --runs 0 --uploads 50 [--project OLD_CHECKOUT]

Ingests corpora/demo into a temporary data dir, starts `ethos serve` on a free loopback port
(API and chat UI, as deployed), then runs `--runs` load runs of `--clients` threads posting
varied questions to /api/ask for `--seconds` each, with a short idle pause after each run.
Prints the server's RSS (from /proc) at start-up, after one question, and after each run.
Bounded on purpose (the machine is shared): defaults are 20 clients x 20 s.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, wait_until_up  # noqa: E402

QUESTIONS = [
    "What are our values?", "What's our SEND non-negotiable?", "What have we committed to by 2027?",
    "How is attendance monitored?", "Who owns the reading strategy?", "What does every lesson look like here?",
    "How do governors hold leaders to account?", "What is the trust's vision?", "How is wellbeing supported?",
    "What happens in phase 2 of the improvement model?", "What is the curriculum intent?",
    "How are pupils with SEND supported?", "What is the safeguarding approach?", "Who leads the strategy?",
]
WORDS = "pupils staff reading phonics governors trust budget attendance inclusion careers sport music".split()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_run(base: str, clients: int, seconds: float, seed: int) -> tuple[int, int]:
    stop = time.monotonic() + seconds
    counts = [0, 0]  # ok, errors
    lock = threading.Lock()

    def client(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        with httpx.Client(base_url=base, timeout=120) as http:
            while time.monotonic() < stop:
                q = rng.choice(QUESTIONS)
                if rng.random() < 0.5:  # a unique variant: defeats any per-question cache
                    q = f"{q} {' '.join(rng.sample(WORDS, 2))} {rng.randrange(10**6)}"
                try:
                    ok = http.post("/api/ask", json={"question": q}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    counts[0 if ok else 1] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts[0], counts[1]


def upload_run(base: str, count: int, pid: int, every: int = 10) -> None:
    """`count` uploads of small distinct policies through the API, RSS printed every `every`.

    A long-lived server must not grow with each document it ingests (the llama-index ingestion
    cache once kept every node and its embedding in memory)."""
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=300) as http:
        for i in range(1, count + 1):
            body = (f"# Upload policy {i}\n\n## Purpose\n\nThis policy {i} sets out how "
                    + " ".join(random.Random(i).sample(WORDS, 6)) + " are organised.\n\n- A first rule.\n- A second rule.\n")
            r = http.post("/api/documents", files={"files": (f"upload-{i}.md", body.encode())})
            if r.status_code != 200:
                raise SystemExit(f"upload {i} failed: {r.status_code} {r.text[:200]}")
            if i % every == 0 or i == count:
                print(f"after {i} uploads ({time.monotonic() - started:.0f} s) RSS {rss_mb(pid):.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=5)
    parser.add_argument("--uploads", type=int, default=0, help="then upload this many small documents (as admin)")
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout to serve (e.g. an older one)")
    args = parser.parse_args()
    project = args.project.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(project), "ETHOS_DATA_DIR": tmp, "ETHOS_DEFAULT_ROLE": "admin" if args.uploads else "staff", "GRADIO_ANALYTICS_ENABLED": "False"}
        for key in ("ETHOS_LLM_BASE_URL", "ETHOS_LLM_GGUF_PATH", "ETHOS_CHROMA_HOST"):
            env.pop(key, None)
        ethos = [sys.executable, "-m", "ui.cli"]
        subprocess.run([*ethos, "ingest", str(project / "corpora" / "demo")], cwd=project, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen([*ethos, "serve", "--port", str(port)], cwd=project, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            if not wait_until_up(base, lambda: server.poll() is None, 180):
                raise SystemExit("the server did not start")
            print(f"start-up RSS {rss_mb(server.pid):.0f} MB")
            httpx.post(f"{base}/api/ask", json={"question": "What are our values?"}, timeout=120)
            print(f"after one question {rss_mb(server.pid):.0f} MB")
            for run in range(1, args.runs + 1):
                ok, errors = load_run(base, args.clients, args.seconds, run)
                time.sleep(args.idle)
                print(f"after run {run} ({args.clients} clients x {args.seconds:g} s: {ok} answers, "
                      f"{errors} errors) RSS {rss_mb(server.pid):.0f} MB")
            if args.uploads:
                upload_run(base, args.uploads, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
