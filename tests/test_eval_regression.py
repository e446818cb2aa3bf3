"""The demo golden set, both halves, through the real session index: a change that breaks retrieval,
answering, citing or refusing fails CI rather than the next full `ethos eval answers`.

Every demo item (the original set and the fresh held-out items) is asked as staff; the session
corpus adds a governors-only paper, which staff never see. Thresholds sit just under the figures
measured when this slice was last set (see FIGURES), per half, so one item may slip but a real
regression cannot. The full reports (real PDFs, SQuAD) are `ethos eval answers`.
"""

from __future__ import annotations

import pytest

from assistant.access import audiences_for
from assistant.models import Principal
from evals import metrics
from evals.cases import Outcome, answer, golden_cases, prepare, summary

# measured on this slice (staff, demo corpus + governors paper) when the thresholds were set
FIGURES = {
    "test": {"containment": 0.550, "hit@5": 0.94, "refusal R": 0.688, "false refusal": 0.08},  # school-terms vocabulary
    "tune": {"containment": 0.560, "hit@5": 0.985, "refusal R": 0.739, "false refusal": 0.015},  # units read in context
}
SLACK = 0.05


@pytest.fixture(scope="module")
def outcomes(assistant) -> dict[str, list[tuple[Outcome, float]]]:
    settings = assistant.settings
    staff = Principal(role="staff", audiences=audiences_for("staff", settings), name="eval")
    out: dict[str, list[tuple[Outcome, float]]] = {"test": [], "tune": []}
    for case in golden_cases("demo"):
        prepared = prepare(assistant, staff, case)
        pages = [(e.chunk.doc_id, e.chunk.page) for e in prepared.result.evidence[:5]]
        hit = float(any(p in case.gold_pages for p in pages)) if case.gold_pages else float("nan")
        out[case.half].append((answer(assistant, prepared), hit))
    return out


def figures(rows: list[tuple[Outcome, float]]) -> dict[str, float]:
    s = summary(o for o, _ in rows)
    s["hit@5"] = metrics.mean(h for _, h in rows)
    return s


@pytest.mark.parametrize("half", ["test", "tune"])
def test_both_halves_hold_their_figures(outcomes, half: str) -> None:
    got = figures(outcomes[half])
    print(half, {k: round(v, 3) for k, v in got.items()})
    want = FIGURES[half]
    if want["containment"] is None:
        pytest.fail(f"set FIGURES[{half!r}] from: {got}")
    assert got["containment"] >= want["containment"] - SLACK
    assert got["hit@5"] >= want["hit@5"] - SLACK
    assert got["refusal R"] >= want["refusal R"] - 0.15  # few unanswerable items: one is 0.125
    assert got["false refusal"] <= want["false refusal"] + SLACK


def test_every_citation_is_verbatim_and_no_governors_paper_reaches_staff(outcomes, assistant) -> None:
    admin = Principal(role="admin", audiences=audiences_for("admin", assistant.settings))
    for rows in outcomes.values():
        for o, _ in rows:
            assert o.answer.citations, f"{o.case.id}: no citations"
            for c in o.answer.citations:
                page = assistant.kb.page(c.doc_id, c.page, admin)
                assert page is not None and page.text[c.start:c.end] == c.quote, o.case.id
                assert c.doc_id != "demo/governors-confidential.md"


def test_answers_stay_short(outcomes) -> None:
    answered = [o for rows in outcomes.values() for o, _ in rows if not o.refused]
    assert metrics.percentile([o.words for o in answered], 50) <= 90


def test_the_test_half_wrapped_in_chat_holds_the_plain_figures(outcomes, assistant) -> None:
    """`ethos eval phrasing` in little, on the test half with its held-out frames: chat frames keep the
    plain figures (`assistant.phrasing`), a dropped letter costs at most a tenth (`assistant.spelling`;
    0.363 against 0.567 without it)."""
    from dataclasses import replace

    from evals.phrasing import DROPPED, TEST_FRAMES, UNPUNCTUATED, framed

    staff = Principal(role="staff", audiences=audiences_for("staff", assistant.settings), name="eval")
    plain = figures([(o, h) for o, h in outcomes["test"] if not o.case.history])  # a follow-up is not a first message
    chosen = {"Hey, sorry to bother you, ": 0.03, " Many thanks in advance.": 0.03, UNPUNCTUATED: 0.03, DROPPED: 0.10}
    frames = [(f, chosen[f[0] or f[1]]) for f in TEST_FRAMES if (f[0] or f[1]) in chosen]
    assert len(frames) == len(chosen)
    for frame, slack in frames:
        wrapped = [(answer(assistant, prepare(assistant, staff, replace(o.case, question=framed(o.case.question, frame)))),
                    h) for o, h in outcomes["test"] if not o.case.history]
        got = figures(wrapped)
        assert got["containment"] >= plain["containment"] - slack, (frame, got)
        assert got["false refusal"] <= plain["false refusal"] + slack, (frame, got)
