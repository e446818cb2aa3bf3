"""Checking a model's sentences against the evidence, one sentence at a time, as they stream.

Read the way a person checks an answer against its sources:
- a sentence that cites passages is compared with each of them, and with them *together*
  (a list drawn from four passages is supported by the four, not by any one);
- a sentence that cites nothing but says what a passage says is attached to that passage
  (small models often forget the markers); one that no passage carries is flagged;
- a sentence with no content of its own ("Every lesson looks like this: [1][3]", "In summary:")
  is a connective, never an answer;
- "not in the documents", however it is worded, is recognised as a refusal.
Support is "a passage says something this close" (embedder cosine plus stemmed term overlap,
numbers checked literally), not entailment: see the thresholds below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pysbd

from assistant.extractive import Encoder
from assistant.models import Evidence
from assistant.units import BULLET, Unit, overlap, split_units, terms

#: Support of a sentence by one passage of the evidence (a sentence, list item or whole
#: bulleted list), measured on the demo corpus with MiniLM: faithful paraphrases score cosine
#: 0.69-1.0 against their source, fabrications that reuse the topic's vocabulary ("the Trust
#: will close all of its schools in Dudley") 0.47-0.63. So a sentence is supported when a
#: passage is close in meaning on its own (cosine ≥ 0.75), or close enough (≥ 0.5) while
#: sharing most of the sentence's content terms (≥ 0.6, stemmed, stopwords removed).
SUPPORT_COSINE = 0.75
PARAPHRASE_COSINE = 0.5
PARAPHRASE_OVERLAP = 0.6
#: A connective: at most this many content terms and words, no digits.
CONNECTIVE_TERMS = 2
OVERLAP_WEIGHT = 0.3  # term overlap's weight beside cosine when ranking passages, as in extractive scoring
CONNECTIVE_WORDS = 8

MARKER_GROUP = re.compile(r"([ \t]*)\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
DIGITS = re.compile(r"\d+")
#: A marker followed by a capital ends a sentence even without a full stop ("… 2027 [5] By 2027 …").
AFTER_MARKER = re.compile(r"(?<=\])[ \t]+(?=[A-Z])")
LETTER = re.compile(r"[A-Za-z]")
REFUSAL_WORDING = re.compile(
    r"\b(?:(?:do|does|did)(?:n't| not) (?:explicitly |specifically |directly )?"
    r"(?:say|cover|mention|specify|state|contain|include|provide|address|give|list|answer)"
    r"|(?:is|are|was|were)(?:n't| not) (?:explicitly |specifically |directly |clearly )?"
    r"(?:mentioned|stated|specified|provided|covered|given|included|listed|addressed|available)"
    r"|no (?:specific |explicit |relevant |further )?(?:information|mention|details?|data)"
    r"|(?:cannot|can't|can not|unable to|not able to) (?:find|answer|determine|provide|tell|say)"
    r"|i (?:don't|do not) know|not in the (?:documents|evidence|passages))\b",
    re.I,
)
_segmenter = pysbd.Segmenter(language="en", clean=False)
Kind = Literal["claim", "connective", "refusal"]


@dataclass
class Passage:
    number: int  # 1-based evidence number, as in the prompt
    text: str
    start: int  # page offsets
    end: int


@dataclass
class Judged:
    """One sentence of the reply, checked."""

    lead: str  # layout before it: "", " ", "\n", "\n- " …
    text: str  # markers removed
    kind: Kind
    numbers: list[int] = field(default_factory=list)  # evidence it rests on (prompt numbering)
    supported: bool = True
    best: dict[int, tuple[float, Passage]] = field(default_factory=dict)  # per evidence number
    attached: bool = False  # cited nothing; Ethos found the passage


def spans(text: str) -> list[tuple[str, str]]:
    """(layout before, raw sentence) for each sentence or list item of `text`, in order.

    A marker group that pysbd put at the start of the next sentence ("... today. [2] Next")
    is moved back to the sentence it ends."""
    out: list[tuple[str, str]] = []
    newlines = 0
    for line in text.split("\n"):
        bullet = BULLET.match(line)
        body = line[bullet.end():] if bullet else line
        if not body.strip():
            newlines += 1
            continue
        prefix, first_on_line = (bullet.group(0).strip() + " " if bullet else ""), True
        for segment in [seg for part in AFTER_MARKER.split(body) for seg in _segmenter.segment(part)]:
            lead = LEADING_MARKERS.match(segment)
            if lead and out:
                out[-1] = (out[-1][0], out[-1][1] + lead.group(0))
                segment = segment[lead.end():]
            if not segment.strip():
                continue
            if not out:
                layout = prefix
            elif first_on_line:
                layout = "\n" * min(max(newlines, 1), 2) + prefix
            else:
                layout = " "
            out.append((layout, segment.strip()))
            first_on_line = False
        newlines = 1
    return out


def complete(text: str) -> tuple[list[tuple[str, str]], int]:
    """The sentences of a growing reply that can no longer change, and how many are pending.

    The last sentence is only complete once the next one has begun (its markers may still be
    on their way); `finish` takes the rest at the end of the stream."""
    found = spans(text)
    if len(found) >= 2 and LETTER.search(MARKER_GROUP.sub("", found[-1][1])):
        return found[:-1], 1
    return [], len(found)


def numbers_in(sentence: str) -> list[int]:
    seen: list[int] = []
    for m in MARKER_GROUP.finditer(sentence):
        seen += [int(x) for x in re.findall(r"\d+", m.group(2)) if int(x) not in seen]
    return seen


def strip_markers(sentence: str) -> str:
    text = MARKER_GROUP.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return " ".join(text.split())


def is_refusal_text(sentence: str) -> bool:
    return bool(REFUSAL_WORDING.search(sentence.replace("’", "'")))


def is_connective(sentence: str) -> bool:
    """No claim of its own: a few words ("In summary:"), or an introduction to the list after it."""
    if sentence.rstrip().endswith(":"):
        return True
    return (len(terms(sentence)) <= CONNECTIVE_TERMS and len(sentence.split()) <= CONNECTIVE_WORDS
            and not DIGITS.search(sentence))


class Grounder:
    """Holds the evidence's passages and their vectors; judges sentences one at a time."""

    def __init__(self, evidence: list[Evidence], encode: Encoder) -> None:
        self.evidence, self.encode = evidence, encode
        self.passages = passages(evidence)
        self.vectors = np.asarray(encode([p.text for p in self.passages])) if self.passages else np.zeros((0, 1))

    def judge(self, lead: str, raw: str) -> Judged:
        text = strip_markers(raw)
        cited = [n for n in numbers_in(raw) if 1 <= n <= len(self.evidence)]
        if not LETTER.search(text):
            return Judged(lead, text, "connective")
        if not cited and is_refusal_text(text):
            return Judged(lead, text, "refusal")
        if lead.strip() and len(text.split()) <= CONNECTIVE_WORDS and not cited:
            item = self._short_item(lead, text)  # "- STABILISE": a list item named in a passage
            if item is not None:
                return item
        if is_connective(text):
            return Judged(lead, text, "connective")
        vec = np.asarray(self.encode([text]))[0]
        s_terms = terms(text)
        scores = [(float(self.vectors[j] @ vec), overlap(s_terms, p.text)) for j, p in enumerate(self.passages)]
        best: dict[int, tuple[float, Passage]] = {}
        for (cos, ov), p in zip(scores, self.passages):
            score = cos + OVERLAP_WEIGHT * ov
            if score > best.get(p.number, (-9.0, p))[0]:
                best[p.number] = (score, p)
        if cited:
            close = any(_close(*scores[j]) for j, p in enumerate(self.passages) if p.number in cited)
            if not close and len(cited) > 1:
                close = self._together(text, s_terms, [best[n][1] for n in cited if n in best])
            supported = close and self._numbers_found(text, cited)
            judged = Judged(lead, text, "claim", cited, supported, {n: best[n] for n in cited if n in best})
        else:
            ranked = sorted(range(len(self.passages)), key=lambda j: -(scores[j][0] + OVERLAP_WEIGHT * scores[j][1]))
            hit = next((self.passages[j].number for j in ranked[:3] if _close(*scores[j])
                        and self._numbers_found(text, [self.passages[j].number])), None)
            judged = (Judged(lead, text, "claim", [hit], True, {hit: best[hit]}, attached=True) if hit
                      else Judged(lead, text, "claim", [], False))
        if not judged.supported and is_refusal_text(text):
            return Judged(lead, text, "refusal")
        return judged

    def _short_item(self, lead: str, text: str) -> Judged | None:
        """A short list item is supported by a passage that contains all of its words: too short
        for an embedding to judge, and faithful exactly when the documents name it."""
        wanted = terms(text)
        if not wanted:
            return None
        holding = [p for p in self.passages if wanted <= terms(p.text) and set(DIGITS.findall(text)) <= set(
            DIGITS.findall(p.text))]
        if not holding:  # "PHASE 1: STABILISE" may be the heading the chunk sits under
            holding = [p for p in self.passages if wanted <= terms(self.evidence[p.number - 1].chunk.section)]
        if not holding:
            return None
        best = min(holding, key=lambda p: len(p.text))  # the most specific passage naming it
        return Judged(lead, text, "claim", [best.number], True, {best.number: (1.0, best)}, attached=True)

    def _together(self, text: str, s_terms: set[str], cited: list[Passage]) -> bool:
        """Several cited passages read as one: the sentence against their joined text."""
        joined = " ".join(p.text for p in cited)
        vecs = np.asarray(self.encode([text, joined]))
        return _close(float(vecs[0] @ vecs[1]), overlap(s_terms, joined))

    def _numbers_found(self, sentence: str, cited: list[int]) -> bool:
        """Every number in the sentence (a year, a count, a percentage) appears in what it cites.

        Invented figures are the commonest hallucination and the one an embedding barely
        notices ("by 2030" vs "by 2027"), so they are checked literally."""
        wanted = set(DIGITS.findall(sentence))
        if not wanted:
            return True
        have: set[str] = set()
        for n in cited:
            c = self.evidence[n - 1].chunk
            have |= set(DIGITS.findall(f"{c.title} {c.section} {c.page} {c.text}"))
        return wanted <= have


def _close(cos: float, ov: float) -> bool:
    return cos >= SUPPORT_COSINE or (cos >= PARAPHRASE_COSINE and ov >= PARAPHRASE_OVERLAP)


def passages(evidence: list[Evidence]) -> list[Passage]:
    """What a sentence is compared with: each unit of the evidence chunks, plus each whole
    bulleted list, since "the values are A, B and C" is supported by the list, not by any item."""
    out: list[Passage] = []
    runs: dict[tuple[int, int], list[Unit]] = {}
    for u in split_units(evidence):
        out.append(Passage(u.evidence + 1, u.text, u.start, u.end))
        if u.run >= 0:
            runs.setdefault((u.evidence, u.run), []).append(u)
    for (idx, _), members in runs.items():
        if sum(m.kind == "item" for m in members) >= 2:
            c = evidence[idx].chunk
            start, end = members[0].start, members[-1].end
            out.append(Passage(idx + 1, c.text[start - c.start : end - c.start], start, end))
    return out
