"""The commitments tracker: what the documents promise, by when, and who does it.

Commitments are extracted at ingestion (`ingest.commitments`) and kept in each
document's docstore metadata, so they are replaced and deleted with the document
and inherit its audience: a principal only ever sees commitments of documents
their role may read. The same list backs the API (`/api/commitments`, CSV), the UI
tab and chat answers to "what have we committed to by 2027?", so all three agree.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterable

from pydantic import BaseModel, Field

from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Citation, Principal, Sentence
from assistant.units import terms
from ingest.commitments import extract_commitments
from ingest.nodes import from_llama_document

MAX_CITED = 60  # a chat answer lists at most this many; the tab and the CSV have them all


class CommitmentView(BaseModel):
    id: str = Field(description="Stable address: doc_id#page:start")
    text: str = Field(description="Verbatim: the page text[start:end]")
    doc_id: str
    title: str
    organisation: str
    audience: str
    page: int
    start: int
    end: int
    section: str
    theme: str = ""
    owner: str | None = None
    time_from: int | None = None
    time_to: int | None = None
    date: str | None = Field(None, description="YYYY-MM for a dated milestone or deadline")
    kind: str = "sentence"

    @property
    def due(self) -> int | None:
        """The year it is due: a milestone's year, else the end of its period."""
        return int(self.date[:4]) if self.date else self.time_to

    @property
    def span(self) -> tuple[int, float] | None:
        """Years it is in force: "by 2027" is the year 2027, "from 2023" runs on from 2023."""
        if self.date:
            return int(self.date[:4]), int(self.date[:4])
        if self.time_from is None and self.time_to is None:
            return None
        lo = self.time_from if self.time_from is not None else self.time_to
        hi = self.time_to if self.time_to is not None else float("inf")
        return lo, hi


_cache: dict[tuple[str, str], list[dict]] = {}
_cache_lock = threading.Lock()


def _stored(node) -> list[dict]:
    """The document's stored commitments; documents ingested before they were stored are extracted
    on first use (cached by the document's source hash, so a re-ingested file is re-read)."""
    m = node.metadata
    if "commitments" in m:
        return m["commitments"]
    key = (node.node_id, m.get("source_hash", ""))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = extract_commitments(from_llama_document(node))
        return _cache[key]


def all_commitments(kb: KnowledgeBase, principal: Principal) -> list[CommitmentView]:
    docstore = kb.ingestor.docstore
    out = []
    for doc_id in kb.ingestor.document_ids():
        node = docstore.get_document(doc_id, raise_error=False)
        if node is None or node.metadata.get("audience", "all") not in principal.audiences:
            continue
        m = node.metadata
        for c in _stored(node):
            out.append(CommitmentView(
                id=f"{doc_id}#{c['page']}:{c['start']}", title=m.get("title", ""),
                organisation=m.get("organisation", ""), audience=m.get("audience", "all"),
                **{k: c.get(k) for k in ("text", "doc_id", "page", "start", "end", "section", "owner",
                                         "time_from", "time_to", "date")},
                theme=c.get("theme") or "", kind=c.get("kind") or "sentence",
            ))
    return out


def _overlaps(c: CommitmentView, lo: int | None, hi: int | None) -> bool:
    span = c.span
    if span is None:
        return False
    return (lo is None or span[1] >= lo) and (hi is None or span[0] <= hi)


def _values(v: str | Iterable[str] | None) -> list[str]:
    if v is None:
        return []
    return [x.lower() for x in ([v] if isinstance(v, str) else v) if x]


def list_commitments(
    kb: KnowledgeBase, principal: Principal, organisation: str | list[str] | None = None,
    doc_id: str | list[str] | None = None, year: int | None = None, year_from: int | None = None,
    year_to: int | None = None, theme: str | None = None, owner: str | None = None, q: str | None = None,
) -> list[CommitmentView]:
    """Commitments the principal may see, filtered; ordered by due year, then document order.

    `year` keeps those in force that year (a range covering it, a "by" year equal to it,
    a milestone in it); `year_from`/`year_to` keep those whose years overlap the range.
    `theme`, `owner` and `q` are case-insensitive substring filters (`q` on every word).
    """
    orgs, docs = _values(organisation), _values(doc_id)
    words = [w for w in (q or "").lower().split() if w]
    out = []
    for c in all_commitments(kb, principal):
        if orgs and c.organisation.lower() not in orgs:
            continue
        if docs and c.doc_id.lower() not in docs:
            continue
        if year is not None and not _overlaps(c, year, year):
            continue
        if (year_from is not None or year_to is not None) and not _overlaps(c, year_from, year_to):
            continue
        if theme and theme.lower() not in c.theme.lower():
            continue
        if owner and owner.lower() not in (c.owner or "").lower():
            continue
        hay = " ".join([c.text, c.section, c.theme, c.owner or "", c.title]).lower()
        if any(w not in hay for w in words):
            continue
        out.append(c)
    return sorted(out, key=lambda c: (c.due or 9999, c.title, c.page, c.start))


CSV_COLUMNS = ["organisation", "title", "section", "theme", "owner", "time_from", "time_to", "date",
               "text", "doc_id", "page", "start", "end"]


def to_csv(rows: list[CommitmentView]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for c in rows:
        writer.writerow(["" if getattr(c, k) is None else getattr(c, k) for k in CSV_COLUMNS])
    return buf.getvalue()


# -- chat: commitment questions answered from the tracker ---------------------------------------

_COMMIT_Q = re.compile(
    r"\b(?:commit(?:ted|ments?|s)?|pledge[sd]?|promis(?:e[sd]?|ing)|targets?|deadlines?|milestones?|timelines?"
    r"|due\s+(?:by|in|before)|what\s+(?:will|are)\s+we\s+(?:do|deliver|achiev|aim)\w*)\b", re.I)
_YEAR_Q = re.compile(r"\b(by|before|until|in|for|during|from|after)\s+(?:the\s+end\s+of\s+)?(20\d\d)\b", re.I)
#: Stemmed words that ask for commitments in general; what is left of a question is its topic.
_FRAME_WORDS = {"commit", "pledg", "promis", "target", "deadlin", "mileston", "timelin", "due", "trust",
                "school", "plan", "achiev", "deliv", "aim", "list", "made", "make", "year", "done", "gone",
                "need", "everi", "everyth", "current", "still", "outstand", "main", "key", "upcom"}


def is_commitment_question(question: str) -> bool:
    """A question the tracker answers better than retrieval: about commitments, pledges, promises,
    targets or deadlines, or "what is due by 2026"/"what will we achieve by 2027"."""
    return bool(_COMMIT_Q.search(question)) or bool(
        re.search(r"\b(?:by|before)\s+20\d\d\b", question, re.I)
        and re.search(r"\b(?:due|planned|plans?|promised?|achieve|deliver|happen)\b", question, re.I))


def _topic_terms(question: str) -> set[str]:
    text = _YEAR_Q.sub(" ", question)
    return {t for t in terms(text) if t not in _FRAME_WORDS and not t.isdigit()}


def _chunk_ids(kb: KnowledgeBase) -> dict[str, list[tuple[int, int, int, str]]]:
    out: dict[str, list[tuple[int, int, int, str]]] = {}
    corpus = kb.keyword.retriever.corpus if kb.keyword is not None else []
    for m in corpus:
        try:
            out.setdefault(m["doc_id"], []).append((int(m["page"]), int(m["start"]), int(m["end"]), m["node_id"]))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def answer_from_tracker(question: str, kb: KnowledgeBase, principal: Principal) -> Answer | None:
    """A list answer with one citation per commitment, or None when the tracker has nothing on it.

    A year in the question filters: "by 2027" keeps those due in or before 2027, "in 2025"
    those in force in 2025, "from 2024" those running in or after 2024. Other content words
    ("SEND", "Phase 2") keep commitments mentioning at least half of them, best first.
    """
    rows = list_commitments(kb, principal)
    scope = ""
    if m := _YEAR_Q.search(question):
        word, year = m.group(1).lower(), int(m.group(2))
        if word in ("by", "before", "until"):
            rows = [c for c in rows if c.due is not None and c.due <= year]
            scope = f" due by {year}"
        elif word in ("from", "after"):
            rows = [c for c in rows if _overlaps(c, year, None)]
            scope = f" running from {year}"
        else:
            rows = [c for c in rows if _overlaps(c, year, year)]
            scope = f" for {year}"
    topic = _topic_terms(question)
    if topic:
        need = max(1, (len(topic) + 1) // 2)
        scored = [(len(topic & terms(" ".join([c.text, c.section, c.theme, c.owner or "", c.title, c.organisation]))),
                   c) for c in rows]
        rows = [c for s, c in sorted(scored, key=lambda x: -x[0]) if s >= need]
    if not rows:
        return None
    chunks = _chunk_ids(kb)
    shown = _fair_share(rows, MAX_CITED)
    citations, sentences, lines, current = [], [], [], None
    for n, c in enumerate(shown, start=1):
        if c.doc_id != current:
            current = c.doc_id
            lines.append(f"\n{c.title} ({c.organisation}):")
        chunk_id = next((cid for p, s, e, cid in chunks.get(c.doc_id, []) if p == c.page and s <= c.start < e), "")
        citations.append(Citation(n=n, doc_id=c.doc_id, title=c.title, organisation=c.organisation,
                                  section=c.section, page=c.page, quote=c.text, start=c.start, end=c.end,
                                  chunk_id=chunk_id, score=1.0))
        when = _when(c)
        owner = f" (owner: {c.owner})" if c.owner else ""
        lines.append(f"- {c.text}{owner}{when} [{n}]")
        sentences.append(Sentence(text=c.text, citations=[n]))
    docs = len({c.doc_id for c in rows})
    lead = f"The documents record {len(rows)} commitment{'s' if len(rows) != 1 else ''}{scope} in {docs} " \
           f"document{'s' if docs != 1 else ''}:"
    more = f"\n\n…and {len(rows) - len(shown)} more in the Commitments tab." if len(rows) > len(shown) else ""
    return Answer(answer=lead + "\n".join(lines) + more, citations=citations, sentences=sentences)


def _fair_share(rows: list[CommitmentView], limit: int) -> list[CommitmentView]:
    """At most `limit` rows, taken round-robin by document so a long plan cannot crowd out the rest;
    grouped by document (in order of first appearance) for display."""
    by_doc: dict[str, list[CommitmentView]] = {}
    for c in rows:
        by_doc.setdefault(c.doc_id, []).append(c)
    keep: set[str] = set()
    queues = [list(v) for v in by_doc.values()]
    while len(keep) < min(limit, len(rows)):
        for q in queues:
            if q and len(keep) < limit:
                keep.add(q.pop(0).id)
    return [c for group in by_doc.values() for c in group if c.id in keep]


def _when(c: CommitmentView) -> str:
    if c.date:
        return f" — {c.date}"
    if c.time_from and c.time_to:
        return f" — {c.time_from}–{c.time_to}" if c.time_from != c.time_to else f" — {c.time_to}"
    if c.time_to:
        return f" — by {c.time_to}"
    if c.time_from:
        return f" — from {c.time_from}"
    return ""
