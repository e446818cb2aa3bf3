"""Scale and speed: build indexes of a synthetic trust at several sizes and time the app on them.

    python -m evals.scale --sizes 10000 100000 1000000 [--real-max 10000] [--budget-s 900]

Each size is built and queried in its own subprocess (so RSS is that of one app process, not
of the harness): chunks from evals/synth.py -> embeddings -> Chroma via `chunk_to_node` and
the app's `ChromaVectorStore` (same metadata keys as ingest) -> the keyword index's one full build (`KeywordStore.rebuild`).
Then `Assistant(settings).ask` (extractive) and `Retriever.retrieve` are timed over generated
questions. Sizes up to --real-max use the real MiniLM on both sides; larger ones use the
`HashEmbedder` stand-in on both sides (MiniLM would take hours). Sizes up to --server-max are
also queried through a real `chroma run` server over the same on-disk index. A build that
passes --budget-s stops adding and is measured at the size it reached.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "evals" / "reports"
BATCH = 2000


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


# -- workers (run in a subprocess each) ------------------------------------------------------
def build(size: int, data: Path, real: bool, budget_s: float) -> dict:
    from evals.synth import _HashModel, generate
    from ingest import store
    from ingest.embedding import get_embedder
    from ingest.keyword_store import KeywordStore, keyword_path
    from llama_index.core.schema import TextNode

    from ingest.nodes import chunk_to_node
    from ingest.settings import Settings

    started = time.perf_counter()
    chunks = generate(size)
    gen_s = time.perf_counter() - started
    settings = Settings(data_dir=data)
    model = get_embedder(settings)._model if real else _HashModel()  # noqa: SLF001
    collection = store.chroma_collection(store.chroma_client(settings), settings)
    vstore = store.vector_store(collection)
    embed_s = add_s = 0.0
    marks, built, t_build = [], 0, time.perf_counter()
    for i in range(0, len(chunks), BATCH):
        # the document reference is what Chroma stores as `doc_id` (without it every chunk says "None")
        nodes = [chunk_to_node(c, ref_doc=TextNode(id_=c.doc_id)) for c in chunks[i : i + BATCH]]
        t = time.perf_counter()
        vectors = model.encode([f"{n.metadata['context']}\n{n.text}" for n in nodes], batch_size=64,
                               normalize_embeddings=True, show_progress_bar=False)
        embed_s += time.perf_counter() - t
        for node, vec in zip(nodes, vectors):
            node.embedding = vec.tolist()
        t = time.perf_counter()
        vstore.add(nodes)
        add_s += time.perf_counter() - t
        built += len(nodes)
        if built % 100_000 == 0 or built == len(chunks):
            marks.append([built, round(time.perf_counter() - t_build, 1)])
            print(f"[build {size}] {built} chunks, {marks[-1][1]} s", file=sys.stderr, flush=True)
        if not real and time.perf_counter() - t_build > budget_s:
            marks.append([built, round(time.perf_counter() - t_build, 1)])
            print(f"[build {size}] budget reached at {built} chunks", file=sys.stderr, flush=True)
            break
    t = time.perf_counter()  # the keyword index's one full build: a data dir's first start
    KeywordStore(keyword_path(settings)).rebuild(collection)
    bm25_s = time.perf_counter() - t
    return {"target": size, "chunks": built, "schools": int(chunks[built - 1].doc_id.split("-")[1].split("/")[0]) + 1,
            "gen_s": gen_s, "embed_s": embed_s, "chroma_add_s": add_s, "bm25_s": bm25_s,
            "build_s": time.perf_counter() - started - gen_s, "marks": marks,
            "build_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "disk_mb": disk_mb(data), "chroma_mb": disk_mb(data / "chroma"), "real": real}


def query(data: Path, real: bool, schools: int, n: int, host: str | None, port: int) -> dict:
    import ingest.pipeline
    from assistant.models import Principal
    from assistant.access import audiences_for
    from assistant.service import Assistant
    from evals.synth import HashEmbedder, questions
    from ingest.settings import Settings

    if not real:  # the stand-in must embed queries and answer sentences too
        ingest.pipeline.get_embedder = lambda settings: HashEmbedder()
    settings = Settings(data_dir=data, chroma_host=host, chroma_port=port)
    rss_start = rss_mb()
    t = time.perf_counter()
    assistant = Assistant(settings)
    load_s = time.perf_counter() - t
    rss_loaded = rss_mb()
    staff = Principal("staff", audiences_for("staff", settings))
    qs = questions(n, schools)
    for q in qs[:3]:
        assistant.ask(q, staff, mode="extractive")
    ask_ms, ret_ms, refused = [], [], 0
    for q in qs:
        t = time.perf_counter()
        answer = assistant.ask(q, staff, mode="extractive")
        ask_ms.append((time.perf_counter() - t) * 1000)
        refused += int(not answer.citations)
        t = time.perf_counter()
        assistant.retriever.retrieve(q, staff)
        ret_ms.append((time.perf_counter() - t) * 1000)
    rss_after = rss_mb()
    plans = plan_comparison(assistant, staff, qs[:10]) if host is None and assistant.kb.keyword else None
    return {"load_s": load_s, "rss_start_mb": rss_start, "rss_loaded_mb": rss_loaded, "rss_after_mb": rss_after,
            "ask_p50": pct(ask_ms, 50), "ask_p95": pct(ask_ms, 95), "ret_p50": pct(ret_ms, 50),
            "ret_p95": pct(ret_ms, 95), "questions": len(qs), "no_citation": refused, "plans": plans,
            "example": {"q": qs[0], "a": assistant.ask(qs[0], staff, mode="extractive").answer[:200]}}


def plan_comparison(assistant, principal, qs: list[str]) -> dict:
    """Dense search alone, side by side: Chroma's `where` filter vs the post-filter plan the app
    chooses at scale (assistant/dense.py), and how much of the exact filtered top-k it keeps."""
    from assistant.dense import dense_retriever

    kb, k = assistant.kb, assistant.settings.candidate_k
    mask = kb.keyword.mask(principal.audiences, None)
    out, found = {"matched": int(mask.sum()), "chunks": len(mask)}, {}
    for name, limit in (("where", len(mask)), ("post", 0)):
        retriever = dense_retriever(kb.vector_index, principal, None, k, mask, prefilter_max=limit)
        ms, found[name] = [], []
        for q in qs:
            t = time.perf_counter()
            found[name].append({n.node.node_id for n in retriever.retrieve(q)})
            ms.append((time.perf_counter() - t) * 1000)
        out[f"{name}_p50"] = pct(ms, 50)
    out["recall"] = statistics.fmean(len(a & b) / max(len(a), 1) for a, b in zip(found["where"], found["post"]))
    return out


# -- harness ---------------------------------------------------------------------------------
def _worker(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "evals.scale", "--worker", *args], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_server(data: Path, qargs: list[str]) -> dict:
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log = open(data / "chroma-server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(chroma), "run", "--path", str(data / "chroma"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        result = _worker([*qargs, "--host", "127.0.0.1", "--port", str(port)])
        result["server_rss_mb"] = rss_mb(proc.pid)
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def run_size(size: int, args: argparse.Namespace) -> dict:
    """Build (or reuse a kept build of) one size, then query it embedded and, if small, via a server."""
    real = size <= args.real_max
    if args.keep is None:
        with tempfile.TemporaryDirectory(prefix=f"ethos-scale-{size}-", dir=args.tmp) as tmp:
            return _measure(size, Path(tmp), real, args)
    data = args.keep / f"size-{size}"
    data.mkdir(parents=True, exist_ok=True)
    return _measure(size, data, real, args)


def _measure(size: int, data: Path, real: bool, args: argparse.Namespace) -> dict:
    built = data / "build.json"  # a kept index is reused, so queries can be re-timed after a change
    if built.exists():
        row = json.loads(built.read_text())
    else:
        row = _worker(["build", "--size", str(size), "--dir", str(data), "--budget-s", str(args.budget_s),
                       *(["--real"] if real else [])])
        built.write_text(json.dumps(row))
    qargs = ["query", "--dir", str(data), "--schools", str(row["schools"]), "--questions", str(args.questions),
             *(["--real"] if real else [])]
    row["embedded"] = _worker(qargs)
    if size <= args.server_max:
        row["server"] = _with_server(data, qargs)
    return row

from evals.scale_report import write_report  # noqa: E402 - after the workers, which must not need it


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--real-max", type=int, default=10_000, help="largest size embedded with the real MiniLM")
    p.add_argument("--server-max", type=int, default=10_000, help="largest size also queried via `chroma run`")
    p.add_argument("--budget-s", type=float, default=900.0,
                   help="stand-in sizes stop adding after this many seconds of embedding + Chroma adds")
    p.add_argument("--questions", type=int, default=50)
    p.add_argument("--tmp", default=None, help="where temporary data dirs go")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep each index in KEEP/size-N and reuse it on the next run (re-times queries only)")
    p.add_argument("--results", type=Path, default=Path(tempfile.gettempdir()) / "ethos-scale.json")
    p.add_argument("--out", type=Path, default=REPORTS)
    p.add_argument("--note", default="", help="context paragraph for the top of scale.md")
    p.add_argument("--report-only", action="store_true", help="rewrite scale.md from --results")
    p.add_argument("--append", action="store_true",
                   help="keep the rows already in --results (a re-measured size replaces its old row)")
    p.add_argument("--worker", choices=["build", "query"])
    p.add_argument("--size", type=int)
    p.add_argument("--dir", type=Path)
    p.add_argument("--real", action="store_true")
    p.add_argument("--schools", type=int, default=1)
    p.add_argument("--host")
    p.add_argument("--port", type=int, default=8000)
    a = p.parse_args(argv)
    if a.worker == "build":
        print(json.dumps(build(a.size, a.dir, a.real, a.budget_s)))
        return
    if a.worker == "query":
        print(json.dumps(query(a.dir, a.real, a.schools, a.questions, a.host, a.port)))
        return
    keep_old = (a.report_only or a.append) and a.results.exists()
    rows = json.loads(a.results.read_text()) if keep_old else []
    for size in [] if a.report_only else a.sizes:
        print(f"== size {size} ==", flush=True)
        row = run_size(size, a)
        rows = [r for r in rows if (r["target"], r["real"]) != (row["target"], row["real"])] + [row]
        rows.sort(key=lambda r: (not r["real"], r["target"]))
        a.results.write_text(json.dumps(rows, indent=1))
        write_report(rows, a.out, a.note)
    write_report(rows, a.out, a.note)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
