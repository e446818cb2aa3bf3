"""Grounded extractive answers: the default, needing no LLM.

The answer is made only of verbatim sentences and list items from the evidence,
each followed by its [n] marker, so every word the user reads can be traced to a
page. Units are scored against the question with the same embedder used for
retrieval plus stemmed term overlap; a question that asks for a list gets the
whole list (or the section's sub-headings), not its single best item. When the
best unit is still weak, the honest answer is a refusal with the closest passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.answer_types import AnswerType, expected_type
from assistant.models import Answer, Citation, Evidence, Sentence
from assistant.units import BlockSpans, Unit, citation, overlap, split_units, terms

Encoder = Callable[[list[str]], np.ndarray]
OVERLAP_WEIGHT = 0.3
QUOTE_BONUS = 0.3
TYPE_BONUS = 0.15  # a unit holding the asked-for time / sum / grade beats a topical near miss
LIST_MARGIN = 0.35  # a whole list must score within this of the best sentence to be preferred
QUOTED = re.compile(r'"([^"]{3,})"')
LIST_CUE = re.compile(
    r"\b(what are|what were|list|which|name the|steps|phases|stages|values|fundamentals|priorities|themes|"
    r"aims|principles|pillars|commitments|targets|areas|two|three|four|five|six|seven|eight|nine|ten)\b",
    re.I,
)
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
REFUSAL = (
    "The documents you can access don't cover this, so I won't guess. "
    "The closest passages I found are listed below; none of them answers the question."
)


@dataclass
class Scored:
    units: list[Unit]
    best: float
    answer_type: AnswerType | None = None
    typed: list[Unit] = field(default_factory=list)  # the units holding a value of answer_type


def score_units(question: str, evidence: list[Evidence], encode: Encoder, blocks: BlockSpans | None = None) -> Scored:
    """Every unit of the evidence scored as cosine(question, unit) + 0.3 · term overlap
    (+ a bonus when it holds the answer type the question asks for)."""
    units = split_units(evidence, blocks)
    if not units:
        return Scored([], 0.0)
    wanted, typed = expected_type(question), []
    q_terms = terms(question)
    quoted = [q.lower() for q in QUOTED.findall(question)]
    vectors = encode([question] + [u.text for u in units])
    sims = vectors[1:] @ vectors[0]
    for unit, sim in zip(units, sims):
        section = evidence[unit.evidence].chunk.section
        unit.score = float(sim) + OVERLAP_WEIGHT * overlap(q_terms, unit.text) + 0.1 * overlap(q_terms, section)
        if any(q in section.lower() or q in unit.text.lower() for q in quoted):
            unit.score += QUOTE_BONUS  # the user (or the follow-up resolver) named this exact place
        if wanted is not None and wanted.found_in(unit.text):
            unit.score += TYPE_BONUS
            typed.append(unit)
    return Scored(units, max(u.score for u in units), wanted, typed)


def answer_extractive(
    question: str,
    evidence: list[Evidence],
    encode: Encoder,
    threshold: float,
    max_sentences: int = 4,
    outline: Callable[[Evidence], list[tuple[str, int, int]]] | None = None,
    asked: str | None = None,
    blocks: BlockSpans | None = None,
) -> Answer:
    """Compose an answer from the evidence, or refuse when the best unit scores below `threshold`.

    `question` is what is searched (a follow-up already resolved); `asked` is what the user
    typed, which alone decides whether they asked for a list.
    """
    scored = score_units(question, evidence, encode, blocks)
    if not scored.units or strength(question, evidence, scored) < threshold:
        return refusal(evidence, scored.units)
    if scored.answer_type is not None and not scored.typed:  # "what time…?" with no time in sight
        return refusal(evidence, scored.units, missing=scored.answer_type.name)
    if LIST_CUE.search(asked or question):
        listed = _list_answer(question, evidence, scored.units, outline)
        if listed is not None:
            return listed
    top = max(scored.units, key=lambda u: u.score)
    if scored.answer_type is not None and top not in scored.typed:
        # the asked-for value leads, even when a topical sentence outscores it
        return _sentence_answer(evidence, scored, max_sentences, max(scored.typed, key=lambda u: u.score))
    items = [u for u in scored.units if u.evidence == top.evidence and u.run == top.run and u.kind == "item"]
    if top.intro and items:  # "…we are committed to:" means nothing without what follows
        return _bulleted(evidence[top.evidence], top, items)
    return _sentence_answer(evidence, scored, max_sentences)


def strength(question: str, evidence: list[Evidence], scored: Scored) -> float:
    """How well the evidence could answer: best unit + 0.3 · term coverage + top chunk cosine.

    Each signal alone separates answerable from unanswerable questions poorly (a question
    on term dates still finds a sentence about "the year"); their sum, calibrated on the
    demo golden set (evals/calibration.md), separates them with a usable margin.
    """
    q_terms = terms(question)
    coverage = max((overlap(q_terms, f"{e.chunk.title} {e.chunk.section} {e.chunk.text}") for e in evidence), default=0.0)
    top_dense = max((e.dense or 0.0 for e in evidence), default=0.0)
    return scored.best + 0.3 * coverage + top_dense


def refusal(evidence: list[Evidence], units: list[Unit], closest: int = 3, missing: str | None = None) -> Answer:
    """Plainly say the documents don't answer it, and show the nearest passages.

    `missing` names the kind of fact the question asked for when the passages are on topic but
    hold none ("a time of day"), so the user learns why the near misses were not enough."""
    citations: list[Citation] = []
    for i, ev in enumerate(evidence[:closest]):
        own = [u for u in units if u.evidence == i]
        best = max(own, key=lambda u: u.score) if own else None
        start, end = (best.start, best.end) if best else (ev.chunk.start, ev.chunk.end)
        citations.append(citation(len(citations) + 1, ev, start, end, best.score if best else ev.score))
    text = REFUSAL if missing is None else (
        f"The documents you can access don't give {_article(missing)} {missing} for this, so I won't guess. "
        "The closest passages I found are listed below; none of them answers the question.")
    return Answer(answer=text, citations=citations, refused=True, sentences=[Sentence(text=text, citations=[])])


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _sentence_answer(evidence: list[Evidence], scored: Scored, max_sentences: int, lead: Unit | None = None) -> Answer:
    floor = scored.best - 0.12
    chosen: list[Unit] = [lead] if lead is not None else []
    for unit in sorted(scored.units, key=lambda u: u.score, reverse=True):
        if unit.score < floor or len(chosen) >= max_sentences:
            break
        if any(_same_text(unit, c) for c in chosen) or len(unit.text.split()) < 3:
            continue
        chosen.append(unit)
    if not chosen:
        chosen = [max(scored.units, key=lambda u: u.score)]
    citations, sentences = [], []
    for unit in chosen:
        n = len(citations) + 1
        citations.append(citation(n, evidence[unit.evidence], unit.start, unit.end, unit.score))
        sentences.append(Sentence(text=unit.text.strip(), citations=[n]))
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(answer=text, citations=citations, sentences=sentences)


def _list_answer(question, evidence, units, outline) -> Answer | None:
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
        candidates.append((strength, _bulleted(evidence[ev_idx], intro, items)))
    if outline is not None:
        for ev_idx, ev in enumerate(evidence[:3]):
            kids = outline(ev)
            named = [k for k in kids if overlap(q_terms, k[0]) > 0]
            if 0 < len(named) < len(kids):
                continue  # the question names one sub-section ("our values"), not the set of them
            labels = " ".join(k[0] for k in kids) + " " + (ev.chunk.section_path[-2] if len(ev.chunk.section_path) > 1 else "")
            if len(kids) >= 2 and overlap(q_terms, labels) >= 0.5:  # the question is about this set
                strength = 0.35 + 0.6 * overlap(q_terms, labels)
                if wanted is not None:
                    strength += 0.2 if len(kids) == wanted else -0.1
                candidates.append((strength, _headings_answer(ev, kids)))
    best_sentence = max(u.score for u in units)
    candidates = [c for c in candidates if c[0] >= best_sentence - LIST_MARGIN]
    if not candidates:
        return None  # no list is nearly as relevant as the best single sentence
    return max(candidates, key=lambda c: c[0])[1]


def _bulleted(ev: Evidence, intro: Unit | None, items: list[Unit]) -> Answer:
    start = intro.start if intro else items[0].start
    cite = citation(1, ev, start, items[-1].end, max(i.score for i in items))
    lead = intro.text.strip() if intro else f"From {ev.chunk.title} ({ev.chunk.section or 'p. %d' % ev.chunk.page}):"
    body = "\n".join(f"- {i.text.strip()}" for i in items)
    sentences = [Sentence(text=lead, citations=[1])] + [Sentence(text=i.text.strip(), citations=[1]) for i in items]
    return Answer(answer=f"{lead} [1]\n{body}", citations=[cite], sentences=sentences)


def _headings_answer(ev: Evidence, kids: list[tuple[str, int, int]]) -> Answer:
    parent = ev.chunk.section_path[-2] if len(ev.chunk.section_path) > 1 else ev.chunk.title
    citations = [
        Citation(n=i + 1, doc_id=ev.chunk.doc_id, title=ev.chunk.title, organisation=ev.chunk.organisation,
                 section=parent, page=page, quote=text, start=start, end=start + len(text),
                 chunk_id=ev.chunk.chunk_id, score=round(ev.score, 4))
        for i, (text, page, start) in enumerate(kids)
    ]
    lead = f"{parent} in {ev.chunk.title} has {len(kids)} parts:"
    body = "\n".join(f"- {c.quote} [{c.n}]" for c in citations)
    sentences = [Sentence(text=c.quote, citations=[c.n]) for c in citations]
    return Answer(answer=f"{lead}\n{body}", citations=citations, sentences=sentences)


def _same_text(a: Unit, b: Unit) -> bool:
    return a.text.strip().lower() == b.text.strip().lower()
