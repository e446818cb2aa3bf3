"""Commitments: the sentences and list items of a document that promise, target or schedule something.

Governors ask "what have we committed to, and by when?". Answering that from retrieved
chunks means re-reading every plan on every question, so commitments are extracted once,
at ingestion, and stored with their document (replaced and deleted with it, carrying its
audience). There is no LLM here: every rule is a pattern over the text and its section
path, so each commitment is an exact span `page.text[start:end]` and the same document
always yields the same list. Rules and their measured precision/recall are in
evals/commitments_eval.py (labels: evals/sets/commitments_demo.jsonl).

This module walks a document's blocks and decides what is a commitment from its
section path; the text rules it applies live beside it: commitment_cues.py (does a
sentence promise, and who owns it), timeframes.py (by when) and
commitment_runons.py (paragraphs that are really a heading and a list on one line).
"""

from __future__ import annotations

import re

import pysbd

from ingest.commitment_cues import LEAD_HEADER_RX, find_owner, has_marker, kind_of, lead_cell
from ingest.commitment_runons import doc_labels, run_on, run_on_items, trim_run_on
from ingest.models import SECTION_SEP, Block, Document, Page
from ingest.timeframes import DATED_RX, Frame, parse_frame

_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

_I = re.IGNORECASE
PLAN_HEADING_RX = re.compile(
    r"\b(?:strateg(?:y|ies)|plans?|priorit(?:y|ies)|objectives?|targets?|goals?|next\s+steps|timelines?"
    r"|milestones?|commitments?|pledges?|action\s+points?|what\s+we\s+(?:wish|want|aim|will|plan)\b)", _I)
SKIP_SECTION_RX = re.compile(r"^(?:table\s+of\s+)?contents$|version\s+(?:control|history)|document\s+(?:history|control)"
                             r"|amendments|summary\s+of\s+changes|glossary|definitions", _I)
ENUM_RX = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")

# -- section paths ---------------------------------------------------------------------------

_GENERIC = re.compile(r"^(?:our|the)\s+", _I)
_LABEL = re.compile(r"^(?:phase|stage|part|section|step)\s+\d+\s*[-–:.]\s*|\(?\b20\d\d\s*[-–/]\s*\d{1,4}\)?|\b20\d\d\b", _I)


def theme_of(path: tuple[str, ...]) -> str:
    """The nearest meaningful heading: not a question, with labels ("Phase 2 -") and years removed."""
    for heading in reversed(path):
        if heading.rstrip().endswith("?"):
            continue
        text = " ".join(_LABEL.sub(" ", _GENERIC.sub("", heading)).split()).strip(" -–:")
        if len(text) >= 3:
            return text
    return ""


def _span_frame(heading: str) -> Frame:
    """A heading's period ("(2023 - 2028)", "by 2027"); a single date ("Meeting 23 May 2022") is not one."""
    frame = parse_frame(heading)
    return Frame() if frame.date else frame


def _is_plan(path: tuple[str, ...]) -> bool:
    """Items under one of the two nearest headings are plan items when it names a plan or gives its period."""
    return any(PLAN_HEADING_RX.search(h) or _span_frame(h) for h in path[-2:])


def _heading_frame(path: tuple[str, ...]) -> Frame:
    for heading in reversed(path):
        if frame := _span_frame(heading):
            return frame
    return Frame()


# -- sentences -------------------------------------------------------------------------------


def _sentences(page: Page, b: Block) -> list[tuple[int, int]]:
    out = []
    for seg in _segmenter.segment(page.text[b.start : b.end]):
        s = b.start + seg.start
        e = s + len(seg.sent.rstrip())
        s += len(seg.sent) - len(seg.sent.lstrip())
        if e > s:
            out.append((s, e))
    return out


def _opening_frame(page: Page, b: Block) -> Frame:
    """A section that opens "By 2027 ..." sets the horizon of every sentence under it."""
    first = page.text[b.start : b.end][:80]
    return parse_frame(first) if re.match(r"(?:By|From|Until|Between)\s", first) else Frame()


class _LeadColumn:
    """Owners from a table's Lead / Owner / Responsible column when the PDF split the row.

    A flattened PDF row ("Support of children's mental health | Full time pastoral ...") often
    has its Lead cell in a later block ("Young Devon ... | Head, Deputy and SENDCo | ...", or a
    paragraph that is only "SENDCo" then "Headteacher"). Only in a section whose column titles
    name the owner's column: the first block after an ownerless row whose cell opens with posts
    gives them to that row, bare post paragraphs right after it add theirs, and a block that
    opens with posts and more ("Headteacher Repairs and Maintenance | 2020 - 2021") is that
    row's tail, not a commitment of its own.
    """

    def __init__(self) -> None:
        self.paths: set[tuple[str, ...]] = set()
        self.pending: dict | None = None
        self.joining = False

    def heading(self, path: tuple[str, ...], text: str) -> None:
        if LEAD_HEADER_RX.search(text):
            self.paths.add(path)
        self.pending, self.joining = None, False

    def row(self, path: tuple[str, ...], added: dict | None) -> None:
        if path in self.paths and added is not None:
            self.pending = added if added["owner"] is None else None
            self.joining = False

    def continuation(self, path: tuple[str, ...], kind: str, text: str) -> bool:
        """Give the pending row its owner from this block; True when the block is only its tail."""
        if path not in self.paths or self.pending is None or not (cell := lead_cell(text)):
            self.joining = False
            return False
        owner, index, whole = cell
        bare = whole and " | " not in text
        if self.pending["owner"] is None:
            self.pending["owner"], self.joining = owner, bare
        elif self.joining and bare:
            self.pending["owner"] += "/" + owner
        else:
            self.joining = False
        return bare or (kind == "table_row" and index == 0 and not whole)


# -- the extractor ---------------------------------------------------------------------------

def extract_commitments(doc: Document) -> list[dict]:
    """Every commitment of `doc`, in reading order, as plain dicts (they are stored as metadata).

    Keys: text, doc_id, page, start, end, section, time_from, time_to, date, theme, owner, kind
    (pledge / target / milestone; see `commitment_cues.kind_of`).
    """
    labels = doc_labels(doc)
    closing = any(
        any(page.text[b.start : b.end].rstrip().endswith(label) for label in labels)
        for page in doc.pages for b in page.blocks if b.kind == "paragraph"
    )
    out: list[dict] = []
    seen: set[str] = set()

    def add(page: Page, s: int, e: int, path: tuple[str, ...], kind: str, opening: Frame, theme: str = "") -> None:
        text = page.text[s:e]
        key = " ".join(text.split()).lower()
        if key in seen:
            return
        seen.add(key)
        frame = parse_frame(text) or _heading_frame(path) or opening
        out.append({
            "text": text, "doc_id": doc.meta.doc_id, "page": page.number, "start": s, "end": e,
            "section": SECTION_SEP.join(path), "time_from": frame.time_from, "time_to": frame.time_to,
            "date": frame.date, "theme": theme or theme_of(path),
            "owner": find_owner(text), "kind": kind_of(text, path, dated_item=kind == "milestone"),
        })

    lead = _LeadColumn()
    for page in doc.pages:
        openings: dict[tuple[str, ...], Frame] = {}
        intro, prev_kind = False, ""
        for b in page.blocks:
            path = b.section_path
            if b.kind == "heading":
                intro, prev_kind = False, b.kind
                lead.heading(path, b.text)
                continue
            if lead.continuation(path, b.kind, page.text[b.start : b.end]):
                prev_kind = b.kind
                continue
            opening = openings.setdefault(path, _opening_frame(page, b))
            if path and SKIP_SECTION_RX.search(path[-1]):
                continue
            if b.kind in ("list_item", "table_row"):
                s = b.start + (m.end() if (m := ENUM_RX.match(b.text)) else 0)
                text = page.text[s : b.end]
                header = (b.kind == "table_row" and prev_kind != "table_row" and "." not in text
                          and len(text.split()) <= 16 and not has_marker(text))  # a table's column titles
                question = text.rstrip().endswith("?")
                if header and LEAD_HEADER_RX.search(text):
                    lead.paths.add(path)
                if len(text.split()) >= 2 and not (header or question) and (intro or _is_plan(path) or has_marker(text)):
                    n = len(out)
                    add(page, s, b.end, path, "item", opening)
                    lead.row(path, out[-1] if len(out) > n else None)
                prev_kind = b.kind
                continue
            prev_kind = b.kind
            intro = False
            if r := run_on(page, b):
                for s, e, label in run_on_items(page, b, r, labels, closing):
                    add(page, s, e, path + r.heads, "milestone" if DATED_RX.search(page.text[s:e]) else "item",
                        opening, label)
                continue
            sentences = _sentences(page, b)
            for s, e in sentences:
                if has_marker(page.text[s:e]):
                    s2, e2, heads = trim_run_on(page, s, e)
                    add(page, s2, e2, path + heads, "sentence", opening)
            if sentences:
                last = page.text[sentences[-1][0] : sentences[-1][1]]
                intro = last.endswith(":") and has_marker(last)
    return out
