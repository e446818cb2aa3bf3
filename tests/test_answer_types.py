"""Expected answer types: strict on the question side (a false type makes a false refusal)."""

from __future__ import annotations

import pytest

from assistant.answer_types import expected_type


@pytest.mark.parametrize(("question", "kind"), [
    ("What time does the school day start?", "time of day"),
    ("What hours can staff ring the NSPCC line?", "time of day"),
    ("How much is the headteacher paid?", "sum of money"),
    ("How big was our COVID catch-up budget?", "sum of money"),
    ("Why did we hire lunchtime staff, and what did it cost?", "sum of money"),
    ("What grade did we get at our last Ofsted inspection?", "inspection grade"),
    ("What was the school rated by Ofsted?", "inspection grade"),
    ("When is Star of the Week handed out?", "date"),  # a day, not a clock time
    ("When does Luton's new strategy go live?", "date"),
    ("How many pupils do we have?", "number"),
    ("How long do we have to hang on to child protection files?", "length of time"),
    ("For how long can a pupil be suspended?", "length of time"),
    ("How many days can a pupil be suspended for?", "number"),  # a count of days stays a number
])
def test_typed_questions(question: str, kind: str) -> None:
    t = expected_type(question)
    assert t is not None and t.name == kind


@pytest.mark.parametrize("question", [
    "How much educational psychologist time do we buy in?",  # an amount of time, not money
    "What do we spend the pupil premium on?",  # a list of things, not a sum
    "How should staff prepare for an Ofsted visit?",
    "What are our values?",
    "How much does reading matter to the trust?",
])
def test_untyped_questions(question: str) -> None:
    assert expected_type(question) is None


@pytest.mark.parametrize(("question", "passage", "holds"), [
    ("What time does it open?", "The line is available from 8:00 AM to 8:00 PM", True),
    ("What time does it open?", "Care Direct (8am – 8pm Monday to Friday)", True),
    ("What time does it open?", "The school opens in the autumn term 2024", False),
    ("How much did it cost?", "NFER assessment suite and teacher guides £1324 (CUF)", True),
    ("How much did it cost?", "Milk is 25p a carton", True),
    ("How much did it cost?", "The trust has 25 schools and 8 hubs", False),
    ("What Ofsted grade did we get?", "Ofsted judged the school to be Good in all areas", True),
    ("What Ofsted grade did we get?", "Ofsted Section 5 Inspection Framework April 2014", False),
    ("When does it go live?", "Go-Live Launch September 2024", True),
    ("When does it go live?", "The launch will be led by the council", False),
    ("How many pupils are there?", "Pupils in school 395", True),
    ("How long do we keep them?", "records, until the child’s 25th birthday", True),
    ("How long does it last?", "a suspension of up to five school days", True),
    ("How long may a speaker talk?", "up to four minutes", True),
    ("How long did they keep French names?", "well into the nineteenth century", True),
    ("How long is the school day?", "The school day runs from 8:45 to 15:15", True),
    ("How long do we keep them?", "Records are kept securely in the DSL's office", False),
])
def test_passages_holding_the_type(question: str, passage: str, holds: bool) -> None:
    assert expected_type(question).found_in(passage) is holds


@pytest.mark.parametrize(("passage", "holds"), [
    ("Luton 2040 Education Strategy 2024-2027", True),  # a plan's years are how long it runs
    ("What do we wish to achieve by 2027?", True),
    ("Phase 2 (2023 - 2028)", True),
    ("The plan was written in 2024", False),  # one year is a date, not a length of time
])
def test_a_span_of_years_is_a_length_of_time(passage: str, holds: bool) -> None:
    assert expected_type("How long does the plan run for?").found_in(passage) is holds


def test_how_long_a_plan_runs_is_answered_from_its_years(assistant) -> None:
    """The demo's Luton strategy gives its years ("2024-2027", "by 2027"), never "N years": a
    length-of-time type without spans of years refused this ("don't give a length of time")."""
    from assistant.models import Principal

    answer = assistant.ask("How long does the Luton plan run for?", Principal("staff", ("all", "staff")),
                           mode="extractive")
    assert not answer.refused, answer.answer
    assert "2027" in answer.answer
