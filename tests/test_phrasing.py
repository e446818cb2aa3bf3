"""A question wrapped in chat ("Hi, quick question: …", "… Thanks!") is answered like the plain question.

The frame's words are not things the documents must mention: before `assistant.phrasing`,
"quick", "question" and "thanks" counted as absent from every document, and a framed answerable
question was refused or answered from another passage. Real embedder, real Chroma.
"""

from __future__ import annotations

import pytest

from assistant.phrasing import core_question
from tests.corpus import ask_as_staff as ask, ingested_assistant

MANIFEST = """
[[documents]]
file = "attendance.md"
title = "Attendance Policy"
organisation = "Oakfield Primary School"
type = "policy"

[[documents]]
file = "staff.md"
title = "Staff Handbook"
organisation = "Oakfield Primary School"
type = "handbook"
"""

ATTENDANCE = """# Attendance Policy

## First day calling

The office rings home on the first morning of any unexplained absence, and the attendance officer
visits the family when a child has missed three days without a reason.

## Holidays in term time

The headteacher authorises leave in term time only in exceptional circumstances, and never for a
family holiday.

## Punctuality

Registers close at 9.05am; a child who arrives after that is marked late.
"""

STAFF = """# Staff Handbook

## Induction

Every new member of staff has a mentor for their first term and meets them each week.

## Dress

Staff dress smartly and wear their lanyard at all times on site.
"""

FRAMES = [
    "Hi, quick question: {q} Thanks!",
    "Hello! Sorry to bother you, {q}",
    "I'm new here, sorry if this is a silly question. {q} Many thanks in advance.",
    "Good morning, could you tell me {lq}",
    "{q} Cheers.",
    "{casual}",  # typed in a hurry: lower case, no apostrophes, no question mark
]


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory):
    return ingested_assistant(tmp_path_factory, "phrasing", {
        "sources.toml": MANIFEST, "attendance.md": ATTENDANCE, "staff.md": STAFF})


@pytest.mark.parametrize("question", [
    "What does the office do when a child is absent without a reason?",
    "Who does a new teacher meet with every week?",
    "Can families take a holiday during term?",
    "What's the time registers close?",
])
@pytest.mark.parametrize("frame", FRAMES)
def test_a_framed_question_gets_the_plain_questions_answer(school, question: str, frame: str) -> None:
    plain = ask(school, question)
    assert not plain.refused, plain.answer
    casual = question.lower().replace("'", "").rstrip("?")
    wrapped = ask(school, frame.format(q=question, lq=question[0].lower() + question[1:], casual=casual))
    assert not wrapped.refused, wrapped.answer
    assert wrapped.answer == plain.answer
    assert [c.quote for c in wrapped.citations] == [c.quote for c in plain.citations]


def test_a_framed_question_about_something_absent_is_still_refused(school) -> None:
    answer = ask(school, "Hi, quick question: where is the defibrillator kept? Thanks!")
    assert answer.refused
    assert "defibrillator" in answer.answer  # what was missing is the question's, not the frame's


@pytest.mark.parametrize(("message", "core"), [
    ("Hi, quick question: what's our SEND non-negotiable? Thanks!", "What's our SEND non-negotiable?"),
    ("Hey, sorry to bother you, who is the DSL?", "Who is the DSL?"),
    ("I was wondering if you could tell me when the policy is reviewed", "When the policy is reviewed?"),
    ("whats our send non-negotiable", "whats our send non-negotiable?"),  # typed without its "?", still a question
    ("Tell me about SEND", "Tell me about SEND"),
    ("Can you tell me, who leads SEND please?", "Who leads SEND?"),
    ("Morning, when does registration close? Any help appreciated :)", "When does registration close?"),
    ("Bit of a silly question but what does EHCP stand for?", "What does EHCP stand for?"),
])
def test_frames_come_off_both_ends(message: str, core: str) -> None:
    assert core_question(message) == core


@pytest.mark.parametrize("question", [
    "What type of issues are members typically allowed to vote as they please?",  # SQuAD: "please" is the question's
    "What help is there for new staff?",
    "One of our pupils has an EHCP. Who reviews it?",
    "Morning registration: when does it close?",
    "Is there a question bank for Year 6?",
    "Thanks",  # nothing but a frame: left as it is
])
def test_the_words_of_a_question_are_kept(question: str) -> None:
    assert core_question(question) == question


def test_a_contraction_typed_without_its_apostrophe_is_still_a_stopword() -> None:
    from assistant.units import terms

    assert terms("whats the dsl and whos the senco, im new") == terms("what's the dsl and who's the senco, I'm new")


@pytest.mark.parametrize(("typed", "plain"), [
    ("What does the office do when a child's absense is unexplianed?",
     "What does the office do when a child's absence is unexplained?"),
    ("Who does a new teacher meet with evrey week?", "Who does a new teacher meet with every week?"),
])
def test_a_typo_gets_the_correctly_spelt_questions_answer(school, typed: str, plain: str) -> None:
    want, got = ask(school, plain), ask(school, typed)
    assert not want.refused and not got.refused, got.answer
    assert got.answer == want.answer
    assert got.query == plain  # what was searched, shown with the answer


def test_a_misspelt_thing_no_document_mentions_is_still_refused(school) -> None:
    answer = ask(school, "Where is the defibrilator kept?")
    assert answer.refused
