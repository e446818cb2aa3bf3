"""Ingest throughput beside the bare embedder, measured in one run, before and after a change.

    python -m evals.bench_ingest [--before REV] [--repeats 2] [--out evals/reports/ingest.md]

Pipeline = hash + parse (pypdf etc., in the parse worker process) + structure-aware chunking and
answer-unit segmentation + embedding of chunks *and* answer units + Chroma/document writes +
keyword index update, on corpora/demo plus the eight real PDFs in
../shared/realdocs/decoy-primary, each run into a fresh data dir. Bare = the same
sentence-transformers model encoding exactly the texts the pipeline embedded — every chunk's
embedded text (context line + chunk) and every answer unit — with one `encode` call each, same
batch size, in the same process right after the pipeline run. Ratio = bare s / pipeline s: 100%
would mean everything but embedding is free. Timings on a shared machine are noisy; the ratio of
two measurements taken side by side is what to trust.

Each run is its own process (`--child`), importing `ingest` from the tree it measures: this
checkout, or `--before REV` exported with `git archive` into a temporary directory, so before
and after run alternately (ABBA over the repeats) under the same load. Every run also stores
its chunk and unit vectors, and the report says whether they match across the trees.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs" / "decoy-primary"
MODES = {"shipped": "as shipped",
         "overlapped": "files parsed ahead in the worker process, overlapping the embedder",
         "in line": "files parsed in line (each in its turn)"}


def folders() -> list[tuple[Path, str | None]]:
    real = REALDOCS.exists() and not os.environ.get("BENCH_DEMO_ONLY")  # demo only: a smoke test of the script
    return [(ROOT / "corpora" / "demo", None)] + ([(REALDOCS, "realdocs")] if real else [])


class InLine:
    """The old loop: each file parsed when its turn comes, nothing overlapping the embedder, and
    batches cut by page count only (`ready()` is always true)."""

    def __init__(self, items, fn) -> None:
        self._it = ((item, fn(item)) for item in items)

    def __iter__(self) -> "InLine":
        return self

    def __next__(self):
        return next(self._it)

    def ready(self) -> bool:
        return True


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the parse worker is reaped at the end of
    each ingest): less at the mercy of other users' load than wall time, though a torch thread
    spinning while it waits for a descheduled peer still counts."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# -- one measured run, in its own process ----------------------------------------------------
def child(mode: str, vectors_out: Path, texts_file: Path) -> dict:
    """Bare run, pipeline run, bare run, with `ingest` from whichever tree PYTHONPATH points at.

    The bare side is timed before and after the pipeline (their mean is the figure), so load
    that changes during a run weighs on both sides; the first run of all, which has no texts
    yet, times it after only. The texts are the same in every tree (the vectors are compared).
    """
    import torch

    import ingest.pipeline
    from ingest.embedding import encode, get_embedder
    from ingest.parse_worker import ParseWorker
    from ingest.pipeline import Ingestor
    from ingest.settings import Settings
    from ingest.units import UNITS_KEY, VECTORS_KEY, decode_spans, decode_vectors
    try:
        from ingest.nodes import unit_texts
    except ImportError:  # a tree from before units were also embedded in context: units alone
        def unit_texts(text: str, m: dict) -> tuple[list[str], list[str]]:
            return [text[u.start - int(m["start"]): u.end - int(m["start"])] for u in decode_spans(m.get(UNITS_KEY))], []

    settings = Settings()
    embedder = get_embedder(settings)
    # Warm up on every length the runs meet: a process's first long batch pays for kernel and
    # buffer set-up, which would otherwise land on whichever side ran first.
    embedder._model.encode([" ".join(["word"] * n) for n in (4, 16, 64, 250) for _ in range(64)],  # noqa: SLF001
                           batch_size=embedder.embed_batch_size, show_progress_bar=False)
    t = time.perf_counter()
    with ParseWorker(60, settings.parse_memory_mb) as worker:
        worker._ensure()  # noqa: SLF001 - its start-up alone, as each ingest_corpus call pays it
    startup_s = time.perf_counter() - t
    if mode == "in line":
        ingest.pipeline.prefetch = InLine

    def bare(chunk_texts: list[str], unit_texts: list[str], framed: list[str] = ()) -> tuple[float, float]:
        t, cpu = time.perf_counter(), cpu_seconds()
        embedder._model.encode(chunk_texts, batch_size=embedder.embed_batch_size,  # noqa: SLF001
                               normalize_embeddings=True, show_progress_bar=False)
        encode(embedder, unit_texts)  # as the unit embedder does it: units alone, then in context
        if framed:
            encode(embedder, list(framed))
        return time.perf_counter() - t, cpu_seconds() - cpu

    bares = [bare(*json.loads(texts_file.read_text()))] if texts_file.exists() else []
    with tempfile.TemporaryDirectory() as tmp:
        ing = Ingestor(Settings(data_dir=Path(tmp), refresh_s=0))
        if mode == "overlapped":
            ing.parse_ahead = True  # the tree before it existed always parsed ahead
        parse_ahead = getattr(ing, "parse_ahead", True) and mode != "in line"
        load_before = os.getloadavg()
        t, cpu = time.perf_counter(), cpu_seconds()
        chunks = sum(ing.ingest_corpus(folder, corpus=name).chunks_added for folder, name in folders())
        pipeline_s, pipeline_cpu = time.perf_counter() - t, cpu_seconds() - cpu
        got = ing.collection.get(include=["documents", "metadatas", "embeddings"])
        chunk_texts, units_alone, framed, unit_vectors = [], [], [], []
        for text, m in zip(got["documents"], got["metadatas"]):
            chunk_texts.append(f"{m['context']}\n{text}")
            alone, read = unit_texts(text, m)  # exactly what the unit embedder encoded
            units_alone.extend(alone)
            framed.extend(read)
            vec = decode_vectors(m.get(VECTORS_KEY))
            unit_vectors.append(vec if vec is not None else np.zeros((0, 384), np.float32))
        bares.append(bare(chunk_texts, units_alone, framed))
        bare_s, bare_cpu = (statistics.mean(b[k] for b in bares) for k in (0, 1))
        if not texts_file.exists():
            texts_file.write_text(json.dumps([chunk_texts, units_alone, framed]))
        load_after = os.getloadavg()
        t = time.perf_counter()
        again = sum(ing.ingest_corpus(folder, corpus=name).chunks_added for folder, name in folders())
        unchanged_s = time.perf_counter() - t
        order = np.argsort(got["ids"])
        np.savez(vectors_out, ids=np.asarray(got["ids"])[order],
                 chunks=np.asarray(got["embeddings"], dtype=np.float32)[order],
                 units=np.concatenate([unit_vectors[i] for i in order]),
                 unit_counts=np.asarray([len(unit_vectors[i]) for i in order]))
    return {"pipeline_s": pipeline_s, "bare_s": bare_s, "pipeline_cpu": pipeline_cpu, "bare_cpu": bare_cpu,
            "bares": [b[0] for b in bares], "startup_s": startup_s, "chunks": chunks,
            "units": len(units_alone), "unchanged_s": unchanged_s, "again": again,
            "threads": torch.get_num_threads(), "load": [load_before[0], load_after[0]], "parse_ahead": parse_ahead}


# -- the parent: runs, alternates, compares --------------------------------------------------
def export(rev: str, into: Path) -> Path:
    """`ingest/` as it was at `rev` (ingest imports nothing outside itself)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "ingest"], check=True,
                             capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_child(tree: Path, mode: str, vectors_out: Path, texts: Path) -> dict:
    """One measured run; `texts` holds what this tree embeds (trees may embed different texts)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", mode, "--vectors",
                          str(vectors_out), "--texts", str(texts)],
                         env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(f"benchmark run failed ({tree}, {mode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_vectors(a: Path, b: Path) -> str:
    x, y = np.load(a), np.load(b)
    if list(x["ids"]) != list(y["ids"]) or list(x["unit_counts"]) != list(y["unit_counts"]):
        return "**different chunks or units**"
    chunk_diff = float(np.abs(x["chunks"] - y["chunks"]).max())
    unit_diff = float(np.abs(x["units"] - y["units"]).max())
    ok = np.allclose(x["chunks"], y["chunks"], atol=1e-5) and np.allclose(x["units"], y["units"], atol=0.01)
    return (f"{'same' if ok else '**different**'} ({len(x['ids'])} chunk vectors, max |diff| {chunk_diff:.1e}; "
            f"{len(x['units'])} int8 unit vectors, max |diff| {unit_diff:.1e})")


def loading_seconds() -> float:
    """Parsing alone (no chunking or embedding), in this process, to show where the time goes."""
    sys.path.insert(0, str(ROOT))
    from ingest.loaders import load_document
    from ingest.manifest import load_manifest, walk_corpus

    t = time.perf_counter()
    for folder, name in folders():
        manifest = load_manifest(folder, name)
        for path in walk_corpus(folder).files:
            load_document(path, manifest.meta_for(folder, path))
    return time.perf_counter() - t


def run(out: Path | None, before: str | None, repeats: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        configs = [("after", ROOT, "shipped"), ("after", ROOT, "overlapped")]
        if before:
            old = export(before, tmp_path / "before")
            configs[:0] = [("before", old, "shipped"), ("before", old, "in line")]
        results: dict[tuple[str, str], list[dict]] = {(c[0], c[2]): [] for c in configs}
        loads = [os.getloadavg()]
        for r in range(repeats):  # ABBA: the first run of a pair was measured slower
            for name, tree, mode in configs[:: 1 if r % 2 == 0 else -1]:
                got = run_child(tree, mode, tmp_path / f"{name}-{mode}-{r}.npz", tmp_path / f"texts-{name}.json")
                results[(name, mode)].append(got)
                print(f"{name} {mode}: {json.dumps(got)}", file=sys.stderr, flush=True)
            loads.append(os.getloadavg())
        vectors = {f"{n} {m}": same_vectors(tmp_path / f"{configs[0][0]}-{configs[0][2]}-0.npz",
                                            tmp_path / f"{n}-{m}-0.npz") for n, _, m in configs[1:]}
        load_s = loading_seconds()
    return report(out, before, repeats, results, vectors, loads, load_s)


def report(out: Path | None, before: str | None, repeats: int, results: dict, vectors: dict,
           loads: list, load_s: float) -> str:
    any_run = next(iter(results.values()))[0]
    lines = [
        f"Corpus: corpora/demo{' + the 8 real PDFs' if len(folders()) > 1 else ' only'}; "
        f"{any_run['chunks']} chunks and {any_run['units']} answer units embedded; torch threads "
        f"{sorted({r['threads'] for rs in results.values() for r in rs})}; {repeats} repeats in ABBA order, "
        "each run its own process under `nice`; load average (1 min) at the start and after each repeat: "
        + ", ".join(f"{x[0]:.1f}" for x in loads) + ".",
        "",
        "| tree, mode | pipeline s (each run) | bare s, mean of before and after it (each) | **bare / pipeline, wall** (median; each pair) "
        "| CPU s, pipeline / bare (each) | bare / pipeline, CPU (median) | parse worker start-up s | load during runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (name, mode), rs in results.items():
        tree = f"before ({before})" if name == "before" else "after (this checkout)"
        ratios = [r["bare_s"] / r["pipeline_s"] for r in rs]
        each = lambda key: ", ".join(f"{r[key]:.1f}" for r in rs)  # noqa: E731
        med = lambda key: statistics.median(r[key] for r in rs)  # noqa: E731
        how = MODES[mode] if mode != "shipped" else f"as shipped (parses {'ahead' if rs[0]['parse_ahead'] else 'in line'})"
        lines.append(
            f"| {tree}, {how} | {med('pipeline_s'):.1f} ({each('pipeline_s')}) | "
            f"{med('bare_s'):.1f} ({each('bare_s')}) | **{statistics.median(ratios):.0%}** "
            f"({', '.join(f'{x:.0%}' for x in ratios)}) | "
            + ", ".join(f"{r['pipeline_cpu']:.0f}/{r['bare_cpu']:.0f}" for r in rs)
            + f" | {statistics.median(r['bare_cpu'] / r['pipeline_cpu'] for r in rs):.0%} | {med('startup_s'):.2f} | "
            + ", ".join(f"{r['load'][0]:.1f}–{r['load'][1]:.1f}" for r in rs) + " |")
    lines += ["", f"Loading the files alone (pypdf text extraction etc.), in one process: {load_s:.1f} s. "
              f"Re-ingest of the unchanged corpus: {any_run['unchanged_s']:.2f} s, {any_run['again']} chunks added."]
    lines += [f"Vectors, {k} vs {' '.join(next(iter(results)))}: {v}." for k, v in vectors.items()]
    text = "\n".join(lines) + "\n"
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="write the table here (default: print only)")
    parser.add_argument("--before", default=None, help="a git revision to measure beside this checkout")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.vectors, a.texts)))
        return
    print(run(a.out, a.before, a.repeats))


if __name__ == "__main__":
    main()
