"""Follow-up suggestions drawn from the structure of the documents an answer cites.

A suggestion is only useful if the documents can answer it, so none is invented:
each names a real heading next to a cited passage (the next or previous sibling
section, a sub-section, or a sibling of the parent) in the same document, phrased
as "What does <title> say about <heading>?". The onboarding path's default topics
are built the same way (`headings_of`).
"""

from __future__ import annotations

from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Principal
from assistant.units import terms
from ingest.models import SECTION_SEP

Path = tuple[str, ...]


def headings_of(kb: KnowledgeBase, doc_id: str, principal: Principal | None = None) -> list[tuple[Path, int]]:
    """(section path, level) of every heading of a document, in reading order; [] if unseen or forbidden."""
    node = kb.ingestor.docstore.get_document(doc_id, raise_error=False)
    if node is None:
        return []
    audiences = principal.audiences if principal is not None else ("all",)
    if node.metadata.get("audience", "all") not in audiences:
        return []
    out: list[tuple[Path, int]] = []
    for page in node.metadata.get("pages", []):
        for b in page["blocks"]:
            if b["kind"] == "heading":
                path = tuple(b["section"])
                if path and path not in (p for p, _ in out):
                    out.append((path, int(b.get("level") or len(path))))
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


def suggest_followups(answer: Answer, kb: KnowledgeBase, principal: Principal, n: int = 3) -> list[str]:
    """Up to `n` questions about sections neighbouring the cited passages (never the cited ones)."""
    cited = {(c.doc_id, c.section) for c in answer.citations}
    asked = terms(answer.query) if answer.query else set()
    out: list[str] = []
    for c in answer.citations:
        paths = [p for p, _ in headings_of(kb, c.doc_id, principal)]
        path = tuple(c.section.split(SECTION_SEP)) if c.section else ()
        for near in neighbours(paths, path):
            heading = near[-1]
            if (c.doc_id, SECTION_SEP.join(near)) in cited or same_as_title(heading, c.title):
                continue
            if asked and terms(heading) and terms(heading) <= asked:  # that is what was just asked
                continue
            q = question_for(c.title, heading)
            if q not in out:
                out.append(q)
            if len(out) >= n:
                return out
    return out
