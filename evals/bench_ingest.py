"""Ingest throughput beside the bare embedder, measured in one run (timings here are noisy;
the ratio of two measurements taken side by side is what to trust).

    python -m evals.bench_ingest [--out evals/reports/ingest.md]

Pipeline = load + structure-aware chunking + embedding + Chroma/docstore writes + BM25 rebuild,
on corpora/demo plus the eight real PDFs in ../shared/realdocs/decoy-primary. Bare = the same
sentence-transformers model encoding exactly the texts the pipeline embedded, same batch size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ingest.embedding import get_embedder
from ingest.pipeline import Ingestor
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs" / "decoy-primary"


def bare_encode_seconds(embedder, texts: list[str], repeats: int = 2) -> float:
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        embedder._model.encode(texts, batch_size=embedder.embed_batch_size, normalize_embeddings=True)  # noqa: SLF001
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def loading_seconds(folders: list[Path]) -> float:
    """Parsing alone (no chunking or embedding), to show where the pipeline's time goes."""
    from ingest.loaders import load_document
    from ingest.manifest import corpus_files, load_manifest

    t = time.perf_counter()
    for folder in folders:
        manifest = load_manifest(folder)
        for path in corpus_files(folder):
            load_document(path, manifest.meta_for(folder, path))
    return time.perf_counter() - t


def run(out: Path | None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        ing = Ingestor(settings)
        get_embedder(settings)._model.encode(["warm up"] * 8)  # noqa: SLF001 - load weights, fill caches
        t = time.perf_counter()
        reports = [ing.ingest_corpus(ROOT / "corpora" / "demo")]
        if REALDOCS.exists():
            reports.append(ing.ingest_corpus(REALDOCS, corpus="realdocs"))
        pipeline_s = time.perf_counter() - t
        chunks = sum(r.chunks_added for r in reports)
        got = ing.collection.get(include=["documents", "metadatas"])
        texts = [f"{m['context']}\n{d}" for d, m in zip(got["documents"], got["metadatas"])]
        bare_s = bare_encode_seconds(ing.embedder, texts)
        load_s = loading_seconds([ROOT / "corpora" / "demo"] + ([REALDOCS] if REALDOCS.exists() else []))
        t = time.perf_counter()
        again = [ing.ingest_corpus(ROOT / "corpora" / "demo")]
        if REALDOCS.exists():
            again.append(ing.ingest_corpus(REALDOCS, corpus="realdocs"))
        unchanged_s = time.perf_counter() - t
    files = sum(len(r.files) for r in reports)
    ratio = bare_s / pipeline_s
    lines = [
        "# Ingest throughput (pipeline vs bare embedder, same run)",
        "",
        f"Corpus: corpora/demo + {'8 real PDFs' if REALDOCS.exists() else '(realdocs missing)'}; "
        f"{files} files, {chunks} chunks; model {settings.embed_model}, batch {settings.embed_batch_size}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| full pipeline (load, chunk, embed, Chroma, docstore, BM25) | {pipeline_s:.2f} s ({chunks / pipeline_s:.1f} chunks/s) |",
        f"| bare embedder on the same {len(texts)} texts (median of 2) | {bare_s:.2f} s ({len(texts) / bare_s:.1f} chunks/s) |",
        f"| pipeline rate / bare rate | **{ratio:.0%}** (goal ≥ 90%) |",
        f"| of which loading files (pypdf text extraction etc.), timed alone | {load_s:.2f} s |",
        f"| pipeline without loading / bare rate | {bare_s / max(pipeline_s - load_s, 1e-9):.0%} |",
        f"| re-ingest of the unchanged corpus | {unchanged_s:.2f} s, {sum(r.chunks_added for r in again)} chunks added |",
    ]
    text = "\n".join(lines) + "\n"
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports" / "ingest.md")
    print(run(parser.parse_args().out))


if __name__ == "__main__":
    main()
