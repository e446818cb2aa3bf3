"""`ethos eval …`: the golden-set evaluation (default), SciFact, scale, ingest and commitments reports.

A Typer sub-app, so the `ethos` CLI mounts it (`app.add_typer(eval_app, name="eval")`) and
it can also run alone: `python -c "from evals.cli import eval_app; eval_app()" scifact`.
Heavy imports happen inside the commands so `ethos --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "evals" / "reports"
SHARED = ROOT.parent / "shared"

eval_app = typer.Typer(help="Golden-set and SciFact evaluations.", invoke_without_command=True)
console = Console(width=None if sys.stdout.isatty() else 220)  # logs keep whole tables


def _print(title: str, table_rows: list[list[object]]) -> None:
    from evals.report import fmt

    table = Table(title=title, show_lines=False)
    for h in table_rows[0]:
        table.add_column(str(h))
    for row in table_rows[1:]:
        table.add_row(*[fmt(c) for c in row])
    console.print(table)


def _log(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def _threads(n: int) -> None:
    """Pin torch's intra-op threads. On an oversubscribed machine the default (one per core)
    spin-waits and one query embedding took ~0.8 s instead of ~0.15 s with one thread."""
    if n > 0:
        import torch

        torch.set_num_threads(n)


THREADS_HELP = "torch threads (0 = torch default); 1 is far faster when other jobs share the CPU"
EVAL_INDEXES = ROOT / "data" / "eval-indexes"
# The options the answer evaluations share (each command's default path stays in its signature).
KeepOption = Annotated[Path, typer.Option(help="Indexes are kept and reused here")]
ThreadsOption = Annotated[int, typer.Option(help=THREADS_HELP)]


@eval_app.callback()
def main(ctx: typer.Context) -> None:
    """Golden-set and SciFact evaluations (no subcommand: the golden sets)."""
    if ctx.invoked_subcommand is None:
        golden(set_="all", out=REPORTS, data_dir=ROOT / "data", answers_all_modes=True, torch_threads=0)


@eval_app.command()
def golden(
    set_: Annotated[str, typer.Option("--set", help="demo | realdocs | all")] = "all",
    out: Annotated[Path, typer.Option(help="Where golden.md, charts and refusal_scores.csv go")] = REPORTS,
    data_dir: Annotated[Path, typer.Option(help="Project data dir (where an installed mpnet lives)")] = ROOT / "data",
    answers_all_modes: Annotated[bool, typer.Option(help="Also answer with BM25-only and dense-only retrieval")] = True,
    torch_threads: Annotated[int, typer.Option(help=THREADS_HELP)] = 0,
    mode: Annotated[str, typer.Option(help="extractive | generative (a real LLM beside extractive)")] = "extractive",
    half: Annotated[str, typer.Option(help="generative: test | tune | all")] = "test",
    limit: Annotated[int, typer.Option(help="generative: at most this many cases per set (0 = all)")] = 0,
    only: Annotated[str, typer.Option(help="generative: comma-separated case ids")] = "",
    gguf: Annotated[Path | None, typer.Option(help="generative: a local GGUF (ETHOS_LLM_GGUF_PATH)")] = None,
    llm_base_url: Annotated[str | None, typer.Option(help="generative: an OpenAI-compatible server")] = None,
    items: Annotated[Path, typer.Option(help="generative: per-answer JSON lines")] = ROOT / "data" / "eval-generative" / "items.jsonl",
    keep: Annotated[Path, typer.Option(help="generative: indexes are kept and reused here")] = ROOT / "data" / "eval-indexes",
    resume: Annotated[bool, typer.Option(help="generative: keep --items and answer only what is missing")] = False,
    budget_min: Annotated[float, typer.Option(help="generative: start no case after this many minutes (0 = none)")] = 0,
    report_only: Annotated[bool, typer.Option(help="generative: only rewrite the report from --items")] = False,
) -> None:
    """Golden questions through fresh indexes: retrieval, answers, citations, refusals, latency.

    `--mode generative` answers the chosen half (test by default) with the configured LLM and
    extractively in the same run, and writes generative.md (see evals/generative_run.py)."""
    if mode not in ("extractive", "generative"):
        raise typer.BadParameter("--mode must be extractive or generative")
    sets = ["demo", "realdocs"] if set_ == "all" else [set_]
    if any(s not in ("demo", "realdocs") for s in sets):
        raise typer.BadParameter("--set must be demo, realdocs or all")
    _threads(torch_threads)
    if mode == "generative":
        from evals.generative_report import main as generative_main

        if half not in ("test", "tune", "all"):
            raise typer.BadParameter("--half must be test, tune or all")
        llm = {"llm_base_url": llm_base_url, "llm_gguf_path": gguf}
        if not report_only and not (gguf or llm_base_url):
            raise typer.BadParameter("--mode generative needs --gguf PATH or --llm-base-url URL")
        report = generative_main(sets, half, limit or None, items, keep, out, llm, resume=resume,
                                 budget_s=budget_min * 60 or None, ids=[i for i in only.split(",") if i],
                                 report_only=report_only, log=_log)
        console.print(f"Report: {report}")
        return
    from evals.golden_report import run

    tables = run(sets, out, data_dir, answers_all_modes=answers_all_modes, log=_log)
    for title, rows in tables:
        _print(title, rows)
    console.print(f"Report: {out / 'golden.md'}")


@eval_app.command()
def answers(
    set_: Annotated[str, typer.Option("--set", help="demo | realdocs | squad | all")] = "all",
    out: Annotated[Path, typer.Option(help="Where answers.md and answers_items.csv go")] = REPORTS,
    keep: KeepOption = EVAL_INDEXES,
    torch_threads: ThreadsOption = 1,
) -> None:
    """Answer containment (the headline), refusal, length and latency on every set, test half first."""
    from evals.answers_report import run

    _threads(torch_threads)
    sets = ("demo", "realdocs", "squad") if set_ == "all" else (set_,)
    if any(s not in ("demo", "realdocs", "squad") for s in sets):
        raise typer.BadParameter("--set must be demo, realdocs, squad or all")
    _print("Answers (test half is the headline)", run(out, keep, sets, log=_log))
    console.print(f"Report: {out / 'answers.md'}")


@eval_app.command()
def phrasing(
    out: Annotated[Path, typer.Option(help="Where phrasing.md goes")] = REPORTS,
    keep: KeepOption = EVAL_INDEXES,
    torch_threads: ThreadsOption = 1,
) -> None:
    """Golden questions asked plainly and wrapped in chat ("Hi, quick question: …", "… Thanks!")."""
    from evals.phrasing import run

    _threads(torch_threads)
    _print("Questions wrapped in chat (test frames on the test half are the headline)", run(out, keep, log=_log))
    console.print(f"Report: {out / 'phrasing.md'}")


@eval_app.command()
def squad(
    out: Annotated[Path, typer.Option(help="Where squad.md and squad_items.csv go")] = REPORTS,
    keep: KeepOption = EVAL_INDEXES,
    torch_threads: ThreadsOption = 1,
) -> None:
    """SQuAD 2.0 part a: four articles ingested with `ethos ingest`, questions of the other four refused."""
    from evals.answers_report import run

    _threads(torch_threads)
    _print("SQuAD 2.0 part a (test half is the headline)", run(out, keep, ("squad",), log=_log, name_="squad"))
    console.print(f"Report: {out / 'squad.md'}")


@eval_app.command()
def scifact(
    data: Annotated[Path, typer.Option(help="BEIR SciFact folder")] = SHARED / "bench" / "scifact",
    split: Annotated[str, typer.Option(help="Split to report: test | train (fusion is tuned on train)")] = "test",
    out: Annotated[Path, typer.Option(help="Where scifact.md goes")] = REPORTS,
    data_dir: Annotated[Path, typer.Option(help="Embedding cache and indexes go in <data-dir>/scifact")] = ROOT / "data",
    model: Annotated[str, typer.Option(help="minilm | mpnet | a model directory")] = "minilm",
    variant: Annotated[str, typer.Option(help="whole | chunked | both")] = "both",
    torch_threads: Annotated[int, typer.Option(help=THREADS_HELP)] = 0,
) -> None:
    """nDCG@10 on BEIR SciFact through Ethos's own retrieval, beside published baselines."""
    from evals.scifact import run

    _threads(torch_threads)
    if not (data / "corpus.jsonl").exists():
        console.print(f"[red]No SciFact data at {data}[/red]")
        raise typer.Exit(2)
    if split not in ("test", "train"):
        raise typer.BadParameter("--split must be test or train")
    variants = ("whole", "chunked") if variant == "both" else (variant,)
    rows = run(data, split, out, data_dir, model=model, variants=variants, log=_log)
    _print(f"SciFact {split} nDCG@10", rows)
    console.print(f"Report: {out / 'scifact.md'}")


@eval_app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def scale(
    ctx: typer.Context,
    sizes: Annotated[str, typer.Option(help="Comma-separated chunk counts")] = "10000,100000,1000000",
    real_max: Annotated[int, typer.Option(help="Largest size embedded with the real MiniLM")] = 10_000,
    keep: Annotated[Path | None, typer.Option(help="Keep indexes here and reuse them (re-time queries only)")] = None,
    out: Annotated[Path, typer.Option(help="Where scale.md and scale_latency.png go")] = REPORTS,
) -> None:
    """Latency, memory and build cost against index size on a synthetic trust corpus.

    Any further `python -m evals.scale` option passes through (see `--help` there), e.g.
    `--server-max 100000 --budget-s 3600 --append`.
    """
    from evals.scale import main as scale_main

    argv = ["--sizes", *sizes.split(","), "--real-max", str(real_max), "--out", str(out), *ctx.args]
    if keep is not None:
        argv += ["--keep", str(keep)]
    scale_main(argv)


@eval_app.command()
def ingest(
    out: Annotated[Path | None, typer.Option(help="Write the table here (ingest.md is written around it by hand)")] = None,
    before: Annotated[str | None, typer.Option(help="A git revision to measure beside this checkout")] = None,
    repeats: Annotated[int, typer.Option(help="Runs of each mode, in ABBA order")] = 1,
) -> None:
    """Ingest throughput beside the bare embedder (demo corpus + the real PDFs), each run its own process."""
    from evals.bench_ingest import run

    console.print(run(out, before, repeats))


@eval_app.command()
def commitments(
    out: Annotated[Path, typer.Option(help="Where commitments.md goes")] = REPORTS / "commitments.md",
) -> None:
    """Commitment extraction against the hand labels (precision, recall, time frames)."""
    from evals.commitments_eval import main as commitments_main

    commitments_main(out)
