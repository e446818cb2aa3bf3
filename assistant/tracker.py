"""The one commitments query: typed rows, one filter model, shared by the API, the CSV, the tab and chat.

Rows are made at ingest (`ingest.tracker`) and kept in each document's docstore metadata,
so they are replaced and deleted with the document and inherit its audience: a principal
only ever sees rows of documents their role may read. Every reader goes through
`list_commitments(kb, principal, filters)` with a `CommitmentFilters`, so the count chat
states for a question is the count the tab and `GET /api/commitments` show for the same
filters — one truth instead of four numbers.
"""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from assistant.knowledge import KnowledgeBase
from assistant.models import Filters, Principal
from assistant.tabular import rows_csv
from assistant.tracker_match import owner_matches, resolve_status, topic_matches, topic_parts
from assistant.units import terms
from ingest.tracker import TRACKER_VERSION, extract_tracker_rows

Kind = Literal["pledge", "target", "milestone", "action", "decision"]
KINDS: tuple[str, ...] = ("pledge", "target", "milestone", "action", "decision")
Status = Literal["open", "done", "unknown"]
NOT_STATED = "not stated"


class Commitment(BaseModel):
    """One pledge, target, milestone, action or decision, quoted verbatim from its page."""

    id: str = Field(description="Stable address: doc_id#page:start")
    text: str = Field(description="What: verbatim, the page text[start:end]")
    kind: Kind = Field(description="pledge (we will do), target (an end state), milestone (a step of the plan's own "
                                   "process), action or decision (from minutes)")
    owner: str | None = Field(None, description="The post, body or person the text names; None when not stated")
    owner_role: str | None = Field(None, description="Minutes: the posts the owner stands for (\"Heather\" → "
                                                     "Headteacher, by the minutes' roster)")
    status: Status | None = Field(None, description="Actions: done / open as the minutes record it (a later "
                                                    "meeting's action log wins); unknown when later minutes are silent")
    status_text: str | None = Field(None, description="The minutes' words the status rests on, verbatim")
    status_meeting: str | None = Field(None, description="YYYY-MM-DD of the meeting that recorded the status")
    status_id: str | None = Field(None, description="Address of the status evidence (doc_id#page:start)")
    log: bool = Field(False, exclude=True)  # an action-log entry (folded into the action it reports on)
    context: str = Field("", exclude=True)  # minutes: the sentences before the row, for topic search
    _evidence: "Commitment | None" = PrivateAttr(default=None)

    def take_status(self, entry: "Commitment") -> None:
        """The status a minutes entry records for this action (a later action log's, or its own words)."""
        self.status, self.status_text = entry.status, entry.text
        self.status_meeting, self.status_id, self._evidence = entry.meeting_date, entry.id, entry

    @property
    def status_evidence(self) -> "Commitment | None":
        """The row the status is quoted from, when it is another row (a later meeting's action log)."""
        return self._evidence if self._evidence is not None and self._evidence.id != self.id else None
    time_from: int | None = None
    time_to: int | None = None
    date: str | None = Field(None, description="YYYY-MM for a dated milestone or deadline")
    meeting_date: str | None = Field(None, description="YYYY-MM-DD of the meeting, for actions and decisions")
    due_text: str | None = Field(None, description="A deadline as written when it is not a date (\"asap\")")
    theme: str = ""
    doc_id: str
    title: str
    organisation: str
    doc_type: str = ""
    audience: str
    page: int
    start: int
    end: int
    section: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner_label(self) -> str:
        if self.owner and self.owner_role and self.owner_role.lower() not in self.owner.lower():
            return f"{self.owner} ({self.owner_role})"
        return self.owner or NOT_STATED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due(self) -> int | None:
        """The year it is due: a milestone's year, else the end of its period."""
        return int(self.date[:4]) if self.date else self.time_to

    @computed_field  # type: ignore[prop-decorator]
    @property
    def when(self) -> str:
        if self.date:
            return self.date
        if self.time_from is not None and self.time_to is not None:
            return str(self.time_to) if self.time_from == self.time_to else f"{self.time_from}–{self.time_to}"
        if self.time_to is not None:
            return f"by {self.time_to}"
        if self.time_from is not None:
            return f"from {self.time_from}"
        return self.due_text or ""

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


CommitmentView = Commitment  # the name the first tracker used


class CommitmentFilters(Filters):
    """Every filter of the tracker; the API's query string, the tab's inputs and chat questions all map here.

    The document filters (organisation, doc_type, doc_id) are the ask request's own `Filters`."""

    model_config = ConfigDict(extra="forbid")

    kind: list[Kind] | None = Field(None, description="Repeat for several kinds")
    year: int | None = Field(None, description="In force that year")
    year_from: int | None = Field(None, description="Years overlapping year_from..year_to")
    year_to: int | None = None
    due_by: int | None = Field(None, description="Due in or before this year")
    theme: str | None = Field(None, description="Case-insensitive substring of the theme")
    owner: str | None = Field(None, description="A post (\"head\", \"HT\", \"clerk\": matched by its names and "
                                               "the minutes' roster) or a substring of the owner; \"not stated\" for none")
    status: list[Status] | None = Field(None, description="Actions' status; repeat for several")
    q: str | None = Field(None, description="Every word (stemmed, or any variant of its vocabulary group, e.g. SIP = "
                                            "school improvement plan) must appear in the row, its section or document")

    @classmethod
    def from_request(cls, filters: Filters | None, **more) -> "CommitmentFilters":
        """A chat request's document filters plus what its question asks for."""
        base = filters.model_dump(exclude_none=True) if filters is not None else {}
        return cls(**{k: v or None for k, v in base.items()}, **more)

    def describe(self) -> str:
        """The filters in the tab's words: "Due by 2027 · Kind: pledge, target · Search: reading"."""
        parts = []
        if self.due_by is not None:
            parts.append(f"Due by {self.due_by}")
        if self.year is not None:
            parts.append(f"In force in {self.year}")
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"Years {self.year_from or '…'}–{self.year_to or '…'}")
        if self.kind:
            parts.append("Kind: " + ", ".join(self.kind))
        if self.status:
            parts.append("Status: " + ", ".join(self.status))
        for label, value in (("Organisation", self.organisation), ("Document", self.doc_id), ("Type", self.doc_type)):
            if value:
                parts.append(f"{label}: " + ", ".join(value))
        for label, value in (("Theme", self.theme), ("Owner", self.owner), ("Search", self.q)):
            if value:
                parts.append(f"{label}: {value}")
        return " · ".join(parts) or "no filters"


# -- rows -----------------------------------------------------------------------------------------

_cache: dict[tuple[str, str], list[dict]] = {}
_cache_lock = threading.Lock()


def stored_rows(node) -> list[dict]:
    """The document's stored rows; rows made by older rules (or none stored) are re-extracted once,
    cached by the document's source hash, so a rule change takes effect without a re-ingest."""
    m = node.metadata
    if m.get("tracker_version") == TRACKER_VERSION and "commitments" in m:
        return m["commitments"]
    key = (node.node_id, m.get("source_hash", "") + TRACKER_VERSION)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = extract_tracker_rows(node.document())
        return _cache[key]


def readable_documents(kb: KnowledgeBase, principal: Principal):
    """(doc_id, stored document) of every document the principal's role may read."""
    for doc in kb.readable_documents(principal):
        yield doc.doc_id, doc


def all_commitments(kb: KnowledgeBase, principal: Principal) -> list[Commitment]:
    """Every row the principal may read; actions carry their status as the minutes they may read record it."""
    out = []
    for doc_id, node in readable_documents(kb, principal):
        m = node.metadata
        for c in stored_rows(node):
            kind = c.get("kind")
            out.append(Commitment(
                id=f"{doc_id}#{c['page']}:{c['start']}", title=m.get("title", ""), doc_type=m.get("doc_type", ""),
                organisation=m.get("organisation", ""), audience=m.get("audience", "all"),
                **{k: c.get(k) for k in ("text", "doc_id", "page", "start", "end", "section", "owner", "time_from",
                                         "time_to", "date", "meeting_date", "due_text", "owner_role", "status")},
                theme=c.get("theme") or "", kind=kind if kind in KINDS else "pledge",
                log=bool(c.get("log")), context=c.get("context") or "",
            ))
    return resolve_status(out)


def _overlaps(c: Commitment, lo: int | None, hi: int | None) -> bool:
    span = c.span
    if span is None:
        return False
    return (lo is None or span[1] >= lo) and (hi is None or span[0] <= hi)


def _lower(values: list[str] | None) -> set[str]:
    return {v.lower() for v in values or [] if v}


def matches(c: Commitment, f: CommitmentFilters, q_parts: list | None = None) -> bool:
    """Does one row pass every filter? (The definition each reader shares.)"""
    if (orgs := _lower(f.organisation)) and c.organisation.lower() not in orgs:
        return False
    if (docs := _lower(f.doc_id)) and c.doc_id.lower() not in docs:
        return False
    if (types := _lower(f.doc_type)) and c.doc_type.lower() not in types:
        return False
    if f.kind and c.kind not in f.kind:
        return False
    if f.year is not None and not _overlaps(c, f.year, f.year):
        return False
    if (f.year_from is not None or f.year_to is not None) and not _overlaps(c, f.year_from, f.year_to):
        return False
    if f.due_by is not None and (c.due is None or c.due > f.due_by):
        return False
    if f.theme and f.theme.lower() not in c.theme.lower():
        return False
    if f.status and c.status not in f.status:
        return False
    if f.owner:
        if f.owner.strip().lower() == NOT_STATED:
            if c.owner:
                return False
        elif not owner_matches(f.owner, c.owner, c.owner_role):
            return False
    q_parts = topic_parts(f.q) if q_parts is None and f.q else (q_parts or [])
    if q_parts:
        hay = " ".join([c.text, c.section, c.theme, c.owner or "", c.owner_role or "", c.title, c.organisation,
                        c.context])
        if not topic_matches(q_parts, hay, terms(hay)):
            return False
    return True


def list_commitments(kb: KnowledgeBase, principal: Principal, filters: CommitmentFilters | None = None,
                     **fields) -> list[Commitment]:
    """Rows the principal may see that pass `filters` (or the same fields as keywords), ordered by
    organisation, document, due year and position — the order chat groups them in."""
    f = filters if filters is not None else CommitmentFilters(
        **{k: ([v] if isinstance(v, str) and k in ("organisation", "doc_id", "doc_type", "kind") else v)
           for k, v in fields.items()})
    q_parts = topic_parts(f.q) if f.q else []
    rows = [c for c in all_commitments(kb, principal) if matches(c, f, q_parts)]
    return sorted(rows, key=lambda c: (c.organisation, c.title, c.due or 9999, c.page, c.start))


def chunk_id_for(kb: KnowledgeBase, doc_id: str, page: int, start: int) -> str:
    """The indexed chunk holding a span, so a tracker citation opens like any other."""
    return kb.docs.chunk_at(doc_id, page, start)


CSV_COLUMNS = ["organisation", "title", "kind", "when", "owner_label", "status", "text", "section", "theme", "time_from",
               "time_to", "date", "meeting_date", "status_text", "status_meeting", "doc_id", "page", "start", "end", "id"]


def to_csv(rows: list[Commitment]) -> str:
    """The rows as CSV, in the same order and with the same values as the JSON API."""
    return rows_csv(rows, CSV_COLUMNS)
