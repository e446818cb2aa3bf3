"""Evaluation cases from every set, answered through the project's own code, scored as a user reads.

A `Case` is one question with what a correct answer must show: the golden sets' gold phrases
(containment = the share of them in the answer text and its quotes) or SQuAD's answer strings
(containment = any of them there). Retrieval runs once per case (`prepare`), so the fitting
script can try many composer parameters on the same evidence; `Assistant.answer_from` is the
same call the API makes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.extractive import answer_scored
from assistant.models import Answer, Principal, RetrievalResult, Turn
from assistant.scoring import AnswerParams
from assistant.service import Assistant
from evals import metrics


@dataclass
class Case:
    id: str
    set: str  # demo | realdocs | squad
    half: str  # tune | test
    question: str
    unanswerable: bool
    phrases: list[str]
    match: str = "all"  # "all": share of phrases shown; "any": 1 if any phrase is shown (SQuAD)
    tier: str = ""  # squad: answerable | outside | adversarial
    history: list[Turn] = field(default_factory=list)
    gold_pages: set[tuple[str, int]] = field(default_factory=set)


@dataclass
class Prepared:
    case: Case
    query: str
    result: RetrievalResult
    retrieve_ms: float


@dataclass
class Outcome:
    case: Case
    answer: Answer
    containment: float  # NaN for unanswerable cases
    refused: bool
    words: int
    ms: float
    on_gold: int = 0
    citations: int = 0


def prepare(assistant: Assistant, principal: Principal, case: Case) -> Prepared:
    started = time.perf_counter()
    query = assistant.condense(case.question, case.history, "extractive")
    result = assistant.retriever.retrieve(query, principal)
    return Prepared(case, result.query, result, (time.perf_counter() - started) * 1000)


def answer(assistant: Assistant, prepared: Prepared, params: AnswerParams | None = None) -> Outcome:
    """The extractive answer for prepared evidence (with `params`, or the fitted defaults)."""
    started = time.perf_counter()
    if params is None:
        ans = assistant.answer_from(prepared.query, prepared.case.question, prepared.result)
    else:
        scored = assistant.score(prepared.query, prepared.result, params)
        ans = answer_scored(prepared.query, prepared.result.evidence, scored, assistant.settings.answer_words,
                            outline=assistant.kb.outline, asked=prepared.case.question, params=params)
    ms = (time.perf_counter() - started) * 1000 + prepared.retrieve_ms
    return judge(prepared.case, ans, ms)


def judge(case: Case, ans: Answer, ms: float) -> Outcome:
    shown = metrics.as_read(ans.answer) + "\n" + "\n".join(c.quote for c in ans.citations)
    if case.unanswerable:
        containment = math.nan
    elif ans.refused:
        containment = 0.0
    elif case.match == "any":
        containment = float(any(metrics.contains(shown, p) for p in case.phrases))
    else:
        containment = metrics.phrase_containment(case.phrases, shown)
    on_gold = sum((c.doc_id, c.page) in case.gold_pages for c in ans.citations) if not ans.refused else 0
    return Outcome(case, ans, containment, ans.refused, len(metrics.norm(ans.answer).split()), ms,
                   on_gold, len(ans.citations))


def summary(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """The figures every report leads with: containment first, then refusal, length, latency."""
    rows = list(outcomes)
    answerable = [o for o in rows if not o.case.unanswerable]
    refusal = metrics.refusal_scores([o.case.unanswerable for o in rows], [o.refused for o in rows])
    answered = [o for o in answerable if not o.refused]
    cites = sum(o.citations for o in answered)
    with_pages = [o for o in answered if o.case.gold_pages]
    return {
        "n": len(rows),
        "answerable": len(answerable),
        "containment": metrics.mean(o.containment for o in answerable),
        "cite on gold page": (sum(o.on_gold for o in with_pages) / sum(o.citations for o in with_pages)
                              if with_pages and cites else math.nan),
        "refusal P": refusal["precision"], "refusal R": refusal["recall"], "false refusal": refusal["false_refusal"],
        "median words": metrics.percentile([o.words for o in answered], 50),
        "p50 ms": metrics.percentile([o.ms for o in rows], 50),
        "p95 ms": metrics.percentile([o.ms for o in rows], 95),
    }


def golden_cases(set_name: str) -> list[Case]:
    """The golden set `set_name` (plus its fresh held-out items, when present) as cases."""
    from evals.golden import SETS_DIR, load_items
    from evals.splits import golden_half

    items = load_items(set_name)
    for extra in ("fresh", "tune"):  # fresh held-out items (test), and extra tune items written later
        if (SETS_DIR / f"{set_name}_{extra}.jsonl").exists():
            items += load_items(f"{set_name}_{extra}")
    cases = []
    for it in items:
        docs = {g["doc_id"] for g in it.gold}
        cases.append(Case(it.id, set_name, golden_half(set_name, it.id, docs, it.unanswerable), it.question,
                          it.unanswerable, it.phrases, "all", "unanswerable" if it.unanswerable else "answerable",
                          it.turns, it.gold_pages))
    return cases
