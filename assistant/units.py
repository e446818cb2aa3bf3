"""Answer units: the sentences and list items of evidence, each a verbatim span of its page.

Extractive answers and the support check of generative answers both work on
these, so a quote is always `page.text[start:end]` of a real page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pysbd
import Stemmer

from assistant.models import Citation, Evidence

_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
_stemmer = Stemmer.Stemmer("english")
BULLET = re.compile(r"^\s*(?:[-•*·▪◦●o]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doing for from had has have how i if in into
    is it its me my no nor not of on or our ours should so some such than that the their them then there these
    they this those to too us was we were what when where which while who whom why will with would you your
    about any all also each more most other over own same very just up down out off again further once here
    tell say says said one ones thing things like look looks lot get got going go""".split()
)


@dataclass
class Unit:
    evidence: int  # index into the evidence list
    kind: str  # sentence | item
    text: str
    start: int  # page offsets
    end: int
    run: int = -1  # list run id within its chunk (items only), -1 otherwise
    intro: bool = False  # a sentence ending in ':' that introduces the following list
    score: float = 0.0


def terms(text: str) -> set[str]:
    """Stemmed content words: what 'term overlap' means everywhere in Ethos."""
    words = [w for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
    return set(_stemmer.stemWords(words))


def overlap(question_terms: set[str], text: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & terms(text)) / len(question_terms)


def split_units(evidence: list[Evidence]) -> list[Unit]:
    units: list[Unit] = []
    for i, ev in enumerate(evidence):
        text, base = ev.chunk.text, ev.chunk.start
        run, in_list, pos = 0, False, 0
        for line in text.split("\n"):
            line_start, pos = pos, pos + len(line) + 1
            if not line.strip():
                continue
            marker = BULLET.match(line)
            if marker:
                if not in_list:
                    run, in_list = run + 1, True
                s = line_start + marker.end()
                e = line_start + len(line.rstrip())
                units.append(Unit(i, "item", text[s:e], base + s, base + e, run=run))
                continue
            in_list = False
            for seg in _segmenter.segment(line):
                s = line_start + seg.start
                e = s + len(seg.sent.rstrip())
                if e > s and text[s:e].strip():
                    units.append(Unit(i, "sentence", text[s:e], base + s, base + e))
            if units and units[-1].evidence == i and units[-1].text.rstrip().endswith(":"):
                units[-1].intro = True
                units[-1].run = run + 1  # the list that follows will get this run id
    return units


def citation(n: int, ev: Evidence, start: int, end: int, score: float) -> Citation:
    """A citation of page span [start, end) inside `ev`'s chunk (offsets are page offsets)."""
    c = ev.chunk
    quote = c.text[start - c.start : end - c.start]
    return Citation(
        n=n, doc_id=c.doc_id, title=c.title, organisation=c.organisation, section=c.section,
        page=c.page, quote=quote, start=start, end=end, chunk_id=c.chunk_id, score=round(score, 4),
    )
