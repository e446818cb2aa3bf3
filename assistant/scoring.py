"""How well each answer unit and each retrieved passage answers a question.

Shared by the composer (which passage to show, which of its sentences to mark) and the refusal
model (is anything here an answer at all?). Scores use the query vector from retrieval and the
unit vectors stored at ingest, so nothing is embedded here.

Term overlap is weighted by rarity in the corpus (IDF from the keyword index), and a question's
school terms count as present when any vocabulary variant is ("SENCO" finds "special
educational needs co-ordinator"): "what's our SEND non-negotiable?" is about *SEND* far more
than about *our*.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answer_types import AnswerType, expected_type
from assistant.models import Evidence
from assistant.units import STOPWORDS, WORD as WORDS, Unit, split_units, terms, unit_vectors
from assistant.vocabulary import QUESTION_WORD, Group, Vocabulary

PARAMS_FILE = Path(__file__).with_name("data") / "answering.json"
QUOTED = re.compile(r'"([^"]{3,})"')


@dataclass
class AnswerParams:
    """The composer's and the refusal model's parameters, fitted on the tune halves
    by `evals/fit_answering.py` (never edited by hand; the file records how it was fitted)."""

    overlap_weight: float = 0.3  # unit score: + w · IDF-weighted focus-term overlap
    section_weight: float = 0.1  # + w · overlap with the passage's title and section
    context_weight: float = 0.0  # + w · overlap of the unit with its neighbours (an answer spanning two lines)
    unit_context_mix: float = 0.0  # a unit's vector: this share read under its title and heading, the rest alone
    type_bonus: float = 0.15  # a unit holding the asked-for time / sum / grade
    quote_bonus: float = 0.3  # the question quotes the unit or its section
    rank_weight: float = 0.2  # passage score: + w · (1 - rank / n), the retrieval order
    coverage_weight: float = 0.2  # + w · focus-term coverage of the whole passage
    second_margin: float = 0.08  # another document's passage is shown when within this
    second_same_doc: float = 0.0  # 1: the runner-up passage may come from the same document too
    mark_margin: float = 0.08  # units within this of the best unit of a passage are marked
    whole_passage: float = 0.0  # a passage of at most this × its word budget is shown whole
    forward_bias: float = 0.0  # a window grows to the next line when it scores within this of the previous
    first_share: float = 0.6  # with two passages, the first's share of the word budget
    unit_model: dict[str, float] = field(default_factory=dict)  # logistic model over UNIT_FEATURES, "bias"
    refusal: dict[str, float] = field(default_factory=dict)  # logistic model: feature → weight, "bias"
    refusal_threshold: float = 0.5  # refuse when P(unanswerable) ≥ this
    fitted: str = ""  # how and on what the parameters were fitted

    @classmethod
    def load(cls, path: Path = PARAMS_FILE) -> "AnswerParams":
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, path: Path = PARAMS_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_params() -> AnswerParams:
    return AnswerParams.load()


def compound_parts(stems: set[str]) -> tuple[set[str], set[str]]:
    """A question word's stems split into the whole compound ("non-negoti") and its parts."""
    whole = {t for t in stems if "-" in t or "'" in t}
    return (whole, stems - whole) if whole else (stems, set())


@dataclass
class Focus:
    """One thing the question is about: a content term, or a vocabulary group it used."""

    stems: set[str]
    group: Group | None
    idf: float
    in_corpus: bool
    word: str = ""  # as the question wrote it

    def found_in(self, text: str, text_terms: set[str]) -> bool:
        if self.group is not None:
            return bool(self.stems & text_terms) or self.group.found_in(text)
        whole, parts = compound_parts(self.stems)
        # a compound is there whole, or by all its parts: "non-disadvantaged" is not "non-negotiable"
        return bool(whole & text_terms) or (bool(parts) and parts <= text_terms)

    @property
    def label(self) -> str:
        return self.group.variants[0] if self.group is not None else (self.word or min(self.stems))


@dataclass
class Scored:
    """Every unit of the evidence scored, and each passage's score."""

    units: list[Unit]
    passages: list[float]  # per evidence index
    focus: list[Focus]
    answer_type: AnswerType | None = None
    typed: list[Unit] = field(default_factory=list)  # units holding a value of answer_type
    cosines: list[float] = field(default_factory=list)  # per unit, cosine with the question
    coverage: list[float] = field(default_factory=list)  # per evidence index
    features: np.ndarray | None = None  # per unit, UNIT_FEATURES (what the unit model was fitted on)
    quoted: set[int] = field(default_factory=set)  # ids of units in (or under) a place the question quotes
    context: list[float] = field(default_factory=list)  # per unit, focus overlap of the unit with its neighbours

    @property
    def best_rank(self) -> float:
        return max((u.rank for u in self.units), default=-40.0)

    @property
    def best(self) -> float:
        return max((u.score for u in self.units), default=0.0)


def focus_of(question: str, vocabulary: Vocabulary, doc_freq, n_chunks: int) -> list[Focus]:
    """The question's focus terms with their rarity; `doc_freq(stem)` counts chunks holding it."""
    out = []
    n = max(n_chunks, 1)
    surface = {}
    for w in QUESTION_WORD.findall(question):
        for t in terms(w):
            surface.setdefault(t, w)
    for stems, group in vocabulary.focus_groups(question):
        whole, parts = compound_parts(stems)
        df = max((doc_freq(s) for s in whole), default=0)  # a compound is as rare as its rarest part, at most
        if parts and not df:
            df = min(doc_freq(s) for s in parts)
        if group is not None:  # a group is present where any variant is; a phrase at most where its rarest word is
            df = max([df] + [min(doc_freq(t) for t in ts) for v in group.variants if (ts := terms(v))])
        word = next((surface[t] for t in sorted(stems) if t in surface), "") if group is None else ""
        out.append(Focus(stems, group, math.log(1 + (n - df + 0.5) / (df + 0.5)), df > 0, word))
    return out


def weighted_overlap(focus: list[Focus], text: str, text_terms: set[str] | None = None) -> float:
    """IDF-weighted share of the focus terms that `text` mentions (`text_terms`: its `terms`, if known)."""
    total = sum(f.idf for f in focus)
    if total <= 0:
        return 0.0
    text_terms = terms(text) if text_terms is None else text_terms
    return sum(f.idf for f in focus if f.found_in(text, text_terms)) / total


def neighbourhood_overlap(focus: list[Focus], units: list[Unit], unit_terms: list[set[str]]) -> list[float]:
    """Per unit, the focus overlap of the unit read with its neighbours in the same passage.

    An answer often spans two lines ("Inclusive approaches are … a non-negotiable." then "The SEND
    strategy is …"): a line whose neighbours mention the rest of the question is a better anchor
    than an equally close line standing alone, and unlike whole-passage coverage a long passage
    does not get it for free. `unit_terms[k]` is `terms(units[k].text)`, computed once by the caller
    (words never join across units, so the neighbourhood's terms are the union of theirs).
    """
    out = []
    for k, u in enumerate(units):
        near = [j for j in range(max(k - 1, 0), min(k + 2, len(units))) if units[j].evidence == u.evidence]
        out.append(weighted_overlap(focus, " ".join(units[j].text for j in near),
                                    set().union(*(unit_terms[j] for j in near))))
    return out


UNIT_FEATURES = ("cos", "overlap", "section", "coverage", "rank_prior", "dense", "keyword", "typed", "untyped",
                 "log_words", "stop_ratio", "is_item", "quoted")


def unit_features(unit: Unit, cos: float, overlap: float, section: float, coverage: float, ev: Evidence,
                  n: int, top_keyword: float, typed: bool, wanted: bool, quoted: bool) -> list[float]:
    """What the unit model sees: meaning, words, place in the ranking, kind and readability of a unit.

    `stop_ratio` (function words per word) tells prose from keyword soup: a run of headings or a
    table of contents mentions every topic but answers none.
    """
    tokens = WORDS.findall(unit.text.lower())
    stop = sum(t in STOPWORDS for t in tokens) / max(len(tokens), 1)
    return [cos, overlap, section, coverage, 1.0 - ev.rank / max(n, 1), ev.dense or 0.0,
            (ev.keyword or 0.0) / top_keyword if top_keyword > 0 else 0.0, float(typed), float(wanted and not typed),
            math.log1p(len(tokens)), stop, float(unit.kind == "item"), float(quoted)]


def score(question: str, evidence: list[Evidence], query_vector: np.ndarray, focus: list[Focus],
          encode, params: AnswerParams, blocks=None) -> Scored:
    """Score every unit and every passage (see `AnswerParams` for the terms of each score)."""
    units = split_units(evidence, blocks)
    wanted = expected_type(question)
    if not units:
        return Scored([], [0.0] * len(evidence), focus, wanted)
    vectors = unit_vectors(evidence, units, encode, params.unit_context_mix)
    cosines = (vectors @ np.asarray(query_vector, dtype=np.float32)).tolist()
    quoted = [q.lower() for q in QUOTED.findall(question)]
    typed: list[Unit] = []
    named: set[int] = set()
    sections = [weighted_overlap(focus, f"{e.chunk.title} {e.chunk.section}") for e in evidence]
    coverage = [weighted_overlap(focus, f"{e.chunk.title} {e.chunk.section} {e.chunk.text}") for e in evidence]
    top_keyword = max((e.keyword or 0.0 for e in evidence), default=0.0)
    rows = []
    unit_terms = [terms(u.text) for u in units]
    context = neighbourhood_overlap(focus, units, unit_terms)
    for unit, cos, near, own_terms in zip(units, cosines, context, unit_terms):
        ev = evidence[unit.evidence]
        section = ev.chunk.section
        overlap = weighted_overlap(focus, unit.text, own_terms)
        unit.score = (cos + params.overlap_weight * overlap + params.section_weight * sections[unit.evidence]
                      + params.context_weight * near)
        is_quoted = any(q in section.lower() or q in unit.text.lower() for q in quoted)
        if is_quoted:
            named.add(id(unit))
            unit.score += params.quote_bonus  # the user (or the follow-up resolver) named this place
        has_type = wanted is not None and wanted.found_in(unit.text)
        if has_type:
            unit.score += params.type_bonus
            typed.append(unit)
        rows.append(unit_features(unit, cos, overlap, sections[unit.evidence], coverage[unit.evidence], ev,
                                  len(evidence), top_keyword, has_type, wanted is not None, is_quoted))
    features = np.asarray(rows, dtype=np.float32)
    if params.unit_model:
        w = np.asarray([params.unit_model.get(k, 0.0) for k in UNIT_FEATURES], dtype=np.float32)
        ranks = features @ w + params.unit_model.get("bias", 0.0)
    else:
        ranks = np.asarray([u.score for u in units])
    for unit, r in zip(units, ranks.tolist()):
        unit.rank = r
    passages = []
    n = len(evidence)
    for i in range(n):
        own = [u.rank for u in units if u.evidence == i]
        best = max(own) if own else -40.0
        if params.unit_model:  # rank and coverage are already among the unit model's features
            passages.append(best)
        else:
            passages.append(best + params.rank_weight * (1 - i / n) + params.coverage_weight * coverage[i])
    return Scored(units, passages, focus, wanted, typed, cosines, coverage, features, named, context)
