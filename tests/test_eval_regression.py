"""A fast slice of the golden set through the real demo index, so a change that breaks
retrieval, answering, citing or refusing fails CI rather than the next full `ethos eval`.

Thirteen demo items: a list, a multi-document question, a follow-up, six facts and four
questions the corpus does not answer (one of them asks for a time of day, which the corpus
never gives: the answer-type check must refuse it). Thresholds sit just under the values measured when
the slice was chosen (hit@5 1.0, MRR 1.0, nDCG@10 0.72, containment 0.94, verbatim 1.0,
citations on a gold page 1.0, refusal recall 1.0, false refusals 0), so one item may slip
but a real regression cannot. (Demo documents are one page each, so hit@5 alone is easy;
nDCG@10 is what notices a shallower or worse-ordered candidate list.)
"""

from __future__ import annotations

import pytest

from assistant.models import Principal
from evals import metrics
from evals.golden import ItemResult, evaluate_items, load_items

IDS = [
    "demo-005", "demo-006", "demo-010", "demo-021", "demo-024", "demo-027", "demo-031", "demo-035",
    "demo-052",  # follow-up: "What does the last one say about safeguarding?"
    "demo-060", "demo-063", "demo-065", "demo-068",  # unanswerable; 068 asks "what time…?"
]
KEY = "hybrid/extractive"


@pytest.fixture(scope="module")
def results(assistant) -> list[ItemResult]:
    """Run as staff: the session corpus adds a governors-only paper that is not part of the demo set."""
    settings = assistant.settings
    staff = Principal(role="staff", audiences=tuple(settings.audiences_for("staff")), name="eval")
    items = [i for i in load_items("demo") if i.id in IDS]
    assert len(items) == len(IDS)
    kinds = {i.kind for i in items}
    assert {"list", "multi_doc", "follow_up", "unanswerable", "fact"} <= kinds
    return evaluate_items(assistant, staff, items, [("hybrid", "extractive")], calibrate=False)


def answerable(results: list[ItemResult]) -> list[ItemResult]:
    return [r for r in results if not r.item.unanswerable]


def test_hybrid_retrieval_finds_the_gold_page(results):
    scores = [r.retrieval["hybrid"] for r in answerable(results)]
    misses = [r.item.id for r in answerable(results) if not r.retrieval["hybrid"].hit5]
    assert metrics.mean(s.hit5 for s in scores) >= 0.88, f"gold page not in top 5 for {misses}"
    assert metrics.mean(s.rr for s in scores) >= 0.85
    assert metrics.mean(s.ndcg10 for s in scores) >= 0.65  # more of the gold page's chunks ranked high


def test_answers_contain_the_gold_phrases(results):
    per_item = {r.item.id: r.answers[KEY].containment for r in answerable(results)}
    assert metrics.mean(per_item.values()) >= 0.85, per_item


def test_every_citation_is_verbatim_and_answers_cite_gold_pages(results):
    for r in results:
        a = r.answers[KEY]
        assert a.citations > 0, f"{r.item.id}: no citations"
        assert a.verbatim == a.citations, f"{r.item.id}: a quote differs from page.text[start:end]"
    answered = [r.answers[KEY] for r in answerable(results) if not r.answers[KEY].refused]
    assert sum(a.on_gold for a in answered) / sum(a.citations for a in answered) >= 0.9


def test_refuses_what_the_corpus_does_not_cover_and_only_that(results):
    s = metrics.refusal_scores([r.item.unanswerable for r in results], [r.answers[KEY].refused for r in results])
    refused = [r.item.id for r in results if r.answers[KEY].refused]
    assert s["recall"] >= 0.66, f"refused only {refused}"
    assert s["false_refusal"] <= 0.12, f"refused answerable items: {refused}"
