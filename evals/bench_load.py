"""The API under load: N concurrent clients on loopback for S seconds, mixing answers and cheap reads.

    nice -n 19 python -m evals.bench_load --clients 50 --seconds 60 [--append --note "..."]

Ingests corpora/demo into a temporary data dir and serves the real app (`create_app`, uvicorn,
no LLM) in a child process on a free loopback port, so the load generator does not share the
server's GIL. Then, in the same run: a single-client baseline (`--baseline-seconds`), and
`--clients` concurrent async clients for `--seconds`, each looping over a weighted mix of
`POST /api/ask` (extractive), `POST /api/chat` (the SSE stream, read to its `done` event),
`GET /api/documents` and `GET /api/health`. Questions (with their history) come from
evals/sets/demo*.jsonl. Writes evals/reports/load.md: requests, errors by kind, answers/s,
p50/p95 per endpoint, the load-vs-baseline ratios, the machine's load average before and
after, and the CPU time the server process actually got (other jobs share the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "evals" / "sets" / "demo.jsonl", ROOT / "evals" / "sets" / "demo_fresh.jsonl"]
REPORT = ROOT / "evals" / "reports" / "load.md"
MIX = {"ask": 0.35, "chat": 0.35, "documents": 0.2, "health": 0.1}
ANSWERS = ("ask", "chat")
TIMEOUT_S = 120.0
SLOW_READ_MS = 300  # the issue's bound on cheap reads' p95
WARM_S = 5.0


def questions() -> list[dict]:
    """Every question of the demo sets, with its history (follow-ups are part of real use)."""
    out = []
    for path in SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append({"question": item["question"], "history": item.get("history") or []})
    return out


# -- the server (a child process) -----------------------------------------------------------------
def serve(data_dir: Path, port: int, answer_workers: int) -> None:
    """Child process: ingest the demo corpus, then serve the API (no LLM, default role staff)."""
    import uvicorn

    from assistant.api import create_app
    from assistant.service import Assistant
    from ingest.settings import Settings

    settings = Settings(data_dir=data_dir, corpus_dir=ROOT / "corpora" / "demo", default_role="staff",
                        llm_base_url=None, llm_gguf_path=None, chroma_host=None,
                        **({"answer_workers": answer_workers} if answer_workers else {}))
    assistant = Assistant(settings)
    assistant.kb.ingest(ROOT / "corpora" / "demo", corpus="demo")
    uvicorn.run(create_app(settings, assistant), host="127.0.0.1", port=port, log_level="warning")


def start_server(data_dir: Path, project: Path, answer_workers: int = 0) -> tuple[subprocess.Popen, str]:
    """Serve `project`'s code (this checkout, or e.g. a `git archive` of an older commit)."""
    from tests.servers import free_port, wait_until_up

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETHOS_")}
    env.update(PYTHONPATH=str(project), GRADIO_ANALYTICS_ENABLED="False")
    argv = [__file__, "--serve", str(data_dir), "--port", str(port), "--answer-workers", str(answer_workers)]
    child = f"import runpy, sys; sys.argv = {argv!r}; runpy.run_path({__file__!r}, run_name='__main__')"
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=project, env=env)
    base = f"http://127.0.0.1:{port}"
    if not wait_until_up(base, lambda: proc.poll() is None, 300):
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, base


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the clients ------------------------------------------------------------------------------------
@dataclass
class Run:
    clients: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # s into the run
    errors: Counter = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())

    @property
    def answers(self) -> int:
        return sum(len(self.latencies[k]) for k in ANSWERS)


async def one_request(http: httpx.AsyncClient, kind: str, item: dict) -> str | None:
    """Do one request; None if it succeeded, else the kind of error."""
    body = {"question": item["question"], "history": item["history"], "mode": "extractive"}
    if kind == "ask":
        r = await http.post("/api/ask", json=body)
        return None if r.status_code == 200 and "answer" in r.json() else f"ask HTTP {r.status_code}"
    if kind == "chat":
        async with http.stream("POST", "/api/chat", json=body) as r:
            if r.status_code != 200:
                return f"chat HTTP {r.status_code}"
            events = [line.removeprefix("event:").strip() async for line in r.aiter_lines()
                      if line.startswith("event:")]
        if "error" in events:
            return "chat error event"
        return None if events and events[-1] == "done" else "chat stream ended without done"
    r = await http.get(f"/api/{kind}")
    return None if r.status_code == 200 else f"{kind} HTTP {r.status_code}"


async def client(http: httpx.AsyncClient, run: Run, rng: random.Random, items: list[dict], stop: float,
                 t0: float) -> None:
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < stop:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            error = await one_request(http, kind, rng.choice(items))
        except httpx.TimeoutException:
            error = f"{kind} timeout"
        except httpx.HTTPError as exc:
            error = f"{kind} {type(exc).__name__}"
        if error is None:
            run.latencies[kind].append((time.perf_counter() - started) * 1000)
            run.sent_at[kind].append(started - t0)
        else:
            run.errors[error] += 1


async def load(base: str, clients: int, seconds: float, items: list[dict], seed: int, pid: int) -> Run:
    run = Run(clients, load_before=os.getloadavg())
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, limits=limits) as http:
        cpu0, started = cpu_seconds(pid), time.monotonic()
        stop = started + seconds
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http, run, random.Random(seed * 1000 + i), items, stop, t0)
                               for i in range(clients)))
        run.seconds, run.server_cpu_s = time.monotonic() - started, cpu_seconds(pid) - cpu0
    run.load_after = os.getloadavg()
    return run


# -- the report -------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def section(base: Run, run: Run, note: str) -> str:
    def fmt_load(load: tuple[float, float, float]) -> str:
        return " / ".join(f"{x:.2f}" for x in load)

    def line(r: Run) -> str:
        errors = sum(r.errors.values())
        return (f"| {r.clients} | {r.seconds:.1f} | {r.requests} | {errors} | {r.requests / r.seconds:.1f} | "
                f"{r.answers / r.seconds:.2f} | {r.server_cpu_s / r.seconds:.2f} | {fmt_load(r.load_before)} | "
                f"{fmt_load(r.load_after)} |")

    out = [f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {run.clients} clients × {run.seconds:.0f} s",
           "", note or "(no note)", "",
           "| clients | seconds | requests | errors | requests/s | answers/s | server CPU (cores) | "
           "load avg before (1/5/15 min) | load avg after |",
           "|---:|---:|---:|---:|---:|---:|---:|---|---|", line(base), line(run), "",
           "| endpoint | n (1 client) | p50 ms (1 client) | p95 ms (1 client) | n (load) | p50 ms (load) | "
           "p95 ms (load) | p50 ratio | p95 ratio |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind in MIX:
        b, r = base.latencies[kind], run.latencies[kind]
        ratio50 = pct(r, 50) / pct(b, 50) if b and r else float("nan")
        ratio95 = pct(r, 95) / pct(b, 95) if b and r else float("nan")
        out.append(f"| {kind} | {len(b)} | {pct(b, 50):.0f} | {pct(b, 95):.0f} | {len(r)} | {pct(r, 50):.0f} | "
                   f"{pct(r, 95):.0f} | {ratio50:.1f}× | {ratio95:.1f}× |")
    out += ["", f"Cheap reads slower than {SLOW_READ_MS} ms under load (of all sent / of those sent in the first "
            f"{WARM_S:g} s, when {run.clients} clients connect at once); p95 of those sent after it:", ""]
    for kind in ("documents", "health"):
        pairs = list(zip(run.sent_at[kind], run.latencies[kind]))
        slow = [t for t, ms in pairs if ms > SLOW_READ_MS]
        later = [ms for t, ms in pairs if t >= WARM_S]
        out.append(f"- {kind}: {len(slow)} of {len(pairs)} / {sum(t < WARM_S for t in slow)} of "
                   f"{sum(t < WARM_S for t, _ in pairs)}; p95 after {WARM_S:g} s {pct(later, 95):.0f} ms, "
                   f"max {max((ms for _, ms in pairs), default=float('nan')):.0f} ms")
    errors = run.errors + base.errors
    out += ["", "Errors by kind: " + (", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none"),
            "", f"Answers/s under load vs one client: {run.answers / run.seconds:.2f} vs "
            f"{base.answers / base.seconds:.2f} ({(run.answers / run.seconds) / max(base.answers / base.seconds, 1e-9):.1f}×).",
            ""]
    return "\n".join(out)


HEADER = """# API under load

`nice -n 19 python -m evals.bench_load --clients 50 --seconds 60` (evals/bench_load.py): the real app
served by uvicorn in a child process over loopback on the demo corpus (no LLM), a single-client
baseline, then N async clients each looping over a mix of {mix} — ask and chat extractive, chat
read to its `done` event, questions and histories from evals/sets/demo*.jsonl. Latencies are whole
requests as the client sees them, successes only; an error is any non-200, timeout
({timeout:.0f} s), transport error, or a stream without `done`. "Server CPU (cores)" is the CPU time the
server process got per wall second: the machine has {cores} cores **shared with other engineers'
jobs**, so it shows how much of them the server actually had; the load average is the whole machine's.

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--note", default="", help="conditions of this run, written into the report")
    parser.add_argument("--append", action="store_true", help="add this run to the report instead of replacing it")
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout whose code is served")
    parser.add_argument("--answer-workers", type=int, default=0, help="Settings.answer_workers (0: its default)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: the child server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.port, args.answer_workers)
    items = questions()
    with tempfile.TemporaryDirectory(prefix="ethos-load-") as tmp:
        server, base = start_server(Path(tmp), args.project.resolve(), args.answer_workers)
        try:
            httpx.post(f"{base}/api/ask", json={"question": "What are our values?"}, timeout=TIMEOUT_S)  # warm
            baseline = asyncio.run(load(base, 1, args.baseline_seconds, items, args.seed, server.pid))
            print(f"baseline: {baseline.requests} requests, {baseline.answers / baseline.seconds:.2f} answers/s")
            run = asyncio.run(load(base, args.clients, args.seconds, items, args.seed + 1, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = section(baseline, run, args.note)
    print(text)
    previous = args.out.read_text(encoding="utf-8") if args.append and args.out.exists() else ""
    head = HEADER.format(mix=", ".join(f"{k} {v:.0%}" for k, v in MIX.items()), timeout=TIMEOUT_S,
                         cores=os.cpu_count())
    runs = previous.split("\n## ", 1)[1] if "\n## " in previous else ""
    args.out.write_text(head + (f"## {runs.rstrip()}\n\n" if runs else "") + text, encoding="utf-8")


if __name__ == "__main__":
    main()
