"""Answer units are scored as read under their document's title and heading, not only alone.

A list item ("Meetings are kept to one hour.") does not say which plan or which phase it belongs
to, yet staff ask by those ("what does the wellbeing charter say about workload?"). Ingest stores
a second vector per unit, the unit read in context, and the composer mixes the two
(`AnswerParams.unit_context_mix`). Real embedder, real pipeline, real Chroma.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.models import Principal
from assistant.scoring import AnswerParams, default_params
from ingest.units import in_context
from tests.corpus import ingested_assistant

MANIFEST = """
[[documents]]
file = "charter.md"
title = "Staff Wellbeing Charter"
organisation = "Oakfield Primary School"
type = "policy"

[[documents]]
file = "sports.md"
title = "Sports Day Guide"
organisation = "Oakfield Primary School"
type = "guidance"
"""

CHARTER = """# Staff Wellbeing Charter

## Workload

- Meetings are kept to one hour.
- Marking is done in lessons wherever possible.
"""

SPORTS = """# Sports Day Guide

## Timetable

- Meetings are kept to one hour.
- Races start after lunch on the field.
"""

LINE = "Meetings are kept to one hour."


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory):
    return ingested_assistant(tmp_path_factory, "school",
                              {"sources.toml": MANIFEST, "charter.md": CHARTER, "sports.md": SPORTS})


def line_cosines(assistant, question: str, mix: float) -> dict[str, float]:
    """The cosine of the repeated line in each document, with `mix` of the in-context vector."""
    principal = Principal("staff", ("all", "staff"))
    result = assistant.retriever.retrieve(question, principal)
    scored = assistant.score(question, result, replace(default_params(), unit_context_mix=mix))
    out = {}
    for unit, cos in zip(scored.units, scored.cosines):
        if unit.text.strip() == LINE:
            out[result.evidence[unit.evidence].chunk.title] = cos
    assert set(out) == {"Staff Wellbeing Charter", "Sports Day Guide"}, out
    return out


def test_ingest_stores_a_vector_of_each_unit_read_in_context(school) -> None:
    result = school.retriever.retrieve("meetings", Principal("staff", ("all", "staff")))
    for ev in result.evidence:
        chunk = ev.chunk
        assert chunk.unit_context_vectors is not None
        assert chunk.unit_context_vectors.shape == chunk.unit_vectors.shape == (len(chunk.units), 384)
        assert not np.allclose(chunk.unit_context_vectors, chunk.unit_vectors)


def test_the_same_line_scores_higher_under_the_document_the_question_names(school) -> None:
    question = "What does the wellbeing charter say about workload?"
    alone = line_cosines(school, question, 0.0)
    assert alone["Staff Wellbeing Charter"] == pytest.approx(alone["Sports Day Guide"], abs=1e-6)
    read = line_cosines(school, question, 0.5)
    assert read["Staff Wellbeing Charter"] > read["Sports Day Guide"] + 0.03


def test_the_fitted_mix_reads_units_in_context() -> None:
    """The shipped parameters use the in-context vectors (fitted by evals/fit_answering.py)."""
    assert 0.0 < AnswerParams.load().unit_context_mix < 1.0


def test_a_chunk_stored_without_context_vectors_is_read_in_context_on_the_fly(school) -> None:
    """Chunks written before in-context vectors existed are encoded in context at question time."""
    from assistant.units import split_units, unit_vectors

    result = school.retriever.retrieve("meetings", Principal("staff", ("all", "staff")))
    evidence = result.evidence[:1]
    chunk = evidence[0].chunk
    stored = chunk.unit_context_vectors
    seen: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return stored[: len(texts)]

    chunk.unit_context_vectors = None
    try:
        units = split_units(evidence)
        unit_vectors(evidence, units, encode, 0.5)
    finally:
        chunk.unit_context_vectors = stored
    assert seen == [in_context(chunk.title, chunk.section_path, u.text) for u in units]
    assert seen[0].startswith(f"{chunk.title} › {chunk.section_path[-1]}: ")


def test_in_context_text_names_title_and_innermost_heading() -> None:
    assert in_context("Plan", ("Phase 2", "Repair"), " Clear roles. ") == "Plan › Repair: Clear roles."
    assert in_context("Plan", (), "Clear roles.") == "Plan: Clear roles."
