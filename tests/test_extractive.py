"""Extractive answering and follow-up resolution on hand-made evidence, with the real embedder."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.extractive import answer_extractive
from assistant.followup import condense_without_llm
from assistant.models import Evidence, Turn
from ingest.embedding import encode, get_embedder
from ingest.models import Chunk, DocumentBuilder
from ingest.settings import Settings


@pytest.fixture(scope="module")
def encoder():
    embedder = get_embedder(Settings())
    return lambda texts: np.asarray(encode(embedder, texts))


def _evidence(builder_steps, section=("Plan",), dense: float = 0.7) -> tuple[Evidence, list]:
    b = DocumentBuilder()
    b.new_page(3)
    for kind, text in builder_steps:
        getattr(b, kind)(text)
    page = b.build()[0]
    chunk = Chunk("doc#1", "doc", page.text, 3, 0, len(page.text), section, "Our Plan", "Trust", "plan", "all", "x")
    spans = [(blk.kind, blk.start, blk.end) for blk in page.blocks]
    return Evidence(chunk, 1.0, dense=dense, keyword=2.0), spans


def test_list_question_gets_the_whole_list_with_a_verbatim_quote(encoder):
    ev, spans = _evidence([
        ("paragraph", "We chose our values together with our pupils."),
        ("paragraph", "Our five values are:"),
        ("list_item", "Kindness"), ("list_item", "Courage"), ("list_item", "Curiosity"),
        ("list_item", "Respect"), ("list_item", "Teamwork"),
    ])
    answer = answer_extractive("What are our five values?", [ev], encoder,
                               blocks=lambda e: spans)
    assert not answer.refused
    for value in ("Kindness", "Courage", "Curiosity", "Respect", "Teamwork"):
        assert f"- {value}" in answer.answer
    cite = answer.citations[0]
    assert ev.chunk.text[cite.start:cite.end] == cite.quote and cite.quote.startswith("Our five values are:")


def test_an_intro_sentence_brings_its_list(encoder):
    ev, spans = _evidence([
        ("paragraph", "To raise attainment we are committed to the following:"),
        ("list_item", "weekly reading with every pupil"),
        ("list_item", "feedback in every lesson"),
    ])
    answer = answer_extractive("How are we committed to raising attainment?", [ev], encoder,
                               blocks=lambda e: spans)
    assert "weekly reading with every pupil" in answer.answer and "feedback in every lesson" in answer.answer


def test_weak_evidence_is_refused_with_the_closest_passages(encoder):
    ev, spans = _evidence([("paragraph", "The trust will open a new primary hub in 2026.")], dense=0.2)
    answer = answer_extractive("How much does the school lunch cost?", [ev], encoder,
                               blocks=lambda e: spans)
    assert answer.refused and "won't guess" in answer.answer
    assert answer.citations and answer.citations[0].quote in ev.chunk.text


def test_follow_up_resolves_an_ordinal_against_the_previous_list():
    history = [
        Turn(role="user", content="What are the phases of the improvement model?"),
        Turn(role="assistant", content="The model has 4 parts:\n- PHASE 1: STABILISE [1]\n- PHASE 4: SUSTAIN [2]"),
    ]
    query = condense_without_llm("What does the last one say about safeguarding?", history)
    assert '"PHASE 4: SUSTAIN"' in query and "safeguarding" in query
    assert condense_without_llm("What is our mission?", history) == "What is our mission?"
    assert "phases" in condense_without_llm("And who leads it?", history)


def test_question_for_a_time_is_refused_when_the_passage_holds_no_time(encoder):
    """A topical near miss ("the school day…") is not an answer to "what time…?"."""
    ev, spans = _evidence([
        ("paragraph", "The school day is structured so that every lesson starts with retrieval practice."),
        ("paragraph", "Pupils arrive calm and ready to learn at the start of the school day."),
    ], dense=0.75)
    answer = answer_extractive("What time does the school day start?", [ev], encoder,
                               blocks=lambda e: spans)
    assert answer.refused and "don't give a time of day" in answer.answer
    assert answer.citations  # the near misses are still shown


def test_question_for_a_sum_leads_with_the_passage_that_holds_it(encoder):
    ev, spans = _evidence([
        ("paragraph", "Breakfast club gives pupils a calm start and a healthy breakfast every morning."),
        ("paragraph", "Places are booked through the school office."),
        ("list_item", "Breakfast club session £3.50"),
    ], dense=0.75)
    answer = answer_extractive("How much does breakfast club cost?", [ev], encoder,
                               blocks=lambda e: spans)
    assert not answer.refused
    assert answer.sentences[0].text == "Breakfast club session £3.50"
    assert answer.citations[0].quote == "Breakfast club session £3.50"


def test_questions_without_a_known_answer_type_are_untouched(encoder):
    ev, spans = _evidence([("paragraph", "Our mission is that every child flourishes, whatever their starting point.")])
    answer = answer_extractive("What is our mission?", [ev], encoder, blocks=lambda e: spans)
    assert not answer.refused and "every child flourishes" in answer.answer


def test_a_line_whose_neighbour_answers_the_rest_of_the_question_is_the_better_anchor():
    """Neighbourhood overlap: "SEND … non-negotiable" is answered by two adjacent lines together;
    a line elsewhere sharing one word is not (nor is a long passage that mentions both far apart)."""
    from assistant.scoring import Focus, neighbourhood_overlap
    from assistant.units import Unit, terms
    from assistant.vocabulary import default_vocabulary

    send = next(g for g in default_vocabulary().groups if "SEND" in g.variants)
    focus = [Focus(terms("SEND"), send, 2.0, True, "SEND"), Focus(terms("non-negotiable"), None, 3.0, True)]
    units = [Unit(0, "item", "Non-negotiables are established and understood.", 0, 10),
             Unit(0, "item", "Safeguarding is effective.", 11, 20),
             Unit(1, "item", "Inclusive approaches are valued and recognised as a non-negotiable.", 0, 10),
             Unit(1, "item", "The special educational needs strategy is led effectively.", 11, 20),
             Unit(2, "item", "Staff training on SEND is planned.", 0, 10)]
    near = neighbourhood_overlap(focus, units, [terms(u.text) for u in units])
    assert near[2] == near[3] == 1.0  # the two lines together say both
    assert near[0] == 0.6 and near[4] == 0.4  # one word each; passages never bleed into each other
    assert near[1] == 0.6
