"""Policy review metadata: when a document was last reviewed, when it is next due, how often, and by whom.

Schools print their review cycle on the cover, in a header or footer, or in a small
table: "DATE OF NEXT REVIEW: January 2023", "TO BE REVIEWED BY: Learning and Wellbeing
Committee", "Status & Review Cycle: Statutory/Annual", "This document will be reviewed
every 3 years", "Ratified by FGB". Governors keep a register of these by hand; reading them
at ingest lets Ethos keep it for them. Each field keeps the exact page span it was read
from (`evidence`), so the register and chat cite the cover line itself. Nothing here
guesses: a field the document does not state is None. `sources.toml` may state them too
(`last_reviewed`, `next_review`, `review_cycle`, `reviewed_by`) and then wins; that overlay
is applied when the register is read (assistant/reviews.py), so editing the manifest
needs no re-ingest.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ingest.models import Document, Page
from ingest.timeframes import MONTH, MONTH_NO

_I = re.IGNORECASE
SEASON_END = {"spring": 4, "summer": 7, "autumn": 12, "winter": 2}
DATE = (rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{MONTH}\s*,?\s*20\d\d|\d{{1,2}}[/.]\d{{1,2}}[/.](?:20)?\d\d"
        r"|(?:Spring|Summer|Autumn|Winter)(?:\s+[Tt]erm)?\s+20\d\d|20\d\d)")
_SEP = r"\s*(?:[:\-–]\s*|\s)\s*"
NEXT_RX = re.compile(rf"\b(?:date\s+of\s+next\s+review|next\s+review(?:\s+date)?(?:\s+due)?|review\s+date|review\s+due"
                     rf"|due\s+for\s+review|to\s+be\s+reviewed\s+(?:on|in|by\s+(?={DATE}))){_SEP}"
                     rf"(?:(?:[A-Za-z]+\s+){{0,2}}?(?:review\s+)?)?({DATE})", _I)
LAST_RX = re.compile(rf"\b(?:date\s+of\s+(?:adoption|approval|ratification|last\s+review|issue)|last\s+reviewed(?:\s+on)?"
                     rf"|date\s+(?:reviewed|approved|adopted|ratified)|(?:reviewed|approved|adopted|ratified|amended)(?:\s+on)?"
                     rf"|\bdate){_SEP}({DATE})", _I)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
#: "every 3 years", "every two terms", "every year": groups (count, unit), read by `cycle_months`.
_EVERY = rf"every\s+(?:(\d+|{'|'.join(_WORDS)})\s+)?(years?|terms?|months?)"
CYCLE_RX = re.compile(r"\b(?:review(?:ed)?(?:\s+cycle)?|status\s*&\s*review\s+cycle)\b[^.\n]{0,40}?\b(annually|annual|yearly"
                      rf"|biennially|termly|{_EVERY})\b", _I)
REVIEWER_RX = re.compile(r"\b(to\s+be\s+reviewed\s+by|reviewing\s+(?:body|committee)|responsible\s+(?:committee|body)"
                         r"|(?<!to be )reviewed\s+by|ratified\s+by|approved\s+by)\s*[:\-–]?\s*"
                         r"((?!\d)[A-Z][^\n:|]{1,80})", _I)
#: Beyond the cover only the document's statement about itself counts ("This document will be reviewed
#: every 3 years"), not "the Local Authority must review the plan every twelve months".
SELF_CYCLE_RX = re.compile(r"\b(?:this|the)\s+(?:policy|document|plan|statement|strategy|report)\s+(?:will\s+be|is|shall\s+be)"
                           rf"\s+reviewed\s+(?:at\s+least\s+)?(annually|yearly|biennially|termly|{_EVERY})\b", _I)
_STOP_AT = re.compile(r"\s+(?:DATE\b|Ratified\b|Approved\b|Signed\b|Next\b)|\s*[.;(]|\s*\n|\s*$", _I)
_PRIORITY = {"to be reviewed by": 0, "reviewing body": 0, "reviewing committee": 0, "responsible committee": 0,
             "responsible body": 0, "reviewed by": 1, "approved by": 2, "ratified by": 3}


@dataclass
class Evidence:
    page: int
    start: int
    end: int
    quote: str  # the page text[start:end]: the line the field was read from


@dataclass
class ReviewInfo:
    """A document's review metadata; dates are "YYYY-MM-DD", "YYYY-MM" or "YYYY" as precise as stated."""

    last_reviewed: str | None = None
    next_review: str | None = None
    cycle_months: int | None = None
    cycle: str | None = None  # as written: "Annual", "every 3 years"
    reviewer: str | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def normalise_date(text: str) -> str | None:
    """"October 2022" → "2022-10", "17/1/2022" → "2022-01-17", "Summer Term 2023" → "2023-07", "2023" → "2023"."""
    t = " ".join(text.split())
    if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.]((?:20)?\d\d)", t):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        return f"{y}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None
    if m := re.fullmatch(rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?({MONTH})\s*,?\s*(20\d\d)", t, _I):
        month = MONTH_NO[m.group(2).lower()[:3]]
        return f"{m.group(3)}-{month:02d}" + (f"-{int(m.group(1)):02d}" if m.group(1) else "")
    if m := re.fullmatch(r"(Spring|Summer|Autumn|Winter)(?:\s+[Tt]erm)?\s+(20\d\d)", t, _I):
        return f"{m.group(2)}-{SEASON_END[m.group(1).lower()]:02d}"
    return t if re.fullmatch(r"20\d\d", t) else None


def cycle_months(match: re.Match) -> int | None:
    word = match.group(1).lower()
    if word in ("annually", "annual", "yearly"):
        return 12
    if word == "biennially":
        return 24
    if word == "termly":
        return 4
    n = match.group(2)
    count = 1 if n is None else (_WORDS.get(n.lower()) or int(n))
    unit = match.group(3).lower()
    return count * (12 if unit.startswith("year") else 4 if unit.startswith("term") else 1)


def _pages(doc: Document) -> list[Page]:
    """Where review metadata lives: the first four pages (cover, contents, statement) and the last one."""
    chosen = list(doc.pages[:4])
    if len(doc.pages) > 4:
        chosen.append(doc.pages[-1])
    return chosen


def _reviewer(page: Page, m: re.Match) -> tuple[str, int, int] | None:
    """The body named after "TO BE REVIEWED BY:", continued onto the next line when it breaks at "and"."""
    s = m.start(2)
    text = page.text[s : m.end(2)]
    stop = _STOP_AT.search(text)
    end = s + (stop.start() if stop else len(text))
    name = page.text[s:end].strip()
    if re.search(r"\b(?:and|&|of|for)$", name):  # "Learning and" / "Well-being Committee" on the next line
        if nxt := re.match(r"\s*\n\s*([A-Z][^\n:|.]{1,60})", page.text[end:]):
            end = end + nxt.end(1)
            name = " ".join(page.text[s:end].split())
    name = " ".join(name.split()).strip(" ,")
    if not name or len(name.split()) > 10 or re.match(r"(?:the\s+)?(?:date|this|it)\b", name, _I):
        return None
    return name, s, end


def _line_evidence(page: Page, s: int, e: int) -> Evidence:
    """The cue and its value ("DATE OF NEXT REVIEW: September 2020"): what a citation quotes. Not the
    whole line: PDF covers often arrive as one paragraph holding every field."""
    while e > s and page.text[e - 1].isspace():
        e -= 1
    return Evidence(page.number, s, e, page.text[s:e])


def extract_review(doc: Document) -> ReviewInfo:
    """The review metadata the document itself states (first statement of each field wins, except
    the last-reviewed date, where the latest stated date wins: "Adopted 2018 ... Amended Sept 2022")."""
    info = ReviewInfo()
    best_reviewer: tuple[int, str] | None = None
    for page in _pages(doc):
        nexts = [m for m in NEXT_RX.finditer(page.text) if normalise_date(m.group(1))]
        if info.next_review is None and nexts:
            m = nexts[0]
            info.next_review, info.evidence["next_review"] = normalise_date(m.group(1)), _line_evidence(page, m.start(), m.end())
        for m in LAST_RX.finditer(page.text):
            if any(n.start() <= m.start(1) < n.end() for n in nexts):  # "Next review date: May 2021" is not a last date
                continue
            if (d := normalise_date(m.group(1))) and (info.last_reviewed is None or d > info.last_reviewed):
                if info.next_review is None or d <= info.next_review:
                    info.last_reviewed, info.evidence["last_reviewed"] = d, _line_evidence(page, m.start(), m.end())
        if info.cycle_months is None and (m := CYCLE_RX.search(page.text)):
            info.cycle_months, info.cycle = cycle_months(m), m.group(1)
            info.evidence["cycle"] = _line_evidence(page, m.start(), m.end())
        for m in REVIEWER_RX.finditer(page.text):
            rank = _PRIORITY.get(" ".join(m.group(1).lower().split()), 1)
            if (best_reviewer is None or rank < best_reviewer[0]) and (found := _reviewer(page, m)):
                best_reviewer = (rank, found[0])
                info.reviewer = found[0]
                info.evidence["reviewer"] = _line_evidence(page, m.start(), found[2])
    if info.cycle_months is None:
        for page in doc.pages:
            if m := SELF_CYCLE_RX.search(page.text):
                info.cycle_months, info.cycle = cycle_months(m), m.group(0)[m.start(1) - m.start():]
                info.evidence["cycle"] = _line_evidence(page, m.start(), m.end())
                break
    return info
