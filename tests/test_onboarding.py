"""Onboarding path (manifest or proposed from headings), durable per-user progress, follow-up
suggestions from neighbouring sections, and the onboarding tab's handlers.

Uses the session's real Assistant over the demo corpus plus a governors-only paper
(tests/conftest.py).
"""

from __future__ import annotations

import copy
import re

import pytest

from assistant import onboarding
from assistant.models import Answer, Citation, Principal
from assistant.suggest import headings_of, neighbours, section_answer, suggest_followups
from tests.conftest import PRIVATE_DOC_ID

ILLUMINATE = "demo/illuminate-minds-school-improvement-strategy.txt"
ILLUMINATE_TITLE = "School Improvement Strategy: Excellence Every Day"
STAFF = Principal("staff", ("all", "staff"))
GOVERNOR = Principal("governor", ("all", "staff", "governors"))
ASK_ABOUT = re.compile(r"^What does (.+) say about (.+)\?$")


@pytest.fixture
def kb(assistant):
    return assistant.kb


@pytest.fixture
def kb_without_path(kb, demo_settings, tmp_path):
    """The same index, but its corpus manifest has no [[onboarding]] entries."""
    (tmp_path / "sources.toml").write_text('[corpus]\nname = "demo"\n', encoding="utf-8")
    other = copy.copy(kb)
    other.settings = demo_settings.model_copy(update={"corpus_dir": tmp_path})
    return other


def _cite(doc_id: str, title: str, section: str) -> Citation:
    return Citation(n=1, doc_id=doc_id, title=title, organisation="", section=section, page=1, quote="x",
                    start=0, end=1, chunk_id="", score=1.0)


def _real_headings(kb, doc_id, principal=GOVERNOR) -> set[str]:
    return {p[-1].lower() for p, _ in headings_of(kb, doc_id, principal)}


# -- the path ----------------------------------------------------------------------------------

def test_path_comes_from_the_manifest(kb):
    path = onboarding.onboarding_path(kb)
    assert [t.topic for t in path] == ["Our values", "Our mission and vision", "What every lesson looks like",
                                       "Our SEND approach", "Wellbeing"]
    assert path[0].question == "What are our values?"


def test_default_path_is_proposed_from_real_headings(kb_without_path):
    path = onboarding.onboarding_path(kb_without_path)
    assert 3 <= len(path) <= onboarding.MAX_DEFAULT_TOPICS
    assert [t.topic for t in path[:3]] == ["Our Values", "Our Vision", "Our Mission"]
    titles = {d.title: d.doc_id for d in kb_without_path.documents(GOVERNOR)}
    for topic in path:
        title, heading = ASK_ABOUT.match(topic.question).groups()
        assert heading.lower() in _real_headings(kb_without_path, titles[title], STAFF)
    assert "Project Kestrel" not in " ".join(t.question for t in path)  # governors-only headings stay out


def test_progress_is_per_user_and_durable(kb, tmp_path):
    for key in ("staff-key", "gov-key", None):
        onboarding.reset(kb, key)
    assert onboarding.next_topic(kb, "staff-key").topic == "Our values"
    onboarding.mark_done(kb, "staff-key", "Our values")
    onboarding.mark_done(kb, "staff-key", "Our values")  # idempotent
    assert onboarding.next_topic(kb, "staff-key").topic == "Our mission and vision"
    assert onboarding.progress(kb, "staff-key") == (1, 5)
    assert onboarding.next_topic(kb, "gov-key").topic == "Our values"  # another user
    assert onboarding.next_topic(kb, None).topic == "Our values"  # anonymous
    reopened = onboarding.ProgressStore(kb.settings.data_dir / onboarding.DB_NAME)  # as after a restart
    assert reopened.done(onboarding.user_id("staff-key")) == {"Our values"}
    db = (kb.settings.data_dir / onboarding.DB_NAME).read_bytes()
    assert b"staff-key" not in db  # keys are hashed, never stored
    for topic in onboarding.onboarding_path(kb):
        onboarding.mark_done(kb, "staff-key", topic.topic)
    assert onboarding.next_topic(kb, "staff-key") is None
    onboarding.reset(kb, "staff-key")
    assert onboarding.progress(kb, "staff-key") == (0, 5)


# -- suggestions -------------------------------------------------------------------------------

def test_suggestions_are_the_neighbouring_sections(kb):
    answer = Answer(answer="…", citations=[_cite(ILLUMINATE, ILLUMINATE_TITLE, "Our Improvement Model › PHASE 2: REPAIR")])
    suggestions = suggest_followups(answer, kb, STAFF)
    assert suggestions == [f"What does {ILLUMINATE_TITLE} say about Phase 3: Improve?",
                           f"What does {ILLUMINATE_TITLE} say about Phase 1: Stabilise?",
                           f"What does {ILLUMINATE_TITLE} say about Phase 4: Sustain?"]


def test_suggestions_for_a_real_answer_name_real_headings(assistant, kb):
    answer = assistant.ask("What does every lesson look like here?", STAFF)
    assert answer.citations and not answer.refused
    suggestions = suggest_followups(answer, kb, STAFF)
    assert 2 <= len(suggestions) <= 3
    cited = {c.section.split(" › ")[-1].lower() for c in answer.citations}
    by_title = {c.title: c.doc_id for c in answer.citations}
    for s in suggestions:
        title, heading = ASK_ABOUT.match(s).groups()
        assert title in by_title and heading.lower() in _real_headings(kb, by_title[title])
        assert heading.lower() not in cited


def test_suggestions_respect_the_audience(kb):
    answer = Answer(answer="…", citations=[_cite(PRIVATE_DOC_ID, "Project Kestrel", "Project Kestrel: Budget "
                                                  "Deficit Recovery Plan › Measures")])
    assert suggest_followups(answer, kb, STAFF) == []
    assert suggest_followups(answer, kb, GOVERNOR)  # "Purpose", "Oversight"


def test_section_answer_quotes_the_section(kb):
    dudley = "demo/dudley-trust-values-vision-mission.txt"
    answer = section_answer(kb, STAFF, dudley, ("Values, Vision & Mission", "Our Mission"))
    assert [c.quote for c in answer.citations] == [
        "Working together we will develop inspirational schools which instil ambition and desire in young learners, "
        "open their minds, widen their horizons and equip them to succeed in a challenging world."]
    for c in answer.citations:
        assert kb.page(c.doc_id, c.page, STAFF).text[c.start:c.end] == c.quote and c.chunk_id
    lilian = "demo/lilian-baylis-vision-and-strategy.txt"
    parts = section_answer(kb, STAFF, lilian, ("Vision & Mission - Lilian Baylis Technology School", "Vision & Mission",
                                               "STRATEGY"))
    assert [c.quote for c in parts.citations] == ["Aspiration", "Achievement", "Resilience", "Respect", "Responsibility"]
    kestrel = ("Project Kestrel: Budget Deficit Recovery Plan", "Measures")
    assert section_answer(kb, STAFF, PRIVATE_DOC_ID, kestrel) is None
    assert "Restructure the central team" in section_answer(kb, GOVERNOR, PRIVATE_DOC_ID, kestrel).answer


def test_neighbours_order():
    paths = [("A",), ("A", "x"), ("A", "y"), ("A", "y", "1"), ("A", "z"), ("B",)]
    assert neighbours(paths, ("A", "y")) == [("A", "z"), ("A", "y", "1"), ("A", "x"), ("B",)]
    assert neighbours(paths, ("A", "y", "pseudo")) == neighbours(paths, ("A", "y"))
    assert neighbours(paths, ()) == [("A",), ("B",)]


# -- the tab ----------------------------------------------------------------------------------

def test_onboarding_tab_walks_the_path(assistant, demo_settings):
    import gradio as gr

    from ui.onboarding_tab import build_onboarding_tab

    onboarding.reset(assistant.kb, "gov-key")
    with gr.Blocks():
        key = gr.Textbox()
        h = build_onboarding_tab(assistant, demo_settings, key)
    chat, state, status = h.start("gov-key", [], {})
    assert state["topic"] == "Our values" and "0 of 5" in status
    assert "Dreaming big" in chat[-1]["content"] and "ethos-ref-" in chat[-1]["content"]  # sources open the shared viewer
    chat, state, status = h.more("gov-key", chat, state)  # the next section, quoted from the section itself
    assert state["asked"][-1] == "What does Values, Vision and Mission say about Our Mission?"
    assert "Working together we will develop inspirational schools" in chat[-1]["content"]
    chat, state, status = h.more("gov-key", chat, state)
    assert state["asked"][-1] == "What does Values, Vision and Mission say about Our Vision?"
    chat, state, _, status = h.ask("What is our mission?", "gov-key", chat, state)
    assert "ethos-answered" in chat[-1]["content"] and "mission" in chat[-1]["content"].lower()
    assert state["asked"][-1] == "What is our mission?"
    chat, state, status = h.next("gov-key", chat, state)
    assert state["topic"] == "Our mission and vision" and "1 of 5" in status
    assert onboarding.next_topic(assistant.kb, "gov-key").topic == "Our mission and vision"  # remembered
    chat, state, status = h.reset("gov-key")
    assert chat == [] and "0 of 5" in status
    bad_chat, _, bad_status = h.start("no-such-key", [], {})
    assert "⚠" in bad_status and "ethos-error" in bad_chat[-1]["content"]
