"""generative.md: generative beside extractive on the golden test half, from the run's JSON lines.

Everything in the report is computed from the per-answer rows `evals.generative_run` wrote, so
a partial run still reports what it answered and `--report-only` rewrites the report (e.g.
after the hand check of flags in generative_flags_sample.csv) without calling the model again.
The answer figures are `evals.cases.summary` — the same function the extractive reports use —
applied to outcomes rebuilt from the rows; only what summary does not have (verbatim quotes,
time to first piece, the model's own speed, flags, fallbacks) is added here.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.generative import LLM_FAILED, LLM_FAILED_PARTWAY, MODEL_DECLINED, NOT_SUPPORTED
from assistant.models import Answer
from evals import metrics
from evals.cases import Case, Outcome, golden_cases, summary
from evals.generative_flags import FLAGS_CSV, flag_scores
from evals.report import md_table

Log = Callable[[str], None]
COLS = ["n", "containment", "cite on gold page", "cite verbatim", "refusal P", "refusal R", "false refusal",
        "median words", "first piece p50 s", "first piece p95 s", "total p50 s", "total p95 s"]
ITEM_COLS = ["set", "half", "id", "mode", "answer_mode", "unanswerable", "refused", "containment", "citations",
             "on_gold", "verbatim", "sentences", "flagged", "first_s", "total_s", "model_first_s", "prompt_tokens",
             "written_tokens", "question"]


def load_rows(items: Path) -> list[dict[str, Any]]:
    if not items.exists():
        return []
    return [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=4)
def _cases(set_name: str) -> dict[str, Case]:
    return {c.id: c for c in golden_cases(set_name)}


def outcome(row: dict[str, Any]) -> Outcome:
    """The row as the `Outcome` `evals.cases.judge` made of it (scores as recorded, not recomputed)."""
    case = _cases(row["set"])[row["id"]]
    return Outcome(case, Answer(answer=row["answer"], refused=row["refused"]), row["containment"], row["refused"],
                   row["words"], row["total_ms"], row["on_gold"], row["citations"])


def figures(rows: list[dict[str, Any]]) -> dict[str, float]:
    """One table row: summary's answer figures plus verbatim quotes and streaming times."""
    s = summary(outcome(r) for r in rows)
    cites = sum(r["citations"] for r in rows)
    firsts, totals = [r["first_ms"] / 1000 for r in rows], [r["total_ms"] / 1000 for r in rows]
    s.update({
        "cite verbatim": sum(r["verbatim"] for r in rows) / cites if cites else math.nan,
        "first piece p50 s": metrics.percentile(firsts, 50), "first piece p95 s": metrics.percentile(firsts, 95),
        "total p50 s": metrics.percentile(totals, 50), "total p95 s": metrics.percentile(totals, 95),
    })
    return s


def _flagged(row: dict[str, Any]) -> int:
    return sum(not s["supported"] for s in row["sentences"])


def outcome_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """What happened to the generative answers: refused first, model asked, kept, replaced."""
    gen = [r for r in rows if r["mode"] == "generative"]
    called = [r for r in gen if r["llm_called"]]
    kept = [r for r in called if r["answer_mode"] == "generative" and not r["refused"]]
    extractive = {(r["set"], r["id"]): r["refused"] for r in rows if r["mode"] == "extractive"}
    return {
        "generative answers": len(gen),
        "refused by the evidence check (model not asked)": sum(r["refused"] and not r["llm_called"] for r in gen),
        "model asked": len(called),
        "model's answer kept": len(kept),
        "model refused (recognised)": sum(r["refused"] for r in called),
        "… of them answerable, and answered by extractive": sum(
            r["refused"] and not r["unanswerable"] and not extractive.get((r["set"], r["id"]), True) for r in called),
        "replaced: nothing supported": sum(r["answer"].startswith(NOT_SUPPORTED) for r in called),
        "replaced: model declined an answerable question": sum(r["answer"].startswith(MODEL_DECLINED) for r in called),
        "replaced: model failed": sum(r["answer"].startswith(LLM_FAILED) for r in called),
        "cut short: model failed partway": sum(LLM_FAILED_PARTWAY in r["answer"] for r in called),
        "sentences in kept answers": sum(len(r["sentences"]) for r in kept),
        "flagged unsupported in kept answers": sum(_flagged(r) for r in kept),
        "kept answers with a flag": sum(_flagged(r) > 0 for r in kept),
        "model asked, first piece only with the final answer": sum(r["total_ms"] - r["first_ms"] < 1.0 for r in called),
    }


def speed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The model's own reading and writing speed, from its first and last token of each reply."""
    calls = [r["model"] for r in rows if r["mode"] == "generative" and r["model"] and r["model"]["first_s"]]
    read = [m["prompt_tokens"] / m["first_s"] for m in calls]
    write = [(m["deltas"] - 1) / (m["last_s"] - m["first_s"]) for m in calls if m["deltas"] > 1 and m["last_s"] > m["first_s"]]
    return {
        "replies": len(calls),
        "prompt tokens p50": metrics.percentile([m["prompt_tokens"] for m in calls], 50),
        "prompt tokens counted": ("exact" if all(m["prompt_exact"] for m in calls) else "estimated") if calls else "—",
        "read tok/s p50": metrics.percentile(read, 50), "read tok/s min": min(read, default=math.nan),
        "read tok/s max": max(read, default=math.nan),
        "write tok/s p50": metrics.percentile(write, 50), "write tok/s min": min(write, default=math.nan),
        "write tok/s max": max(write, default=math.nan),
        "written tokens p50": metrics.percentile([m["deltas"] for m in calls], 50),
        "model first token p50 s": metrics.percentile([m["first_s"] for m in calls], 50),
        "model first token p95 s": metrics.percentile([m["first_s"] for m in calls], 95),
    }


def table(rows: list[dict[str, Any]]) -> list[list[object]]:
    """Header + one row per (set, half, mode), test half first, extractive then generative."""
    out: list[list[object]] = [["set", "half", "mode"] + COLS]
    for set_name in dict.fromkeys(r["set"] for r in rows):
        for half in ("test", "tune"):
            for mode in ("extractive", "generative"):
                picked = [r for r in rows if r["set"] == set_name and r["half"] == half and r["mode"] == mode]
                if picked:
                    f = figures(picked)
                    out.append([set_name, half, mode] + [f[c] for c in COLS])
    return out


def paired(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only cases answered in both modes, so the columns compare the same questions."""
    modes: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        modes.setdefault((r["set"], r["id"]), set()).add(r["mode"])
    return [r for r in rows if len(modes[(r["set"], r["id"])]) == 2]


def write_items_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Per-answer results without the prompts (which quote the documents)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ITEM_COLS)
        for r in rows:
            m = r["model"] or {}
            w.writerow([r["set"], r["half"], r["id"], r["mode"], r["answer_mode"], int(r["unanswerable"]),
                        int(r["refused"]), f"{r['containment']:.3f}", r["citations"], r["on_gold"], r["verbatim"],
                        len(r["sentences"]), _flagged(r), f"{r['first_ms'] / 1000:.2f}", f"{r['total_ms'] / 1000:.2f}",
                        f"{m['first_s']:.2f}" if m.get("first_s") is not None else "", m.get("prompt_tokens", ""),
                        m.get("deltas", ""), r["question"]])


def write_report(items: Path, out: Path, command: str, machine: str = "") -> Path:
    rows = paired(load_rows(items))
    out.mkdir(parents=True, exist_ok=True)
    write_items_csv(rows, out / "generative_items.csv")
    counts, sp, flags = outcome_counts(rows), speed(rows), flag_scores(out / FLAGS_CSV.name, rows)
    model = next((r.get("llm") for r in rows if r.get("llm")), "the configured LLM")
    parts = [
        "# Generative answers beside extractive (golden sets, real model)",
        f"Generated by `{command}`. Every case is answered extractively and generatively in the same run, "
        f"on the same index and evidence (`evals/generative_run.py`); the model: {model}. Scores as in "
        "`answers.md`: **containment** = share of a case's gold phrases in the answer text and its quotes (a "
        "refused answerable case scores 0); **cite on gold page** = citations of answered cases on a gold page; "
        "**cite verbatim** = citations whose quote is exactly the source page's text at its offsets; refusal: "
        "positive = refused, truth = the corpus does not answer. **first piece** = time to the first streamed "
        "text a client receives; **total** = to the final answer (both include retrieval and, for follow-ups, "
        "the rewrite). Only cases answered in both modes are counted.",
        md_table(*_split(table(rows))),
        "## What happened to the generative answers",
        md_table(["", "count"], [[k, v] for k, v in counts.items()]),
        "## The model's own speed",
        "From the LLM wrapper's clock: **read** = prompt tokens / time to the model's first token; **write** = "
        "tokens after the first / time from first to last token. Prompt tokens are counted with the model's own "
        "tokenizer when it runs in process, else estimated (3 characters a token).",
        md_table(["", "value"], [[k, v] for k, v in sp.items()], digits=1),
        "## Flags (unsupported sentences), hand-checked",
        flags["text"],
        "## Caveats",
        f"Measured on {machine or _machine()}. The machine was shared with other jobs (run under `nice -n 19`), so "
        "times are an upper bound for this hardware and vary between answers with the load; they are not "
        "comparable with runs on an idle machine. Per-answer rows: `generative_items.csv` (the JSON lines with "
        "prompts and raw replies stay in `data/`, since prompts quote the documents).",
    ]
    path = out / "generative.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def _split(rows: list[list[object]]) -> tuple[list[object], list[list[object]]]:
    return rows[0], rows[1:]


def _machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return (f"{platform.machine()} Linux, {os.cpu_count()} cores, load average at report time "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


def main(sets: list[str], half: str, limit: int | None, items: Path, keep: Path, out: Path, llm: dict[str, Any],
         resume: bool = False, budget_s: float | None = None, ids: list[str] | None = None,
         report_only: bool = False, log: Log = print, command: str | None = None) -> Path:
    """Run (unless `report_only`), then write generative.md from everything in `items`."""
    import sys

    if not report_only:
        from evals.generative_run import evaluate

        evaluate(sets, half, limit, items, keep, {k: v for k, v in llm.items() if v}, resume=resume,
                 budget_s=budget_s, ids=ids, log=log)
    return write_report(items, out, command or "ethos eval golden " + " ".join(sys.argv[3:]))
