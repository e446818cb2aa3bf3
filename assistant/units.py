"""Answer units: the sentences and list items of evidence, each a verbatim span of its page.

Extractive answers and the support check of generative answers both work on
these, so a quote is always `page.text[start:end]` of a real page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


BlockSpans = Callable[[Evidence], list[tuple[str, int, int]]]


def split_units(evidence: list[Evidence], blocks: BlockSpans | None = None) -> list[Unit]:
    """Units of every evidence chunk. With `blocks` (the page's structure: kind, start, end)
    list items are known from the document; without it, bullet markers are guessed."""
    units: list[Unit] = []
    for i, ev in enumerate(evidence):
        spans = _clip(blocks(ev), ev) if blocks else _guess_blocks(ev)
        run, prev = 0, ""
        for kind, start, end in spans:
            text = ev.chunk.text[start - ev.chunk.start : end - ev.chunk.start]
            if kind in ("list_item", "table_row"):
                if prev not in ("list_item", "table_row"):
                    run += 1
                    _mark_intro(units, i, run)
                units.append(Unit(i, "item", text.strip(), start, start + len(text.rstrip()), run=run))
            else:
                for seg in _segmenter.segment(text):
                    for s, e in _windows(seg.sent.rstrip(), start + seg.start):
                        units.append(Unit(i, "sentence", ev.chunk.text[s - ev.chunk.start : e - ev.chunk.start], s, e))
            prev = kind
    return units


def _windows(sentence: str, offset: int, max_words: int = 45, size: int = 25) -> list[tuple[int, int]]:
    """A run-on "sentence" (slide transcripts have no full stops) is cut into word windows,
    so a quote is a readable span rather than a paragraph."""
    if not sentence.strip():
        return []
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence)]
    if len(words) <= max_words:
        return [(offset + words[0][0], offset + words[-1][1])]
    return [
        (offset + words[i][0], offset + words[min(i + size, len(words)) - 1][1])
        for i in range(0, len(words), size)
    ]


def _mark_intro(units: list[Unit], evidence: int, run: int) -> None:
    """The sentence right before a list introduces it ("…these five fundamentals:")."""
    if units and units[-1].evidence == evidence and units[-1].kind == "sentence":
        units[-1].intro, units[-1].run = True, run


def _clip(spans: list[tuple[str, int, int]], ev: Evidence) -> list[tuple[str, int, int]]:
    lo, hi = ev.chunk.start, ev.chunk.end
    out = [(k, max(s, lo), min(e, hi)) for k, s, e in spans if e > lo and s < hi and k != "heading"]
    return out or [("paragraph", lo, hi)]


def _guess_blocks(ev: Evidence) -> list[tuple[str, int, int]]:
    """Line-based structure for text without a known page layout (e.g. generated answers)."""
    out, pos, base = [], 0, ev.chunk.start
    for line in ev.chunk.text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        marker = BULLET.match(line)
        if marker:
            out.append(("list_item", base + start + marker.end(), base + start + len(line.rstrip())))
        else:
            out.append(("paragraph", base + start, base + start + len(line)))
    return out


def citation(n: int, ev: Evidence, start: int, end: int, score: float) -> Citation:
    """A citation of page span [start, end) inside `ev`'s chunk (offsets are page offsets)."""
    c = ev.chunk
    quote = c.text[start - c.start : end - c.start]
    return Citation(
        n=n, doc_id=c.doc_id, title=c.title, organisation=c.organisation, section=c.section,
        page=c.page, quote=quote, start=start, end=end, chunk_id=c.chunk_id, score=round(score, 4),
    )
