"""Follow-up suggestions drawn from the structure of the documents an answer cites.

A suggestion is only useful if the documents can answer it, so none is invented:
each names a real heading next to a cited passage (the next or previous sibling
section, a sub-section, or a sibling of the parent) in the same document, phrased
as "What does <title> say about <heading>?". The onboarding path's default topics
are built the same way (`headings_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Citation, Principal, Sentence
from assistant.access import PUBLIC
from assistant.units import terms
from ingest.models import SECTION_SEP

Path = tuple[str, ...]


def headings_of(kb: KnowledgeBase, doc_id: str, principal: Principal | None = None) -> list[tuple[Path, int]]:
    """(section path, level) of every heading of a document, in reading order; [] if unseen or forbidden.

    Without a principal only documents for everyone (`PUBLIC`) count."""
    out: list[tuple[Path, int]] = []
    for h in kb.headings(doc_id, principal if principal is not None else PUBLIC):
        if h.path and h.path not in (p for p, _ in out):
            out.append((h.path, h.level))
    return out


def nice(heading: str) -> str:
    """ "PHASE 3: IMPROVE" → "Phase 3: Improve"; other headings as written."""
    letters = [c for c in heading if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return " ".join(w if len(w.strip("&:.,-")) <= 4 else w.capitalize() for w in heading.split())
    return heading


def question_for(title: str, heading: str) -> str:
    return f"What does {title} say about {nice(heading)}?"


def same_as_title(heading: str, title: str) -> bool:
    """A heading that just repeats the document's title ("Luton 2040 ... Strategy for Success")."""
    h, t = terms(heading), terms(title)
    return bool(h) and len(h & t) / max(len(h), len(t)) >= 0.8


def neighbours(paths: list[Path], path: Path) -> list[Path]:
    """Sections near `path`, nearest first: next sibling, first sub-section, previous sibling,
    the other siblings and sub-sections, then the parent's siblings."""
    while path and path not in paths:  # a pseudo-section (e.g. from a run-on list) → its real ancestor
        path = path[:-1]
    if not path:
        top = min((len(p) for p in paths), default=0)
        return [p for p in paths if len(p) == top]
    i = paths.index(path)
    after = [p for p in paths[i + 1:] if p[:-1] == path[:-1]]
    before = [p for p in reversed(paths[:i]) if p[:-1] == path[:-1]]
    children = [p for p in paths if p[:-1] == path]
    uncles = [p for p in paths if len(path) > 1 and p[:-1] == path[:-2] and p != path[:-1]]
    first = [x[0] for x in (after, children, before) if x]
    ordered = first + after[1:] + children[1:] + before[1:] + uncles
    return list(dict.fromkeys(ordered))


@dataclass(frozen=True)
class FollowUp:
    question: str
    doc_id: str
    path: Path


def followups(answer: Answer, kb: KnowledgeBase, principal: Principal, n: int = 3) -> list[FollowUp]:
    """Up to `n` sections neighbouring the cited passages (never the cited ones), with their questions."""
    cited = {(c.doc_id, c.section) for c in answer.citations}
    asked = terms(answer.query) if answer.query else set()
    out: list[FollowUp] = []
    for c in answer.citations:
        paths = [p for p, _ in headings_of(kb, c.doc_id, principal)]
        path = tuple(c.section.split(SECTION_SEP)) if c.section else ()
        for near in neighbours(paths, path):
            heading = near[-1]
            if (c.doc_id, SECTION_SEP.join(near)) in cited or same_as_title(heading, c.title):
                continue
            if terms(heading) and terms(heading) <= asked - terms(c.title):  # that is what was just asked
                continue
            q = question_for(c.title, heading)
            if q not in (f.question for f in out):
                out.append(FollowUp(q, c.doc_id, near))
            if len(out) >= n:
                return out
    return out


def suggest_followups(answer: Answer, kb: KnowledgeBase, principal: Principal, n: int = 3) -> list[str]:
    """Up to `n` questions about sections neighbouring the cited passages (never the cited ones)."""
    return [f.question for f in followups(answer, kb, principal, n)]


def section_answer(kb: KnowledgeBase, principal: Principal, doc_id: str, path: Path,
                   max_chars: int = 1500) -> Answer | None:
    """What a document says under one heading, quoted block by block (each a citation).

    A follow-up names a section exactly, so it is answered from that section rather than
    re-retrieved: the title words in "What does <title> say about <heading>?" would pull
    retrieval back to whatever section matches the title best. A section that is only a
    parent of sub-sections is answered with their headings.
    """
    doc = kb.stored(doc_id, principal)
    if doc is None:
        return None
    body, kids = [], []
    for page in doc.pages():
        for b in page.blocks:
            if b.kind != "heading" and b.section_path == path:
                body.append((page, b))
            elif b.kind == "heading" and b.section_path[:-1] == path:
                kids.append((page, b))
    chosen, size = [], 0
    for page, b in body or kids:
        if chosen and size + (b.end - b.start) > max_chars:
            break
        chosen.append((page, b))
        size += b.end - b.start
    if not chosen:
        return None
    citations, lines, sentences = [], [], []
    for n, (page, b) in enumerate(chosen, start=1):
        chunk = next((c.chunk_id for c in doc.chunks if c.page == page.number and c.start <= b.start < c.end), "")
        citations.append(Citation(n=n, doc_id=doc_id, title=doc.title, organisation=doc.organisation,
                                  section=SECTION_SEP.join(path if body else b.section_path),
                                  page=page.number, quote=b.text, start=b.start, end=b.end,
                                  chunk_id=chunk, score=1.0))
        lines.append(f"- {b.text} [{n}]" if b.kind == "list_item" or not body else f"{b.text} [{n}]")
        sentences.append(Sentence(text=b.text, citations=[n]))
    lead = (f"Under “{path[-1]}”, {doc.title} says:" if body else
            f"“{path[-1]}” in {doc.title} has {len(kids)} parts:")
    return Answer(answer=lead + "\n" + "\n".join(lines), citations=citations, sentences=sentences,
                  query=question_for(doc.title, path[-1]))
