"""A synthetic multi-academy trust, generated straight to `Chunk`s, for scale benchmarks.

Real trust documents are few and slow to embed, so the scale benchmark (evals/scale.py)
needs a corpus it can make at any size in seconds, shaped like the real thing: many
schools, each with the usual policies and plans, numbered sections ("1. Aims", "Roles
and responsibilities", "Monitoring and review"), bullet lists, table rows, roles
(SENCO, Headteacher) and dated pledges ("by 2027"). Every chunk is one section's verbatim
text with page and offsets, so it passes through `chunk_to_node` like an ingested one.

Also here: `HashEmbedder`, a fast deterministic stand-in for MiniLM (signed feature hashing
of words into 384 dims), used where embedding the corpus for real would take hours. It
measures the index and the code around it, not retrieval quality.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from ingest.models import Chunk

PLACES = ("Ashfield", "Brookside", "Castleton", "Dunmore", "Elmwood", "Fairview", "Greenhill", "Hawthorn",
          "Ivybridge", "Juniper", "Kingsmead", "Larkrise", "Millbrook", "Northgate", "Oakwood", "Parkside",
          "Queensway", "Riverside", "Stonebridge", "Thornbury", "Upton", "Valley", "Westfield", "Yewtree")
KINDS = ("Primary School", "Academy", "C of E Primary", "Junior School", "Infant School", "High School",
         "Community College", "Nursery and Primary")
ROLES = ("Headteacher", "SENCO", "Designated Safeguarding Lead", "governing board", "trust board",
         "class teachers", "Deputy Headteacher", "attendance officer", "Chief Executive Officer",
         "business manager", "curriculum leads", "Chair of Governors")
SUBJECTS = ("pupils with SEND", "disadvantaged pupils", "attendance", "reading", "phonics", "mathematics",
            "behaviour", "wellbeing", "safeguarding training", "staff workload", "early years outcomes",
            "the curriculum", "parental engagement", "exclusions", "accessibility", "oracy")
VERBS = ("monitor", "review", "improve", "report on", "support", "evaluate", "lead", "coordinate")
AUDIENCES = ("all",) * 8 + ("staff", "governors")

#: (doc slug, title, doc_type, section headings). "{n}." numbering is added per document.
DOC_KINDS = (
    ("send-policy", "Special Educational Needs and Disabilities Policy", "policy",
     ("Aims", "Legislation and guidance", "Roles and responsibilities", "Identifying pupils with SEND",
      "Consulting parents", "Monitoring and review")),
    ("safeguarding-policy", "Child Protection and Safeguarding Policy", "policy",
     ("Aims", "Roles and responsibilities", "Recognising abuse", "Reporting concerns", "Training",
      "Monitoring and review")),
    ("behaviour-policy", "Behaviour Policy", "policy",
     ("Aims", "Roles and responsibilities", "Rewards", "Sanctions", "Suspensions and exclusions",
      "Monitoring and review")),
    ("attendance-policy", "Attendance Policy", "policy",
     ("Aims", "Expectations", "Roles and responsibilities", "Recording attendance", "Persistent absence",
      "Monitoring and review")),
    ("school-development-plan", "School Development Plan", "plan",
     ("Vision", "Priorities", "Actions and milestones", "Success criteria", "Monitoring and review")),
    ("pupil-premium-strategy", "Pupil Premium Strategy Statement", "plan",
     ("Aims", "Challenges", "Intended outcomes", "Activity this year", "Review of last year")),
    ("accessibility-plan", "Accessibility Plan", "plan",
     ("Aims", "Current good practice", "Action plan", "Monitoring and review")),
    ("staff-handbook", "Staff Code of Conduct", "policy",
     ("Aims", "Roles and responsibilities", "Professional conduct", "Monitoring and review")),
    ("governor-report", "Report to the Governing Board", "report",
     ("Summary", "Progress against priorities", "Finance", "Risks")),
)
DOC_AUDIENCE = {"staff-handbook": "staff", "governor-report": "governors"}


def school_name(i: int) -> str:
    return f"{PLACES[i % len(PLACES)]} {KINDS[(i // len(PLACES)) % len(KINDS)]} {i // (len(PLACES) * len(KINDS)) + 1}"


def _sentence(r: random.Random) -> str:
    role, subject, verb = r.choice(ROLES), r.choice(SUBJECTS), r.choice(VERBS)
    pattern = r.randrange(6)
    if pattern == 0:
        return f"The {role} will {verb} {subject} and report to the governing board each term."
    if pattern == 1:
        return f"We will {verb} {subject} by {r.randrange(2025, 2031)}, led by the {role}."
    if pattern == 2:
        return f"The {role} is responsible for making sure that {subject} is reviewed at least annually."
    if pattern == 3:
        return f"Our aim is that every pupil achieves well, and that {subject} improves year on year."
    if pattern == 4:
        return f"This section explains how the school will {verb} {subject} in line with statutory guidance."
    return f"Staff should raise any concern about {subject} with the {role} as soon as possible."


def _body(r: random.Random, heading: str, budget: int) -> str:
    """One section's text: a paragraph, then bullets or table rows, kept within `budget` words."""
    parts = [" ".join(_sentence(r) for _ in range(r.randrange(2, 5)))]
    style = r.randrange(3)
    if style == 0:
        parts += [f"- {_sentence(r)}" for _ in range(r.randrange(2, 6))]
    elif style == 1:
        parts.append("Priority | Action | Lead | By")
        parts += [f"{r.choice(SUBJECTS).capitalize()} | {r.choice(VERBS).capitalize()} provision | "
                  f"{r.choice(ROLES)} | {r.choice(('July', 'December', 'March'))} {r.randrange(2025, 2031)}"
                  for _ in range(r.randrange(2, 6))]
    if heading == "Monitoring and review":
        parts.append(f"This policy will be reviewed every {r.choice(('year', 'two years', 'three years'))} "
                     f"by the {r.choice(ROLES)}.")
    words, out = 0, []
    for part in parts:
        n = len(part.split())
        if words + n > budget:
            break
        out.append(part)
        words += n
    return "\n".join(out) if out else " ".join(parts[0].split()[:budget])


def generate(count: int, seed: int = 0, max_words: int = 170) -> list[Chunk]:
    """Exactly `count` chunks, the same for the same (count, seed)."""
    return list(iter_chunks(count, seed, max_words))


def iter_chunks(count: int, seed: int = 0, max_words: int = 170) -> Iterator[Chunk]:
    r = random.Random(seed)
    made, school = 0, 0
    while made < count:
        org = school_name(school)
        slug = f"school-{school:05d}"
        for kind, title, doc_type, headings in DOC_KINDS:
            doc_id = f"synth/{slug}/{kind}"
            audience = DOC_AUDIENCE.get(kind) or r.choice(AUDIENCES)
            full_title = f"{org} {title}"
            page, offset = 1, 0
            for n, heading in enumerate(headings, 1):
                sub = (f"{n}.1 The {r.choice(ROLES)}",) if heading == "Roles and responsibilities" else ()
                for path in ((f"{n}. {heading}",) + (sub if i else ()) for i in range(1 + len(sub))):
                    if made >= count:
                        return
                    text = _body(r, heading, max_words)
                    chunk_id = f"{doc_id}#{made:08d}"
                    yield Chunk(chunk_id, doc_id, text, page, offset, offset + len(text), path, full_title,
                                org, doc_type, audience, f"synth/{slug}/{kind}.pdf")
                    made += 1
                    offset += len(text) + 2
                    if r.random() < 0.35:
                        page, offset = page + 1, 0
        school += 1


def questions(n: int, schools: int, seed: int = 1) -> list[str]:
    """School-ish questions of the kinds users ask, about schools that exist in the corpus."""
    r = random.Random(seed)
    forms = (
        "Who is responsible for {s} at {o}?",
        "How often is the {d} reviewed at {o}?",
        "What does the {d} say about {s}?",
        "What are the aims of the {d}?",
        "What is the role of the {r} in {s}?",
        "How will {o} improve {s}?",
        "Which priorities in the school development plan relate to {s}?",
    )
    docs = ("SEND policy", "behaviour policy", "attendance policy", "accessibility plan", "safeguarding policy")
    return [r.choice(forms).format(s=r.choice(SUBJECTS), o=school_name(r.randrange(max(1, schools))),
                                   d=r.choice(docs), r=r.choice(ROLES)) for _ in range(n)]


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("the a an and or of to in for on is are be will by with that this at as it we our each".split())


class _HashModel:
    """Duck-types the slice of SentenceTransformer that Ethos calls: `encode` and `tokenizer`."""

    def __init__(self, dim: int = 384, taps: int = 8) -> None:
        self.dim, self.taps = dim, taps
        self._vocab: dict[str, int] = {}
        self._dims = np.zeros((0, taps), dtype=np.int64)
        self._signs = np.zeros((0, taps), dtype=np.float32)

    def _id(self, word: str) -> int:
        i = self._vocab.get(word)
        if i is None:
            rng = np.random.default_rng(zlib.crc32(word.encode()))
            self._dims = np.vstack([self._dims, rng.integers(0, self.dim, (1, self.taps))])
            self._signs = np.vstack([self._signs, rng.choice((-1.0, 1.0), (1, self.taps)).astype(np.float32)])
            i = self._vocab[word] = len(self._vocab)
        return i

    def encode(self, texts: list[str], batch_size: int = 0, normalize_embeddings: bool = True,
               show_progress_bar: bool = False, **_: Any) -> np.ndarray:
        rows, ids = [], []
        for row, text in enumerate(texts):
            got = [self._id(w) for w in _WORD.findall(text.lower()) if w not in _STOP]
            ids.extend(got)
            rows.extend([row] * len(got))
        out = np.zeros(len(texts) * self.dim, dtype=np.float64)
        if ids:
            idx = np.asarray(ids)
            flat = (np.asarray(rows)[:, None] * self.dim + self._dims[idx]).ravel()
            out = np.bincount(flat, weights=self._signs[idx].ravel(), minlength=len(texts) * self.dim)
        vecs = out.reshape(len(texts), self.dim).astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms == 0, 1.0, norms)

    def tokenizer(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


class HashEmbedder(BaseEmbedding):
    """llama-index embedder over `_HashModel`, so the app's query path runs unchanged."""

    embed_batch_size: int = 512
    _model: _HashModel = PrivateAttr(default_factory=_HashModel)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.encode([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._model.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(texts).tolist()
