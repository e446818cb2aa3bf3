"""Grounded extractive answers: the default, needing no LLM.

Question → scored units and passages (`assistant.scoring`) → refuse or not (`assistant.refusal`)
→ the answer's text (`assistant.compose`). Every word the user reads is a verbatim span of a page,
followed by its [n] marker. A question that asks for a list gets the whole list (or the section's
sub-headings); a question for a time, a sum or a grade leads with the unit that holds one, and is
refused when no passage does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from assistant.answer_types import STRICT
from assistant.compose import compose, headings_answer, whole_list
from assistant.models import Answer, Citation, Evidence, Sentence
from assistant.refusal import Decision, decide
from assistant.scoring import AnswerParams, Scored, default_params, focus_of, score
from assistant.units import BlockSpans, Unit, citation, overlap, terms
from assistant.vocabulary import default_vocabulary

Encoder = Callable[[list[str]], np.ndarray]
LIST_MARGIN = 0.35  # a whole list must score within this of the best sentence to be preferred
LIST_CUE = re.compile(
    r"\b(what are|what were|list|which(?=(?:\s+\w+){0,2}?\s+(?!(?:does|this|thus|yours|ours)\b)\w{2,}[a-rt-z]s\b)|name the|steps|phases|stages|values|fundamentals|priorities|themes|"
    r"aims|principles|pillars|commitments|targets|areas|two|three|four|five|six|seven|eight|nine|ten)\b",
    re.I,
)
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
REFUSAL = (
    "The documents you can access don't cover this, so I won't guess. "
    "The closest passages I found are listed below; none of them answers the question."
)
CLOSEST = "The closest passages I found are listed below; none of them answers the question."


def score_question(question: str, evidence: list[Evidence], query_vector: np.ndarray, encode: Encoder,
                   doc_freq: Callable[[str], int], n_chunks: int, params: AnswerParams | None = None,
                   blocks: BlockSpans | None = None) -> Scored:
    """Units and passages scored for `question` (the evals reuse this to read the refusal features)."""
    params = params or default_params()
    focus = focus_of(question, default_vocabulary(), doc_freq, n_chunks)
    return score(question, evidence, query_vector, focus, encode, params, blocks)


def evidence_frequency(evidence: list[Evidence]) -> tuple[Callable[[str], int], int]:
    """Document frequency over the evidence itself, for callers without a keyword index."""
    bags = [terms(f"{e.chunk.title} {e.chunk.section} {e.chunk.text}") for e in evidence]
    return (lambda stem: sum(stem in b for b in bags)), len(bags)


def score_units(question: str, evidence: list[Evidence], encode: Encoder, blocks: BlockSpans | None = None) -> Scored:
    """Units scored without a retrieval context (the generative path's checks): embeds the question."""
    doc_freq, n = evidence_frequency(evidence)
    vector = np.asarray(encode([question]), dtype=np.float32)[0]
    return score_question(question, evidence, vector, encode, doc_freq, n, blocks=blocks)


def answer_extractive(question: str, evidence: list[Evidence], encode: Encoder, *_legacy,
                      outline=None, asked: str | None = None, blocks: BlockSpans | None = None,
                      answer_words: int = 60, params: AnswerParams | None = None) -> Answer:
    """`answer_scored` for callers without a retrieval context (tests, recording scripts)."""
    return answer_scored(question, evidence, score_units(question, evidence, encode, blocks), answer_words,
                         outline=outline, asked=asked, params=params)


def answer_scored(
    question: str,
    evidence: list[Evidence],
    scored: Scored,
    answer_words: int = 60,
    outline: Callable[[Evidence], list[tuple[str, int, int]]] | None = None,
    asked: str | None = None,
    params: AnswerParams | None = None,
) -> Answer:
    """Compose an answer from scored evidence, or refuse.

    `question` is what was searched (a follow-up already resolved); `asked` is what the user
    typed, which alone decides whether they asked for a list.
    """
    params = params or default_params()
    decision = decide(question, evidence, scored, params)
    if decision.refuse:
        return refusal(evidence, scored.units, decision)
    if LIST_CUE.search(asked or question):
        listed = _list_answer(question, evidence, scored.units, outline)
        if listed is not None:
            return listed
    lead = None
    if scored.answer_type is not None and scored.answer_type.name in STRICT and scored.typed:  # the value leads
        lead = max(scored.typed, key=lambda u: u.rank)
    return compose(evidence, scored, params, answer_words, lead)


def refusal(evidence: list[Evidence], units: list[Unit], decision: Decision | None = None,
            closest: int = 3) -> Answer:
    """Plainly say the documents don't answer it, say what was missing, and show the nearest passages."""
    citations: list[Citation] = []
    for i, ev in enumerate(evidence[:closest]):
        own = [u for u in units if u.evidence == i]
        best = max(own, key=lambda u: u.score) if own else None
        start, end = (best.start, best.end) if best else (ev.chunk.start, ev.chunk.end)
        citations.append(citation(len(citations) + 1, ev, start, end, best.score if best else ev.score))
    missing = decision.missing if decision else None
    if not evidence:
        text = "None of the documents you can access answers this, so I won't guess."
    elif missing is None:
        text = REFUSAL
    elif missing.startswith("mention "):
        text = f"None of the documents you can access {missing}, so I won't guess. {CLOSEST}"
    elif missing.startswith("closest passages"):
        text = f"The {missing}, so I won't guess: the documents you can access don't seem to cover this. {CLOSEST}"
    else:
        text = f"The documents you can access {missing}, so I won't guess. {CLOSEST}"
    return Answer(answer=text, citations=citations, refused=True, sentences=[Sentence(text=text, citations=[])])


def _list_answer(question: str, evidence: list[Evidence], units: list[Unit], outline) -> Answer | None:
    """The best whole list among the evidence: a bulleted run, or a section's sub-headings."""
    wanted = next((NUMBERS[w] for w in re.findall(r"[a-z]+", question.lower()) if w in NUMBERS), None)
    q_terms = terms(question)
    candidates: list[tuple[float, Answer]] = []
    runs: dict[tuple[int, int], list[Unit]] = {}
    for u in units:
        if u.run >= 0:
            runs.setdefault((u.evidence, u.run), []).append(u)
    for (ev_idx, _), members in runs.items():
        items = [m for m in members if m.kind == "item"]
        if len(items) < 2:
            continue
        intro = next((m for m in members if m.intro), None)
        head = intro.score if intro else 0.0
        strength = max(head, sum(sorted((m.score for m in items), reverse=True)[:3]) / 3)
        strength += 0.15 * overlap(q_terms, evidence[ev_idx].chunk.section)
        if wanted is not None:
            strength += 0.2 if len(items) == wanted else -0.1
        candidates.append((strength, whole_list(evidence[ev_idx], intro, items)))
    best_sentence = max(u.score for u in units)
    if outline is not None:
        for ev in evidence[:3]:
            kids = outline(ev)
            named = [k for k in kids if overlap(q_terms, k[0]) > 0]
            if 0 < len(named) < len(kids):
                continue  # the question names one sub-section ("our values"), not the set of them
            labels = " ".join(k[0] for k in kids) + " " + (ev.chunk.section_path[-2] if len(ev.chunk.section_path) > 1 else "")
            if len(kids) >= 2 and overlap(q_terms, labels) >= 0.5:  # the question is about this set
                # on the units' own scale (their weights are fitted): labels naming all of the
                # question beat any single line by the list margin, half of it only ties
                strength = best_sentence + LIST_MARGIN * (2 * overlap(q_terms, labels) - 1)
                if wanted is not None:
                    strength += 0.2 if len(kids) == wanted else -0.1
                candidates.append((strength, headings_answer(ev, kids)))
    candidates = [c for c in candidates if c[0] >= best_sentence - LIST_MARGIN]
    if not candidates:
        return None  # no list is nearly as relevant as the best single sentence
    return max(candidates, key=lambda c: c[0])[1]


OVERLAP_WEIGHT = AnswerParams().overlap_weight  # the generative support check weighs overlap alike

__all__ = ["answer_extractive", "answer_scored", "refusal", "score_question", "score_units",
           "REFUSAL", "OVERLAP_WEIGHT"]
