"""The answer failure classes of issue 10, each on small documents the test writes and ingests for real.

Real embedder, real Chroma, real pipeline: a corpus of two schools' policies (Oakfield Primary and
Riverside Academy), with a long list whose middle item answers, a staff acronym the documents spell
out, a table-of-contents page, and topics no document mentions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.models import Principal
from assistant.vocabulary import default_vocabulary
from tests.corpus import ask_as_staff as ask, ingested_assistant

MANIFEST = """
[[documents]]
file = "oakfield-behaviour.md"
title = "Behaviour Policy"
organisation = "Oakfield Primary School"
type = "policy"

[[documents]]
file = "riverside-behaviour.md"
title = "Behaviour Policy"
organisation = "Riverside Academy"
type = "policy"

[[documents]]
file = "oakfield-inclusion.md"
title = "Inclusion Plan"
organisation = "Oakfield Primary School"
type = "plan"
"""

OAKFIELD_BEHAVIOUR = """# Behaviour Policy

## Contents

- Aims ........ 2
- Rewards ........ 3
- Sanctions ........ 4
- Detentions ........ 5

## Sanctions

A pupil who breaks a school rule is first given a verbal reminder by the class teacher.
After a detention at Oakfield, the class teacher telephones the parents on the same day.

## Rewards

Pupils earn house points for kindness, and the house with the most points wins a trip each term.
"""

RIVERSIDE_BEHAVIOUR = """# Behaviour Policy

## Sanctions

Detentions are held on Tuesday and Thursday in the library.
After a detention at Riverside, the head of year writes to the family and sets a mentoring session.
"""

INCLUSION = """# Inclusion Plan

## Our commitments

Over the next three years our school will:

- refurbish the library and the reading corner in every classroom
- introduce a new maths scheme across Key Stage 2
- extend the breakfast club to five mornings a week
- train every teacher in trauma-informed practice
- run a weekly coffee morning for parents and carers
- give every pupil a musical instrument to learn in Year 4
- make sure pupils with special educational needs are taught in mainstream classes with a trained adult alongside them
- open a sensory room for pupils who find the classroom overwhelming
- publish our attendance figures to governors every half term
- plant a school garden with the eco-council
- offer a residential trip to every pupil in Year 6
- review this plan with staff each summer

## Who leads it

The Special Educational Needs Co-ordinator, Mrs Okafor, leads the plan and reports to governors each term.
"""


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory):
    return ingested_assistant(tmp_path_factory, "trust", {
        "sources.toml": MANIFEST, "oakfield-behaviour.md": OAKFIELD_BEHAVIOUR,
        "riverside-behaviour.md": RIVERSIDE_BEHAVIOUR, "oakfield-inclusion.md": INCLUSION})


def test_a_middle_item_of_a_long_list_is_shown_with_its_intro(trust) -> None:
    answer = ask(trust, "How do we support SEND pupils in class?")
    assert not answer.refused
    assert "pupils with special educational needs are taught in mainstream classes" in answer.answer
    assert "Over the next three years our school will:" in answer.answer  # what the list is
    assert len(answer.answer.split()) <= 80
    for c in answer.citations:  # every quote is the page's own characters
        page = trust.kb.page(c.doc_id, c.page, Principal("admin", ("all", "staff", "governors")))
        assert page.text[c.start:c.end] == c.quote


def test_a_named_organisation_restricts_the_answer_to_its_documents(trust) -> None:
    answer = ask(trust, "What happens after a detention at Riverside?")
    assert answer.scope == ["Riverside Academy"]
    assert answer.citations and all(c.organisation == "Riverside Academy" for c in answer.citations)
    assert "head of year writes to the family" in answer.answer


def test_our_means_the_askers_own_organisation(trust) -> None:
    answer = ask(trust, "What happens after our detentions?", organisation="Oakfield Primary School")
    assert answer.scope == ["Oakfield Primary School"]
    assert all(c.organisation == "Oakfield Primary School" for c in answer.citations)
    assert "telephones the parents" in answer.answer


@pytest.mark.parametrize(("question", "missing"), [
    ("Where is the defibrillator kept?", "defibrillator"),
    ("How do I book the school minibus?", "minibus"),
])
def test_a_topic_no_document_mentions_is_refused_and_named(trust, question: str, missing: str) -> None:
    answer = ask(trust, question)
    assert answer.refused
    assert missing in answer.answer


def test_a_staff_acronym_finds_the_spelt_out_role(trust) -> None:
    assert "special educational needs co-ordinator" in default_vocabulary().expansion("Who is the SENCO?").lower()
    answer = ask(trust, "Who is our SENCO?")
    assert not answer.refused
    assert "Mrs Okafor" in answer.answer


def test_a_table_of_contents_line_is_never_the_answer(trust) -> None:
    answer = ask(trust, "How are pupils rewarded for good behaviour?")
    assert not answer.refused
    assert "house points" in answer.answer
    assert "........" not in answer.answer


def test_answering_never_embeds_evidence_text(trust, monkeypatch: pytest.MonkeyPatch) -> None:
    """Units were embedded at ingest: a question costs one query embedding, nothing more."""
    calls: list[int] = []
    original = trust.encode
    monkeypatch.setattr(trust, "encode", lambda texts: calls.append(len(texts)) or original(texts))
    answer = ask(trust, "How do we support SEND pupils in class?")
    assert not answer.refused and calls == []


def test_an_api_key_can_say_which_organisation_our_means(tmp_path: Path) -> None:
    from assistant.access import principal_for_key
    from ingest.settings import Settings

    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"k-oak" = "staff"\n"k-any" = "staff"\n\n[organisations]\n"k-oak" = "Oakfield Primary School"\n',
                    encoding="utf-8")
    settings = Settings(api_keys_file=keys, organisation=None)
    assert principal_for_key(settings, "k-oak").organisation == "Oakfield Primary School"
    assert principal_for_key(settings, "k-any").organisation is None
    install = settings.model_copy(update={"organisation": "Riverside Academy"})
    assert principal_for_key(install, "k-any").organisation == "Riverside Academy"
