"""A retrieved section tail brings the rest of its section (assistant/neighbours.py), on the real
demo index: PHASE 3 of the improvement model is cut into a 164-word chunk and a 34-word tail."""

from __future__ import annotations

from assistant.access import audiences_for
from assistant.models import Principal

QUESTION = "What's our SEND non-negotiable?"
ANSWER_LINE = "Inclusive approaches are valued and recognised as a non-negotiable."


def staff(settings) -> Principal:
    return Principal("staff", audiences_for("staff", settings), name="test")


def test_a_short_tail_brings_the_chunk_before_it_in_its_section(assistant, monkeypatch) -> None:
    result = assistant.retriever.retrieve(QUESTION, staff(assistant.settings))
    texts = [e.chunk.text for e in result.evidence]
    tail = next(e for e in result.evidence if e.chunk.text.startswith("Non-negotiables are established"))
    assert len(tail.chunk.text.split()) <= assistant.settings.tail_words
    body = [e for e in result.evidence if ANSWER_LINE in e.chunk.text]
    assert body and body[0].chunk.section_path == tail.chunk.section_path  # the same section, nothing else
    added = result.evidence[assistant.settings.top_k:]
    assert all(any(e.chunk.section_path == r.chunk.section_path and e.chunk.doc_id == r.chunk.doc_id
                   for r in result.evidence[:assistant.settings.top_k]) for e in added)
    assert len(set(texts)) == len(texts)  # no chunk twice

    monkeypatch.setattr(assistant.settings, "tail_words", 0)
    # switched off: the answer-bearing chunk is not among the passages (26th in the ranking)
    plain = assistant.retriever.retrieve(QUESTION, staff(assistant.settings))
    assert not any(ANSWER_LINE in e.chunk.text for e in plain.evidence)


def test_the_send_non_negotiable_is_answered_from_its_line(assistant) -> None:
    answer = assistant.ask(QUESTION, staff(assistant.settings), mode="extractive")
    assert not answer.refused
    assert ANSWER_LINE in answer.answer
    for c in answer.citations:  # verbatim, as every quote
        page = assistant.kb.page(c.doc_id, c.page, Principal("admin", audiences_for("admin", assistant.settings)))
        assert page.text[c.start:c.end] == c.quote
