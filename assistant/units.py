"""Answer units: the sentences and list items of evidence, each a verbatim span of its page.

Extractive answers and the support check of generative answers both work on
these, so a quote is always `page.text[start:end]` of a real page.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import Stemmer

from assistant.models import Citation, Evidence
from ingest.units import BULLET, in_context, segment

_stemmer = Stemmer.Stemmer("english")
_stemmer_lock = threading.Lock()  # a PyStemmer object must not be used by two threads at once (API workers)
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doing for from had has have how i if in into
    is it its me my no nor not of on or our ours should so some such than that the their them then there these
    they this those to too us was we were what when where which while who whom why will with would you your
    about any all also each more most other over own same very just up down out off again further once here
    tell say says said one ones thing things like look looks lot get got going go
    whats whos wheres whens hows whys thats theres dont doesnt didnt cant isnt arent wasnt werent
    shouldnt couldnt wouldnt havent hasnt im ive youre theyre weve""".split()  # contractions typed without the apostrophe
)
#: the spoken forms of stopwords ("I'm", "we're", "doesn't", "should've"): a question written the way
#: people speak must not make "I'm" a thing it asks about, absent from every document
CONTRACTION = re.compile(r"(?:n't|'(?:m|re|ve|ll|d))$")
_NEGATIVE = {"can't": "can", "won't": "will", "shan't": "shall"}


@dataclass
class Unit:
    evidence: int  # index into the evidence list
    kind: str  # sentence | item
    text: str
    start: int  # page offsets
    end: int
    run: int = -1  # list run id within its chunk (items only), -1 otherwise
    intro: bool = False  # a sentence ending in ':' that introduces the following list
    score: float = 0.0  # similarity to the question (cosine + weighted term overlap)
    rank: float = 0.0  # the fitted unit model's log-odds that this unit holds the answer


def terms(text: str) -> set[str]:
    """Stemmed content words: what 'term overlap' means everywhere in Ethos.

    A compound also counts by its parts ("go-live" holds "live", "non-negotiable" holds
    "negotiable"), and a possessive by its noun ("Luton's" is "Luton"), so the same word in
    another spelling still overlaps. A contraction counts as the word it shortens ("doesn't" is
    "does", a stopword).
    """
    words: list[str] = []
    for w in WORD.findall(_fold(text.lower().replace("’", "'"))):
        w = w.removesuffix("'s")
        w = _NEGATIVE.get(w) or CONTRACTION.sub("", w)
        words.append(w)
        if "-" in w or "'" in w:
            words += re.split(r"[-']", w)
    return set(stems([w for w in words if w not in STOPWORDS and len(w) > 1]))


def stems(words: list[str]) -> list[str]:
    """English stems of `words` (lower case), as the keyword index stems them."""
    with _stemmer_lock:
        return _stemmer.stemWords(words)


def _fold(text: str) -> str:
    """Accents dropped ("Temür" is "Temur", "café" is "cafe"): askers rarely type them."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def overlap(question_terms: set[str], text: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & terms(text)) / len(question_terms)


BlockSpans = Callable[[Evidence], list[tuple[str, int, int]]]


def split_units(evidence: list[Evidence], blocks: BlockSpans | None = None) -> list[Unit]:
    """Units of every evidence chunk, as segmented at ingest (`Chunk.units`).

    A chunk without stored units (text that never went through ingest, such as a generated
    answer checked against its sources) is segmented here: by the page's `blocks` when given,
    else by guessing bullets from its lines.
    """
    units: list[Unit] = []
    for i, ev in enumerate(evidence):
        c = ev.chunk
        spans = c.units or segment(c.text, c.start, blocks(ev) if blocks else [])
        for u in spans:
            text = c.text[u.start - c.start : u.end - c.start]
            units.append(Unit(i, u.kind, text, u.start, u.end, run=u.run, intro=u.intro))
    return units


def unit_vectors(evidence: list[Evidence], units: list[Unit], encode: Callable[[list[str]], np.ndarray],
                 context_mix: float = 0.0) -> np.ndarray:
    """Unit-normalised vectors of `units`: the stored vector alone mixed with the stored vector of
    the unit read in context (`ingest.units.in_context`), `context_mix` being the latter's share.

    Only what has no stored vector is encoded here (a generated answer's sources, chunks written
    before in-context vectors existed), so the composer never embeds evidence at question time.
    """
    plain = _vectors(evidence, units, encode, lambda c: c.unit_vectors, lambda ev, u: u.text)
    if context_mix <= 0.0 or not len(plain):
        return plain
    framed = _vectors(evidence, units, encode, lambda c: c.unit_context_vectors,
                      lambda ev, u: in_context(ev.chunk.title, ev.chunk.section_path, u.text))
    mixed = (1.0 - context_mix) * plain + context_mix * framed
    return (mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-6)).astype(np.float32)


def _vectors(evidence: list[Evidence], units: list[Unit], encode: Callable[[list[str]], np.ndarray],
             stored_of: Callable, text_of: Callable) -> np.ndarray:
    """One vector per unit: the chunk's stored row when it has one for every unit, else encoded."""
    stored: dict[int, np.ndarray] = {}
    for i, ev in enumerate(evidence):
        v = stored_of(ev.chunk)
        if v is not None and len(v) == len(ev.chunk.units) and ev.chunk.units:
            stored[i] = v
    out: list[np.ndarray | None] = []
    missing: list[int] = []
    seen: dict[int, int] = {}
    for j, u in enumerate(units):
        k = seen.get(u.evidence, 0)
        seen[u.evidence] = k + 1
        if u.evidence in stored and k < len(stored[u.evidence]):
            out.append(stored[u.evidence][k])
        else:
            out.append(None)
            missing.append(j)
    if missing:
        encoded = np.asarray(encode([text_of(evidence[units[j].evidence], units[j]) for j in missing]), dtype=np.float32)
        for j, vec in zip(missing, encoded):
            out[j] = vec
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(out).astype(np.float32)


def citation(n: int, ev: Evidence, start: int, end: int, score: float) -> Citation:
    """A citation of page span [start, end) inside `ev`'s chunk (offsets are page offsets)."""
    c = ev.chunk
    quote = c.text[start - c.start : end - c.start]
    return Citation(
        n=n, doc_id=c.doc_id, title=c.title, organisation=c.organisation, section=c.section,
        page=c.page, quote=quote, start=start, end=end, chunk_id=c.chunk_id, score=round(score, 4),
    )
