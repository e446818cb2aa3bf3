"""Answer units of a chunk: its sentences, list items and table rows, segmented and embedded at ingest.

An extractive answer is made of units, and the composer scores every unit of the retrieved
chunks against the question. Doing the segmentation and the embedding here, once per chunk at
ingest, means a question costs one query embedding plus a few dot products instead of embedding
every evidence sentence at question time (0.5–0.8 s a question before, on two cores).

The spans and vectors travel in the chunk's Chroma metadata (compact JSON and int8-quantised
base64), so they are written, replaced and deleted with their chunk by the same pipeline step:
no second store can drift out of step with Chroma, in embedded or in server mode.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pysbd

from ingest.models import SECTION_SEP, Block

_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
BULLET = re.compile(r"^\s*(?:[-•*·▪◦●o]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
#: A table-of-contents line ("Sanctions ........ 4"): it names a section, it never answers.
TOC_LINE = re.compile(r"(?:\.{3,}|…+|_{3,}|\s{4,})\s*\d{1,3}\s*$")
#: chunk metadata keys, never embedded or shown: spans, each unit's vector, and its vector read in context
UNITS_KEY, VECTORS_KEY, CONTEXT_VECTORS_KEY = "units", "unit_vectors", "unit_context_vectors"


def in_context(title: str, section_path: Sequence[str], text: str) -> str:
    """A unit as a reader meets it: under its document's title and its own heading.

    A list item alone ("Clear roles and responsibilities communicated…") does not say which
    plan or which phase it belongs to, yet staff ask by those ("when a school is being put
    right, how…", "what does the Luton plan say about…"). Its vector read with the title and
    heading carries that; the composer mixes the two vectors (`AnswerParams.unit_context_mix`).
    """
    head = f"{title}{SECTION_SEP}{section_path[-1]}" if section_path else title
    return f"{head}: {text.strip()}" if head else text.strip()


@dataclass(frozen=True)
class UnitSpan:
    """One answer unit: page offsets [start, end) of its chunk's page."""

    kind: str  # "sentence" | "item" (a list item or table row)
    start: int
    end: int
    run: int = -1  # list run within the chunk (items, and the sentence introducing them)
    intro: bool = False  # a sentence right before a list: "…we are committed to:"


def segment(text: str, offset: int, blocks: Sequence[tuple[str, int, int]]) -> list[UnitSpan]:
    """Units of `text` (the chunk text, starting at page offset `offset`) from its page blocks.

    `blocks` are (kind, start, end) page spans; list items and table rows are units as they are,
    paragraphs are split into sentences (long run-ons into word windows). Headings and
    table-of-contents lines are not units: they name a section, they never answer a question.
    """
    lo, hi = offset, offset + len(text)
    spans = [(k, max(s, lo), min(e, hi)) for k, s, e in blocks if e > lo and s < hi and k != "heading"]
    if not blocks:
        spans = guess_blocks(text, offset)
    elif not spans:
        spans = [("paragraph", lo, hi)]
    units: list[UnitSpan] = []
    run, prev = 0, ""
    for kind, start, end in spans:
        piece = text[start - lo : end - lo]
        if kind in ("list_item", "table_row"):
            if prev not in ("list_item", "table_row"):
                run += 1
                if units and units[-1].kind == "sentence":
                    last = units[-1]
                    units[-1] = UnitSpan(last.kind, last.start, last.end, run, True)
            stripped = piece.rstrip()
            lead = len(piece) - len(piece.lstrip())
            if stripped.strip() and not TOC_LINE.search(stripped):
                units.append(UnitSpan("item", start + lead, start + len(stripped), run))
        else:
            for seg in _segmenter.segment(piece):
                for s, e in _windows(seg.sent.rstrip(), start + seg.start):
                    if not TOC_LINE.search(text[s - lo : e - lo]):
                        units.append(UnitSpan("sentence", s, e))
        prev = kind
    return units


def guess_blocks(text: str, offset: int) -> list[tuple[str, int, int]]:
    """Line-based structure for text without a known layout: bulleted lines are list items."""
    out, pos = [], 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        marker = BULLET.match(line)
        if marker:
            out.append(("list_item", offset + start + marker.end(), offset + start + len(line.rstrip())))
        else:
            out.append(("paragraph", offset + start, offset + start + len(line)))
    return out


def _windows(sentence: str, offset: int, max_words: int = 45, size: int = 25) -> list[tuple[int, int]]:
    """A run-on "sentence" (slide transcripts have no full stops) is cut into word windows,
    so a unit is a readable span rather than a paragraph."""
    if not sentence.strip():
        return []
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence)]
    if len(words) <= max_words:
        return [(offset + words[0][0], offset + words[-1][1])]
    return [(offset + words[i][0], offset + words[min(i + size, len(words)) - 1][1])
            for i in range(0, len(words), size)]


def page_blocks(blocks: Sequence[Block]) -> list[tuple[str, int, int]]:
    return [(b.kind, b.start, b.end) for b in blocks]


# -- storage in chunk metadata ------------------------------------------------------------------
def encode_spans(units: Sequence[UnitSpan]) -> str:
    return json.dumps([[u.kind[0], u.start, u.end, u.run, int(u.intro)] for u in units], separators=(",", ":"))


def decode_spans(raw: str | None) -> tuple[UnitSpan, ...]:
    if not raw:
        return ()
    kinds = {"s": "sentence", "i": "item"}
    return tuple(UnitSpan(kinds[k], s, e, r, bool(n)) for k, s, e, r, n in json.loads(raw))


def encode_vectors(vectors: np.ndarray) -> str:
    """Unit-normalised float vectors as int8 (cosine error about 0.005) in base64."""
    q = np.clip(np.rint(np.asarray(vectors, dtype=np.float32) * 127.0), -127, 127).astype(np.int8)
    return f"{q.shape[1]}:" + base64.b64encode(q.tobytes()).decode("ascii")


def decode_vectors(raw: str | None) -> np.ndarray | None:
    if not raw:
        return None
    dim, _, payload = raw.partition(":")
    q = np.frombuffer(base64.b64decode(payload), dtype=np.int8).reshape(-1, int(dim))
    vectors = q.astype(np.float32) / 127.0
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)


Encoder = Callable[[list[str]], np.ndarray]
