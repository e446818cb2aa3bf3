"""Staff words for safeguarding and SEN terms of art find the policies' own wording.

Staff say "nudes", "LADO" and "SpLD"; policies say "youth produced sexual imagery", "Local
Authority Designated Officer" and "specific learning difficulties". The committed vocabulary
(assistant/data/vocabulary.toml) bridges them for the keyword search and for telling whether
a question's subject is in the documents at all. Real embedder, real Chroma, real pipeline.
"""

from __future__ import annotations

import pytest

from assistant.models import Principal
from assistant.scoring import focus_of
from assistant.vocabulary import Vocabulary, default_vocabulary
from tests.corpus import ask_as_staff as ask, ingested_assistant

MANIFEST = """
[[documents]]
file = "safeguarding.md"
title = "Child Protection and Safeguarding Policy"
organisation = "Oakfield Primary School"
type = "policy"

[[documents]]
file = "sen.md"
title = "SEN Policy"
organisation = "Oakfield Primary School"
type = "policy"
"""

SAFEGUARDING = """# Child Protection and Safeguarding Policy

## Youth produced sexual imagery

Any member of staff who becomes aware of youth produced sexual imagery must confiscate the device
involved, set it to flight mode and tell the Designated Safeguarding Lead straight away.
Staff must never view, copy or print the imagery, whether it was shown or sent to them on a mobile
phone, a tablet or a laptop.

## Allegations against staff

An allegation against a member of staff is reported to the Local Authority Designated Officer
within one working day.

## Attendance

The office rings home on the first morning of any unexplained absence.
"""

SEN = """# SEN Policy

## Areas of need

Children with specific learning difficulties such as dyslexia and dyscalculia get help through
reading and number programmes delivered in small groups three times a week.

## Reviews

Every pupil on the SEN register has their support reviewed with their parents each term.
"""


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory):
    return ingested_assistant(tmp_path_factory, "vocab", {
        "sources.toml": MANIFEST, "safeguarding.md": SAFEGUARDING, "sen.md": SEN})


@pytest.mark.parametrize(("question", "shown"), [
    ("A pupil has shown me nude pictures on their phone. What do I do?", "confiscate the device"),
    ("How quickly does an allegation about a teacher go to the LADO?", "within one working day"),
    ("What help do children with SpLD get?", "dyslexia and dyscalculia"),
])
def test_staff_words_find_the_policy_wording(school, question: str, shown: str) -> None:
    answer = ask(school, question)
    assert not answer.refused, answer.answer
    assert shown in answer.answer
    # the staff word counts as in the documents, by the policy's own wording, in the passage shown
    result = school.retriever.retrieve(question, Principal("staff", ("all", "staff")))
    holder = next(e for e in result.evidence if shown in e.chunk.text)
    bridged = [f for f in school.score(question, result).focus if f.group is not None and f.in_corpus]
    assert any(f.group.found_in(holder.chunk.text) for f in bridged)


def test_a_phrase_is_only_as_common_as_its_rarest_word() -> None:
    """A group is in the corpus when one of its phrases could be, not when any word of one is.

    "local authority designated officer" shares "local" and "authority" with half of every
    policy; counting the group present by those words would make a question about a LADO that
    no document names look answerable.
    """
    vocabulary = Vocabulary([["LADO", "local authority designated officer"]])
    common = {"local": 40, "author": 40}  # stems of the keyword index
    focus = focus_of("Who is our LADO?", vocabulary, lambda stem: common.get(stem, 0), 100)
    lado = next(f for f in focus if f.group is not None)
    assert not lado.in_corpus
    present = focus_of("Who is our LADO?", vocabulary, lambda stem: {**common, "design": 3, "offic": 5}.get(stem, 0), 100)
    assert next(f for f in present if f.group is not None).in_corpus


def test_short_acronyms_match_only_in_capitals() -> None:
    vocabulary = default_vocabulary()
    assert "physical education" in vocabulary.expansion("What PE kit do pupils need?")
    assert "religious education" not in vocabulary.expansion("Please re-send the letter")
