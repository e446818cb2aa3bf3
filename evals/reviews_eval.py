"""Review-register and minutes extraction against hand labels on the real PDFs in ../shared.

The eight PDFs of one primary school (../shared/realdocs/decoy-primary) are read with the
real loaders; `ingest.reviews.extract_review` is compared field by field with
evals/sets/reviews_realdocs.jsonl and `ingest.minutes.extract_minutes` with
evals/sets/commitments_minutes.jsonl. The PDFs are never copied into the project; without
the folder both evaluations are skipped.

Per field: a true positive is a predicted value equal to the label (dates as normalised,
reviewer names compared without case, spaces or hyphens); a predicted value that differs
from the label, or is given where the label is empty, is a false positive; a labelled value
not predicted exactly is a false negative.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evals.commitments_eval import Result, match
from ingest.loaders import load_document
from ingest.minutes import extract_minutes
from ingest.models import DocumentMeta
from ingest.tracker import document_review

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs" / "decoy-primary"
REVIEW_GOLD = ROOT / "evals" / "sets" / "reviews_realdocs.jsonl"
MINUTES_GOLD = ROOT / "evals" / "sets" / "commitments_minutes.jsonl"
FIELDS = ("last_reviewed", "next_review", "cycle_months", "reviewer")


def _load(path: Path):
    return load_document(path, DocumentMeta(doc_id=f"realdocs/{path.name}", title=path.stem, source_path=str(path),
                                            doc_type="minutes" if "minutes" in path.name else "policy"))


def _norm(value) -> str:
    return re.sub(r"[\s-]+", "", str(value).lower()) if value is not None else ""


def review_scores(root: Path = REALDOCS) -> dict[str, dict[str, int]]:
    gold = [json.loads(line) for line in REVIEW_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores = {f: {"tp": 0, "fp": 0, "fn": 0} for f in FIELDS}
    for g in gold:
        info = document_review(_load(root / g["file"]))
        for f in FIELDS:
            pred, want = getattr(info, f), g[f]
            ok = pred is not None and want is not None and _norm(pred) == _norm(want)
            scores[f]["tp"] += ok
            scores[f]["fp"] += pred is not None and not ok
            scores[f]["fn"] += want is not None and not ok
    return scores


def reviews_report(root: Path = REALDOCS) -> str | None:
    if not root.is_dir():
        return None
    lines = ["## Review register on the 8 real PDFs (labels: evals/sets/reviews_realdocs.jsonl)", "",
             "| field | TP | FP | FN | precision | recall |", "|---|---|---|---|---|---|"]
    for f, s in review_scores(root).items():
        p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        r = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
        lines.append(f"| {f} | {s['tp']} | {s['fp']} | {s['fn']} | {p:.3f} | {r:.3f} |")
    return "\n".join(lines) + "\n"


def minutes_result(root: Path = REALDOCS) -> Result | None:
    if not root.is_dir():
        return None
    gold = [json.loads(line) for line in MINUTES_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    pred: list[dict] = []
    for name in sorted({g["file"] for g in gold}):
        pred += extract_minutes(_load(root / name))
    for g in gold:
        g["doc_id"] = f"realdocs/{g['file']}"
    res = Result(pred, gold, match(pred, gold))
    return res
