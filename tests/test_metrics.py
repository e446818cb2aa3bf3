"""The evaluation formulas against values worked out by hand, so report numbers can be trusted."""

from __future__ import annotations

import math

import pytest

from evals import metrics


def test_norm_collapses_every_kind_of_whitespace():
    assert metrics.norm("  a\u00a0 b\n\tc  ") == "a b c"


def test_phrase_containment_scores_each_phrase_on_its_own():
    text = "Our values:\n- Dreaming   big\n- Rewarding effort"
    assert metrics.phrase_containment(["dreaming big", "Rewarding effort", "Leading together"], text) == pytest.approx(2 / 3)
    assert metrics.phrase_containment(["Children s"], "Children s services") == 1.0
    assert metrics.phrase_containment([], "anything") == 0.0
    # curly apostrophes are kept: a straight one is a different character
    assert metrics.phrase_containment(["Trust’s"], "the Trust's reputation") == 0.0


def test_hit_and_reciprocal_rank():
    flags = [False, False, True, False, True]
    assert metrics.hit_at_k(flags, 1) == 0.0
    assert metrics.hit_at_k(flags, 2) == 0.0
    assert metrics.hit_at_k(flags, 3) == 1.0
    assert metrics.reciprocal_rank(flags) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank([False] * 4) == 0.0
    assert metrics.hit_at_k([], 5) == 0.0


def test_ndcg_by_hand():
    # relevant at ranks 1 and 3, three relevant items exist:
    # DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    # IDCG = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
    got = metrics.ndcg_at_k([1, 0, 1, 0], [1, 1, 1], k=10)
    assert got == pytest.approx(1.5 / (1 + 1 / math.log2(3) + 0.5), rel=1e-6)
    assert got == pytest.approx(0.70392, abs=1e-5)
    # a perfect ranking scores 1; nothing relevant scores 0; k cuts the ranking
    assert metrics.ndcg_at_k([1, 1, 0], [1, 1], k=10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([0, 0], [], k=10) == 0.0
    assert metrics.ndcg_at_k([0, 1], [1], k=1) == 0.0


def test_ndcg_docs_counts_a_document_once_and_uses_grades():
    # ranking a, a, b, c with qrels {b: 1, d: 1}: unique docs a, b, c → b at rank 2
    # DCG = 1/log2(3) = 0.63093; IDCG (two relevant) = 1 + 0.63093 → 0.38685
    got = metrics.ndcg_docs(["a", "a", "b", "c"], {"b": 1, "d": 1}, k=10)
    assert got == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)), rel=1e-6)
    assert got == pytest.approx(0.38685, abs=1e-5)
    assert metrics.ndcg_docs(["x"], {"x": 0.0}) == 0.0


def test_unique_in_order_keeps_first_occurrence():
    assert metrics.unique_in_order(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_refusal_scores_by_hand():
    unanswerable = [True, True, True, False, False, False, False]
    refused = [True, True, False, True, False, False, False]
    s = metrics.refusal_scores(unanswerable, refused)
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["recall"] == pytest.approx(2 / 3)
    assert s["false_refusal"] == pytest.approx(1 / 4)
    none = metrics.refusal_scores([False, False], [False, False])
    assert math.isnan(none["precision"]) and math.isnan(none["recall"]) and none["false_refusal"] == 0.0


def test_percentile_interpolates_like_numpy():
    xs = [10.0, 20.0, 30.0, 40.0]
    assert metrics.percentile(xs, 50) == pytest.approx(25.0)
    assert metrics.percentile(xs, 95) == pytest.approx(38.5)  # pos 2.85 → 30 + 0.85·10
    assert metrics.percentile([7.0], 95) == 7.0
    assert math.isnan(metrics.percentile([], 50))


def test_mean_ignores_nan():
    assert metrics.mean([1.0, float("nan"), 0.0]) == pytest.approx(0.5)
    assert math.isnan(metrics.mean([]))


def test_as_read_drops_emphasis_markers_but_keeps_text():
    md = "*Plan (Phase 2):* **Go-Live Launch** September 2024 [1]\n- **an item** and 2*3 = 6"
    read = metrics.as_read(md)
    assert read == "Plan (Phase 2): Go-Live Launch September 2024 [1]\n- an item and 2*3 = 6"
    # a gold phrase running from a bold sentence into its plain neighbour is read as one run
    assert metrics.contains(read, "Launch September 2024")
    assert not metrics.contains(md, "Launch September 2024")


def test_readme_examples_render_answer_and_sources_in_the_readme_format():
    from assistant.models import Answer, Citation
    from evals.readme_examples import render

    quote = "Our Values:\nDreaming big\n" + "x" * 120
    c = Citation(n=1, doc_id="demo/d.txt", title="Values", organisation="A Trust", section="Our Values", page=1,
                 quote=quote, start=0, end=len(quote), chunk_id="c", score=1.0)
    out = render("What are our values?", Answer(answer="Our Values: [1]\n- Dreaming big", citations=[c]))
    lines = out.splitlines()
    assert lines[:5] == ["**What are our values?**", "", "```text", "Our Values: [1]", "- Dreaming big"]
    assert lines[5] == "```"
    assert lines[6].startswith("- [1] Values — A Trust, Our Values, p. 1: “Our Values: / Dreaming big / xxx")
    assert lines[6].endswith("…”") and len(lines[6]) < 200
