"""Metric functions of the evaluations, kept pure (lists and strings in, floats out).

Pure so that each can be unit-tested against hand-computed values (tests/test_metrics.py)
and shared by the golden-set eval, the SciFact benchmark and the CI regression test:
a number in a report is only worth something if the formula behind it was checked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence


def norm(text: str) -> str:
    """The golden sets' whitespace rule (evals/sets/README.md): collapse every run of whitespace."""
    return " ".join(text.split())


_EMPHASIS = re.compile(r"\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")


def as_read(markdown: str) -> str:
    """Answer Markdown as the reader sees it: bold and italic markers are not text.

    A gold phrase that runs from a marked (bold) sentence into its unmarked neighbour is on the
    screen as one run of words; scoring the raw Markdown would count it missing.
    """
    return _EMPHASIS.sub("", markdown)


def contains(haystack: str, needle: str) -> bool:
    """Whitespace-normalised, case-insensitive containment, as the golden sets are scored."""
    return norm(needle).lower() in norm(haystack).lower()


def phrase_containment(phrases: Sequence[str], text: str) -> float:
    """Fraction of gold phrases found in `text`; each phrase scored on its own (list recall)."""
    if not phrases:
        return 0.0
    hay = norm(text).lower()
    return sum(norm(p).lower() in hay for p in phrases) / len(phrases)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first k ranked results is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1/rank of the first relevant result, 0.0 when none is (MRR is its mean)."""
    for rank, rel in enumerate(relevant, start=1):
        if rel:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain with the log2(rank + 1) discount (BEIR / trec_eval form)."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))


def ndcg_at_k(gains: Sequence[float], ideal_gains: Iterable[float], k: int = 10) -> float:
    """DCG of the ranking over DCG of the best possible ranking of the judged-relevant items.

    `ideal_gains` are the gains of every relevant item in the collection (not only the retrieved
    ones), so a ranking that misses relevant items is penalised; 0.0 when nothing is relevant.
    """
    ideal = dcg(sorted(ideal_gains, reverse=True), k)
    return dcg(gains, k) / ideal if ideal > 0 else 0.0


def ndcg_docs(ranked_doc_ids: Sequence[str], qrels: dict[str, float], k: int = 10) -> float:
    """nDCG@k of a ranked list of document ids against graded qrels (duplicates count once)."""
    seen: set[str] = set()
    gains = []
    for doc_id in ranked_doc_ids:
        if doc_id in seen:
            continue
        seen.add(doc_id)
        gains.append(float(qrels.get(doc_id, 0.0)))
    return ndcg_at_k(gains, [g for g in qrels.values() if g > 0], k)


def unique_in_order(items: Iterable[str]) -> list[str]:
    """First occurrence of each item: chunk rankings → document rankings (max-score per doc)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def refusal_scores(unanswerable: Sequence[bool], refused: Sequence[bool]) -> dict[str, float]:
    """Refusal as a classifier whose positive class is "the set's corpus does not answer this".

    precision = correct refusals / refusals; recall = correct refusals / unanswerable items;
    false_refusal = answerable items refused / answerable items. Undefined ratios are NaN.
    """
    tp = sum(u and r for u, r in zip(unanswerable, refused))
    fp = sum((not u) and r for u, r in zip(unanswerable, refused))
    pos = sum(unanswerable)
    neg = len(unanswerable) - pos
    nan = float("nan")
    return {
        "precision": tp / (tp + fp) if tp + fp else nan,
        "recall": tp / pos if pos else nan,
        "false_refusal": fp / neg if neg else nan,
        "refused": float(tp + fp),
        "unanswerable": float(pos),
    }


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default), p in [0, 100]; NaN for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float]) -> float:
    """Mean ignoring NaN (a metric undefined for an item does not drag the average); NaN if empty."""
    xs = [v for v in values if not math.isnan(v)]
    return sum(xs) / len(xs) if xs else float("nan")
