"""The policy review register: which document is due for review, which is overdue, and who reviews it.

Review metadata is read at ingest from each document's cover, headers, footers and tables
(`ingest.reviews`, stored with the document, so it carries its audience) and overlaid here
with what `sources.toml` says (`last_reviewed`, `next_review`, `review_cycle` in months or as
"annual"/"every 2 years", `reviewed_by`), which wins. A status is computed as of a `today`
the caller may inject (tests, "as of" reports): overdue, due within 90 days, current, or
unknown. The API, the CSV, the Reviews tab and chat all read `list_reviews`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Citation, Filters, Principal, Sentence
from assistant.tabular import rows_csv
from assistant.tracker import chunk_id_for, readable_documents
from assistant.units import terms
from ingest.manifest import load_manifest
from ingest.models import LoadError
from ingest.reviews import CYCLE_RX, Evidence, ReviewInfo, cycle_months, normalise_date
from ingest.tracker import TRACKER_VERSION, document_review

Status = Literal["overdue", "due within 90 days", "current", "unknown"]
STATUSES: tuple[str, ...] = ("overdue", "due within 90 days", "current", "unknown")
DUE_SOON_DAYS = 90
MANIFEST_KEYS = {"last_reviewed": "last_reviewed", "next_review": "next_review", "review_cycle": "cycle",
                 "reviewed_by": "reviewer"}


class ReviewEvidence(BaseModel):
    field: str
    page: int
    start: int
    end: int
    quote: str = Field(description="The cover/header line, exact characters of the page")


class ReviewRow(BaseModel):
    doc_id: str
    title: str
    organisation: str
    doc_type: str
    audience: str
    last_reviewed: str | None = Field(None, description="Last reviewed / approved / ratified / adopted: YYYY[-MM[-DD]]")
    next_review: str | None = Field(None, description="YYYY[-MM[-DD]]")
    next_review_source: Literal["document", "sources.toml", "last review + cycle"] | None = None
    cycle_months: int | None = None
    cycle: str | None = None
    reviewer: str | None = Field(None, description="The reviewing body or committee")
    status: Status
    days_to_due: int | None = Field(None, description="Days from today to the end of the due period; negative: overdue")
    evidence: list[ReviewEvidence] = Field(default_factory=list)
    from_manifest: list[str] = Field(default_factory=list, description="Fields stated by sources.toml")


class ReviewFilters(Filters):
    """The register's filters: the ask request's document `Filters` plus status and an as-of date."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] | None = Field(None, description="Repeat for several")
    today: date | None = Field(None, description="Compute status as of this date (default: today)")


def due_date(value: str) -> date | None:
    """The last day a "YYYY", "YYYY-MM" or "YYYY-MM-DD" due date covers ("October 2022" runs to the 31st)."""
    parts = [int(p) for p in value.split("-")]
    try:
        if len(parts) == 1:
            return date(parts[0], 12, 31)
        if len(parts) == 2:
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def status_of(next_review: str | None, today: date) -> tuple[Status, int | None]:
    due = due_date(next_review) if next_review else None
    if due is None:
        return "unknown", None
    days = (due - today).days
    if days < 0:
        return "overdue", days
    return ("due within 90 days" if days <= DUE_SOON_DAYS else "current"), days


def _add_months(value: str, months: int) -> str:
    parts = [int(p) for p in value.split("-")]
    y, m = parts[0], parts[1] if len(parts) > 1 else 12
    total = y * 12 + (m - 1) + months
    return f"{total // 12}-{total % 12 + 1:02d}"


def _manifest_entry(meta: dict) -> dict[str, str]:
    """The document's own sources.toml entry, found from its source path and id (doc_id = corpus/rel)."""
    rel = meta.get("doc_id", "").split("/", 1)[-1]
    source = Path(meta.get("source_path", ""))
    if not rel or not source.as_posix().endswith(rel):
        return {}
    root = Path(source.as_posix()[: -len(rel)] or ".")
    try:
        return load_manifest(root).files.get(rel, {})
    except (LoadError, OSError):
        return {}


def _stored_review(node) -> ReviewInfo:
    m = node.metadata
    raw = m.get("review") if m.get("tracker_version") == TRACKER_VERSION else None
    if raw is None:
        return document_review(node.document())
    info = ReviewInfo(**{k: v for k, v in raw.items() if k != "evidence"})
    info.evidence = {k: Evidence(**v) for k, v in (raw.get("evidence") or {}).items()}
    return info


def review_row(node, today: date) -> ReviewRow:
    m = node.metadata
    info = _stored_review(node)
    values = {"last_reviewed": info.last_reviewed, "next_review": info.next_review, "cycle": info.cycle,
              "reviewer": info.reviewer}
    months = info.cycle_months
    overridden = []
    for key, target in MANIFEST_KEYS.items():
        if value := str(_manifest_entry(m).get(key, "")).strip():
            overridden.append(target)
            if target == "cycle":
                months = int(value) if value.isdigit() else (cycle_months(c) if (c := CYCLE_RX.search(f"reviewed {value}"))
                                                             else months)
                values["cycle"] = value
            elif target == "reviewer":
                values["reviewer"] = value
            else:
                values[target] = normalise_date(value) or value
    source = ("sources.toml" if "next_review" in overridden else "document") if values["next_review"] else None
    if values["next_review"] is None and values["last_reviewed"] and months:
        values["next_review"], source = _add_months(values["last_reviewed"], months), "last review + cycle"
    status, days = status_of(values["next_review"], today)
    evidence = [ReviewEvidence(field=k, **e.__dict__) for k, e in info.evidence.items()
                if MANIFEST_KEYS.get(k, k) not in overridden]
    return ReviewRow(doc_id=node.node_id, title=m.get("title", ""), organisation=m.get("organisation", ""),
                     doc_type=m.get("doc_type", ""), audience=m.get("audience", "all"), cycle_months=months,
                     status=status, days_to_due=days, next_review_source=source, evidence=evidence,
                     from_manifest=overridden, **values)


def list_reviews(kb: KnowledgeBase, principal: Principal, filters: ReviewFilters | None = None) -> list[ReviewRow]:
    """The register for the documents the principal may read: most urgent first, unknown last."""
    f = filters or ReviewFilters()
    today = f.today or date.today()
    orgs = {o.lower() for o in f.organisation or []}
    docs = {d.lower() for d in f.doc_id or []}
    types = {t.lower() for t in f.doc_type or []}
    rows = []
    for doc_id, node in readable_documents(kb, principal):
        meta = node.metadata
        if (orgs and meta.get("organisation", "").lower() not in orgs) or (docs and doc_id.lower() not in docs) \
                or (types and meta.get("doc_type", "").lower() not in types):
            continue
        row = review_row(node, today)
        if not f.status or row.status in f.status:
            rows.append(row)
    return sorted(rows, key=lambda r: (r.days_to_due is None, r.days_to_due or 0, r.title))


CSV_COLUMNS = ["organisation", "title", "status", "next_review", "days_to_due", "last_reviewed", "cycle",
               "cycle_months", "reviewer", "next_review_source", "doc_id", "audience"]


def to_csv(rows: list[ReviewRow]) -> str:
    """The rows as CSV, in the same order and with the same values as the JSON API."""
    return rows_csv(rows, CSV_COLUMNS)


# -- chat -----------------------------------------------------------------------------------------

_REVIEW_Q = re.compile(r"\b(?:overdue|due)\s+(?:for\s+)?(?:a\s+)?review|\bnext\s+review|\breview\s+(?:dates?|cycles?|register)"
                       r"|\b(?:next|last)\s+(?:reviewed|ratified|approved|updated|revised)|\breviewed\s+(?:next|by\s+whom)"
                       r"|\bwhen\s+(?:is|was|will)\b[^?]{0,60}\b(?:reviewed|ratified|approved|review|updated|revised)\b"
                       r"|\bwho\s+reviews\b|\bpolic(?:y|ies)\b[^?]{0,30}\boverdue\b", re.I)


def is_review_question(question: str) -> bool:
    return bool(_REVIEW_Q.search(question))


_FRAME = {"polici", "polic", "review", "overdu", "due", "next", "last", "when", "whom", "document", "reviewed", "ratifi",
          "approv", "updat", "revis", "cycl", "date", "regist", "need", "whi", "which", "soon", "come", "upcom", "within", "day", "month",
          "year", "list", "show", "tell", "ours", "school", "trust"}


def _pretty(value: str | None) -> str:
    if not value:
        return "not stated"
    parts = value.split("-")
    if len(parts) >= 2:
        text = f"{calendar.month_name[int(parts[1])]} {parts[0]}"
        return f"{int(parts[2])} {text}" if len(parts) == 3 else text
    return value


def _citation(kb: KnowledgeBase, n: int, row: ReviewRow, ev: ReviewEvidence) -> Citation:
    return Citation(n=n, doc_id=row.doc_id, title=row.title, organisation=row.organisation, section="",
                    page=ev.page, quote=ev.quote, start=ev.start, end=ev.end,
                    chunk_id=chunk_id_for(kb, row.doc_id, ev.page, ev.start), score=1.0)


def answer_reviews(question: str, kb: KnowledgeBase, principal: Principal, filters: BaseModel | None = None,
                   today: date | None = None) -> Answer | None:
    """The register's answer: overdue/due-soon lists, or one policy's next review and reviewer, each
    line cited to the cover line it was read from. None when nothing matches (retrieval then tries)."""
    base = ReviewFilters(today=today, **{k: v for k, v in (filters.model_dump(exclude_none=True) if filters else {}).items()
                                         if k in ("organisation", "doc_id", "doc_type") and v})
    everything = list_reviews(kb, principal, base)
    topic = {t for t in terms(question) if t not in _FRAME}
    status: list[str] | None = None
    if re.search(r"\boverdue\b|\bout\s+of\s+date\b|\blate\b", question, re.I):
        status = ["overdue"]
    elif re.search(r"\b(?:due\s+(?:soon|shortly)|coming\s+up|upcoming|within|next\s+(?:three|3)\s+months)\b", question, re.I):
        status = ["due within 90 days"]
    if topic:  # "the safeguarding policy": the documents whose title names it
        named = [r for r in everything if topic & terms(r.title)]
        if not named and status is None:
            return None
        everything = named or everything
    rows = [r for r in everything if status is None or r.status in status]
    as_of = _pretty((today or date.today()).isoformat())
    citations, sentences, lines = [], [], []
    if not everything or (not rows and not status):
        return None
    if status:
        word = "overdue for review" if status == ["overdue"] else "due for review within 90 days"
        if rows:
            lines.append(f"As of {as_of}, {len(rows)} of the {len(everything)} documents you can read "
                         f"{'is' if len(rows) == 1 else 'are'} {word} (the Reviews tab shows the same with Status: "
                         f"{status[0]}):")
        else:  # say so plainly, no empty list after a colon
            lines.append(f"As of {as_of}, none of the {len(everything)} documents you can read is {word} (the Reviews "
                         f"tab shows the same with Status: {status[0]}).")
    for r in rows[:10]:
        ev = next((e for e in r.evidence if e.field == "next_review"), None)
        by = next((e for e in r.evidence if e.field == "reviewer"), None)
        marks = []
        for e in (ev, by):
            if e is not None and not any(c.page == e.page and c.start == e.start and c.doc_id == r.doc_id for c in citations):
                citations.append(_citation(kb, len(citations) + 1, r, e))
            if e is not None:
                marks.append(next(c.n for c in citations if c.page == e.page and c.start == e.start and c.doc_id == r.doc_id))
        cite = "".join(f" [{n}]" for n in dict.fromkeys(marks))
        src = " (from sources.toml)" if r.next_review_source == "sources.toml" else \
            " (last review + cycle)" if r.next_review_source == "last review + cycle" else ""
        reviewer = f", by {r.reviewer}" if r.reviewer else ", reviewing body not stated"
        if status:
            text = f"- {r.title} ({r.organisation}) — next review {_pretty(r.next_review)}{src}{reviewer}{cite}"
        else:
            state = {"overdue": "overdue", "due within 90 days": "due within 90 days", "current": "current",
                     "unknown": "no review date stated"}[r.status]
            text = (f"- {r.title} ({r.organisation}) is next reviewed {_pretty(r.next_review)}{src}{reviewer} — "
                    f"{state} as of {as_of}; last reviewed {_pretty(r.last_reviewed)}"
                    f"{'; cycle: ' + r.cycle if r.cycle else ''}.{cite}")
        lines.append(text)
        sentences.append(Sentence(text=text.lstrip("- "), citations=list(dict.fromkeys(marks))))
    if len(rows) > 10:
        lines.append(f"{len(rows) - 10} more — open the Reviews tab.")
    unknown = sum(1 for r in everything if r.status == "unknown")
    if status and unknown:
        lines.append(f"For {unknown} of the {len(everything)} no next review date is stated (status unknown).")
    return Answer(answer="\n".join(lines), citations=citations, sentences=sentences)
