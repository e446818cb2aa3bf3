"""Typos in a question become the words the documents use; real words, names and derivations stay."""

from __future__ import annotations

import Stemmer

from assistant.spelling import default_speller

_stem = Stemmer.Stemmer("english").stemWord


def corpus(*words: str):
    stems = {_stem(w) for w in words}
    return lambda stem: 3 if stem in stems else 0


DOCS = corpus("improvement", "budget", "lunchtime", "absence", "established", "counting", "scouting", "governor")


def fixed(question: str) -> str:
    return default_speller().correct(question, DOCS)


def test_a_swapped_or_dropped_letter_is_corrected_to_the_documents_word() -> None:
    assert fixed("What are the phases of the imporvement model?") == "What are the phases of the improvement model?"
    assert fixed("How big was our catch-up bugdet?") == "How big was our catch-up budget?"
    assert fixed("Who covers lunchtme duty?") == "Who covers lunchtime duty?"
    assert fixed("Absense: who do I ring?") == "Absence: who do I ring?"  # the first word may be capitalised


def test_words_that_are_not_typos_are_left_alone() -> None:
    for question in (
        "Where is the defibrillator kept?",  # a real word the documents lack: the question must stay refusable
        "Is Mr Evemy a governor?",  # a name mid-question
        "When was the company unestablished?",  # a word of its own, not "established" misspelt
        "Who is the SENCO?",  # an acronym
        "Is the improvement plan costed?",  # already the documents' words
        "Who runs the cafe?",  # short words are never corrected
    ):
        assert fixed(question) == question


def test_only_words_the_documents_use_are_offered() -> None:
    assert fixed("Where is the defibrilator kept?") == "Where is the defibrilator kept?"  # nothing near it in the corpus
    assert fixed("Who does the scuoting?") == "Who does the scouting?"  # same first letter: not "counting"
