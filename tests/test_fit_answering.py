"""The composer fit's search rule: containment first, and at equal containment the shorter answer.

`answer` is replaced by a table from parameter values to (containment, words), so the rule is
tested on its own; the fit's real run is `python -m evals.fit_answering` (figures in the report).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evals import fit_answering


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch):
    outcomes = {  # whole_passage → (containment, words) of every answer
        0.0: (0.50, 70), 1.25: (0.60, 60), 1.5: (0.60, 80), 2.0: (0.55, 40),
    }

    def fake_answer(_assistant, prepared, params):
        got, words = outcomes[params.whole_passage]
        return SimpleNamespace(containment=got, words=words)

    monkeypatch.setattr(fit_answering, "answer", fake_answer)
    case = SimpleNamespace(unanswerable=False)
    return {"demo": [(None, SimpleNamespace(case=case))] * 3}


def test_the_fit_takes_higher_containment_and_breaks_ties_by_shorter_answers(table) -> None:
    grid = {"whole_passage": [0.0, 1.5, 1.25, 2.0]}  # 1.5 is met first; 1.25 ties it with fewer words
    params, best = fit_answering.fit_composer(table, {}, lambda *_: None, grid)
    assert best == pytest.approx(0.60)
    assert params.whole_passage == 1.25  # not 2.0: shorter, but it answers less
    assert fit_answering.scores(table, params) == (pytest.approx(0.60), 60)
