"""Should Ethos refuse? Signals that carry over to documents it has never seen.

The old rule compared one evidence-strength score with a threshold calibrated on the demo corpus;
on other schools' policies answerable and unanswerable questions had the same strengths, because
the score's level depends on the corpus. These signals do not:

- `missing_corpus`: how much of the question (IDF-weighted focus terms) no document mentions at all
  ("where is the defibrillator?" — no document says defibrillator);
- `missing_evidence`: how much of it, though somewhere in the corpus, none of the retrieved
  passages mentions;
- `uncovered`: the best passage's share of the question left unmentioned;
- `uncovered_near`: the same for the best few lines (a unit and its neighbours): a long passage
  mentions every word of a question somewhere, an answer mentions them together;
- `type_missing`: the question asks for a time, a sum, a grade, a date or a count and no
  retrieved unit holds one;
- `best_cos`, `top_dense`: how close the best sentence and the best passage are in meaning;
- `best_unit`: the unit model's log-odds that the best unit holds the answer.

They are combined by a logistic model fitted on the tune halves of several corpora (demo, real
school PDFs, SQuAD) by `evals/fit_answering.py`. When it refuses, the answer says what was missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.answer_types import expected_type
from assistant.models import Evidence
from assistant.scoring import AnswerParams, Scored, weighted_overlap

FEATURES = ("missing_corpus", "missing_evidence", "uncovered", "uncovered_near", "type_missing", "best_cos", "top_dense",
            "best_unit")
#: +1: a larger value can only push towards refusing; -1: only away from it (the fit keeps these signs).
DIRECTION = {"missing_corpus": 1, "missing_evidence": 1, "uncovered": 1, "uncovered_near": 1, "type_missing": 1,
             "best_cos": -1, "top_dense": -1, "best_unit": -1}
#: Used only when no fitted file exists (a fresh checkout always has one: assistant/data/answering.json).
FALLBACK = {"bias": -1.0, "missing_corpus": 6.0, "missing_evidence": 3.0, "uncovered": 2.0,
            "type_missing": 4.0, "best_cos": -6.0, "top_dense": -2.0, "best_unit": -0.5}


@dataclass
class Decision:
    refuse: bool
    probability: float
    features: dict[str, float]
    missing: str | None = None  # what the user is told was missing


def features(question: str, evidence: list[Evidence], scored: Scored) -> dict[str, float]:
    focus = scored.focus
    total = sum(f.idf for f in focus) or 1.0
    texts = [f"{e.chunk.title} {e.chunk.section} {e.chunk.text}" for e in evidence]
    absent_corpus = [f for f in focus if not f.in_corpus]
    absent_evidence = [f for f in focus if f.in_corpus and not any(weighted_overlap([f], t) for t in texts)]
    wanted = scored.answer_type or expected_type(question)
    return {
        "missing_corpus": sum(f.idf for f in absent_corpus) / total,
        "missing_evidence": sum(f.idf for f in absent_evidence) / total,
        "uncovered": 1.0 - max(scored.coverage, default=0.0),
        "uncovered_near": 1.0 - max(scored.context, default=0.0),
        "type_missing": float(wanted is not None and not scored.typed),
        "best_cos": max(scored.cosines, default=0.0),
        "top_dense": max((e.dense or 0.0 for e in evidence), default=0.0),
        "best_unit": max(min(scored.best_rank, 10.0), -10.0),
    }


def probability(x: dict[str, float], weights: dict[str, float]) -> float:
    z = weights.get("bias", 0.0) + sum(weights.get(k, 0.0) * x[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def decide(question: str, evidence: list[Evidence], scored: Scored, params: AnswerParams) -> Decision:
    if not evidence or not scored.units:
        return Decision(True, 1.0, {}, None)
    x = features(question, evidence, scored)
    p = probability(x, params.refusal or FALLBACK)
    refuse = p >= params.refusal_threshold
    return Decision(refuse, p, x, describe_missing(evidence, scored) if refuse else None)


def describe_missing(evidence: list[Evidence], scored: Scored) -> str | None:
    """What to tell the user: the asked-for kind of fact, or the terms no document mentions."""
    if scored.answer_type is not None and not scored.typed:
        kind = scored.answer_type.name
        return f"don't give {'an' if kind[:1] in 'aeiou' else 'a'} {kind} for this"
    absent = sorted((f for f in scored.focus if not f.in_corpus), key=lambda f: -f.idf)
    if absent:
        return "mention " + _join([f"“{f.label}”" for f in absent[:3]])
    texts = [f"{e.chunk.title} {e.chunk.section} {e.chunk.text}" for e in evidence]
    unseen = sorted((f for f in scored.focus if not any(weighted_overlap([f], t) for t in texts)), key=lambda f: -f.idf)
    if unseen:
        return "closest passages don't mention " + _join([f"“{f.label}”" for f in unseen[:3]])
    return None


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
