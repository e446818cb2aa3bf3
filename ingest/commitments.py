"""Commitments: the sentences and list items of a document that promise, target or schedule something.

Governors ask "what have we committed to, and by when?". Answering that from retrieved
chunks means re-reading every plan on every question, so commitments are extracted once,
at ingestion, and stored with their document (replaced and deleted with it, carrying its
audience). There is no LLM here: every rule is a pattern over the text and its section
path, so each commitment is an exact span `page.text[start:end]` and the same document
always yields the same list. Rules and their measured precision/recall are in
evals/commitments_eval.py (labels: evals/sets/commitments_demo.jsonl).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pysbd

from ingest.models import SECTION_SEP, Block, Document, Page

_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
         r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?")
MONTH_NO = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
YEAR = r"(20\d\d)"
_I = re.IGNORECASE
FROM_RX = re.compile(rf"\b(?:from|starting|beginning)\s+(?:(?:in\s+)?({MONTH})\s+)?{YEAR}(?:\s*[-–/]\s*\d{{1,4}})?", _I)
SEASON = r"(?:Spring|Summer|Autumn|Winter)(?:\s+[Tt]erm)?"
BY_RX = re.compile(rf"\b(?:by|before|until|till)\s+(?:the\s+end\s+of\s+)?(?:({MONTH})\s+|{SEASON}\s+)?{YEAR}\b", _I)
MY_RANGE_RX = re.compile(rf"({MONTH})\s*{YEAR}\s*[-–]\s*({MONTH})\s*{YEAR}")
DATED_RX = re.compile(rf"({MONTH})(?:\s*[-–]?\s*{MONTH})?\s+{YEAR}\b")
RANGE_RX = re.compile(r"\b(20\d\d)\s*[-–/]\s*(20\d\d|\d{1,2})\b(?![-–/]?\d)")
VISION_RX = re.compile(r"\bvision\b[^.]{0,40}?\b(20\d\d)\b", _I)

MARKER_RX = re.compile(
    r"\b(?:will(?!\s+(?:naturally|eventually|inevitably|probably|likely|possibly|perhaps)\b)|shall"
    r"|we\s+(?:are\s+|remain\s+)?(?:commit|pledge|promise|intend|aim|plan)\w*"
    r"|committed\s+to|our\s+commitment|pledge[sd]?\b|aims?\s+to|aiming\s+to|intends?\s+to|plans?\s+to"
    r"|targets?\s+(?:to|of|for)\b"
    rf"|by\s+(?:the\s+end\s+of\s+)?(?:{MONTH}\s+)?20\d\d|from\s+(?:{MONTH}\s+)?20\d\d"
    r"|vision\b[^.]{0,40}\b20\d\d\b[^.]{0,20}\bis\s+to)",
    _I,
)
NOT_MARKER_RX = re.compile(r"\bwhat\s+(?:\S+\s+){0,4}?aims?\s+to\s+\w+", _I)  # "what X aims to achieve"
RECOGNISE_RX = re.compile(r"^we\s+(?:also\s+)?(?:recognise|recognize|know|believe|understand|accept|acknowledge)\b", _I)
OWN_WILL_RX = re.compile(r"\b(?:we|our\s+[\w\s’'-]{0,40}?)\s+will\b", _I)
PLAN_HEADING_RX = re.compile(
    r"\b(?:strateg(?:y|ies)|plans?|priorit(?:y|ies)|objectives?|targets?|goals?|next\s+steps|timelines?"
    r"|milestones?|commitments?|pledges?|action\s+points?|what\s+we\s+(?:wish|want|aim|will|plan)\b)", _I)
ASK_RX = re.compile(r"What\s+(?:do\s+|shall\s+|will\s+)?we\s+(?:wish|want|aim|hope|plan|intend|need)\s+to"
                    r"\s+(?:achieve|do|deliver|see)[^?]{0,60}\?")
PLAN_LEAD_RX = re.compile(
    r"^((?:[A-Z][\w&-]*\s+){0,3}?(?:Timelines?|Steps|Milestones|Actions|Priorities|Targets|Objectives|Goals)"
    r"(?:\s+20\d\d\s*[-–]\s*\d{2,4})?)\s+(?=[A-Z])")
SKIP_SECTION_RX = re.compile(r"^(?:table\s+of\s+)?contents$|version\s+(?:control|history)|document\s+(?:history|control)"
                             r"|amendments|summary\s+of\s+changes|glossary|definitions", _I)
ENUM_RX = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
QUOTES = "\"“”‘’'«"

ROLE_NOUN = (r"(?:Lead|Leader|Headteacher|Head\s+Teacher|Head\s+of\s+[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,2}|Principal"
             r"|SENCO|SENCo|DSL|Officer|Manager|Director|Co-?ordinator|Committee|Board|Council|Governors?"
             r"|Trustees?|CEO|CFO|COO|Executive|Clerk|Chair)(?<!s)s?")
ROLE = (rf"(?:[A-Z][\w/&-]*\s+){{0,3}}{ROLE_NOUN}\b(?:\s+(?:of|for)\s+[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){{0,3}})?"
        r"(?:\s+and\s+[A-Z][\w-]*)?")
OWNER_RXS = [
    re.compile(rf"\b(?:via\s+the\s+work\s+of|led\s+by|overseen\s+by|owned\s+by|co-?ordinated\s+by|delivered\s+by"
               rf"|responsibility\s+of)\s+(?:the\s+|a\s+|an\s+)?(?:new\s+)?({ROLE})"),
    re.compile(rf"^(?:[Tt]he\s+)?({ROLE})(?=\s|$)"),
    re.compile(rf"\b({ROLE})\s+(?:will|shall|to\s+(?!the\b)[a-z]+|is\s+responsible|are\s+responsible)"),
    re.compile(r"\b(?i:the)\s+((?:[a-z]+\s+){0,2}(?:committee|officer|headteacher|governors|board|council|senco|lead))"
               r"\s+will\b"),
    re.compile(r"\b(?:Lead|Owner|Responsible|Responsibility|Led by)\s*:\s*([^;|]{2,60})"),
]


@dataclass
class Frame:
    """A time frame in years; `date` ("YYYY-MM") only for a dated milestone or deadline."""

    time_from: int | None = None
    time_to: int | None = None
    date: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.time_from, self.time_to, self.date))


def _month(name: str) -> int:
    return MONTH_NO[name.lower()[:3]]


def _second_year(first: int, second: str) -> int:
    """ "2024-25" → 2025, "2023-4" → 2024, "2024-2027" → 2027."""
    if len(second) == 4:
        return int(second)
    return first - first % 10 ** len(second) + int(second)


def parse_frame(text: str) -> Frame:
    """The time frame a piece of text states itself ("by 2027", "from 2023-4", "May- June 2024", ...).

    "in 2024" is deliberately ignored: in strategy prose it reports the past as often
    as it schedules the future.
    """
    frame = Frame()
    if m := FROM_RX.search(text):
        frame.time_from = int(m.group(2))
    if m := BY_RX.search(text):
        frame.time_to = int(m.group(2))
        if m.group(1):
            frame.date = f"{m.group(2)}-{_month(m.group(1)):02d}"
    if frame:
        return frame
    if m := MY_RANGE_RX.search(text):
        return Frame(int(m.group(2)), int(m.group(4)))
    if m := DATED_RX.search(text):
        year = int(m.group(2))
        return Frame(year, year, f"{year}-{_month(m.group(1)):02d}")
    if m := RANGE_RX.search(text):
        first = int(m.group(1))
        second = _second_year(first, m.group(2))
        if second >= first:
            return Frame(first, second)
    if m := VISION_RX.search(text):
        return Frame(None, int(m.group(1)))
    return frame


def has_marker(text: str) -> bool:
    """Does the sentence itself promise, target or schedule something?"""
    t = NOT_MARKER_RX.sub(" ", text)
    if not MARKER_RX.search(t) or t.rstrip().endswith("?") or t.lstrip()[:1] in QUOTES:
        return False
    if RECOGNISE_RX.search(t):  # "We recognise that ... each one will be ..." is a prediction
        return bool(OWN_WILL_RX.search(t)) or bool(re.search(r"\b(?:aim|commit|pledge)", t, _I))
    return True


def find_owner(text: str) -> str | None:
    """A named post or body that does the work ("PSHE Lead", "Council"); never "the Trust" or "we"."""
    for rx in OWNER_RXS:
        if m := rx.search(text):
            return " ".join(m.group(1).split()).rstrip(".,;")
    return None


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


# -- run-on paragraphs (web transcripts of slides: items concatenated on one line) --------------

_FUNC = set("and of for to the in on at with within from into across by & a an or incl. including through over "
            "out around via as per one two three four five six seven eight nine ten".split())
_COMPOUND = {"based", "led", "wide", "quality", "level", "centred", "focused", "s"}  # "school based Communities"
_OPENERS = set("All A An Every Each No Zero New More Greater Better Improved Increased Reduced High Higher Strong "
               "Stronger Whole Full Annual Regular Clear Safe Secure Effective Targeted".split())
_MODIFIER = ("al", "ic", "ive", "ary", "ful", "ous", "ble", "ly")
_TOKEN = re.compile(r"\S+")


def _opens_item(prev: str, word: str, nxt: str) -> bool:
    """Does `word` start a new item, in a run of items written without punctuation?

    Items in such runs start with a capital; a capital after a lower-case content word
    starts one, and after another capital only an item-opening word does (a determiner
    or quantifier, a gerund, a participle, an adverb or an adjective after a noun).
    """
    p = prev.lower().rstrip(",;:")
    if not word[:1].isupper() or p in _FUNC or prev.endswith(",") or prev[:1].isdigit():
        return False
    if prev[:1].islower():  # "co-ordinated SEMH provisions" is one item, "supported High levels" two
        participle = len(p) > 4 and p.endswith("ed") and not p.endswith("eed")
        verb = participle or (p.endswith("ing") and len(p) > 5)  # "practising Rights" keeps its object
        return p not in _COMPOUND and (not verb or word in _OPENERS or word.endswith("ing"))
    w = word.lower()
    if word in _OPENERS or (w.endswith(("ly", "ed")) and len(w) > 4) or re.match(r"[A-Z][a-z]+-[a-z]", word):
        return True
    if w.endswith("ing") and len(w) > 5:  # "Intervention Tackling the", not "School Monitoring Scorecard"
        return p.endswith("ing") or not nxt[:1].isupper()
    return len(w) > 5 and w.endswith(_MODIFIER) and not p.endswith(_MODIFIER)


def _segments(text: str, base: int, cuts: set[int]) -> list[tuple[int, int]]:
    """Split `text` into items at item openers and at the forced `cuts` (absolute offsets)."""
    tokens = [(base + m.start(), base + m.end(), m.group()) for m in _TOKEN.finditer(text)]
    out, start, prev = [], None, ""
    for i, (s, e, word) in enumerate(tokens):
        nxt = tokens[i + 1][2] if i + 1 < len(tokens) else ""
        if start is None:
            start = s
        elif s in cuts or _opens_item(prev, word, nxt):
            out.append((start, last_end))
            start = s
        last_end, prev = e, word
        if e in cuts:
            out.append((start, e))
            start = None
    if start is not None:
        out.append((start, last_end))
    return out


def _title_ngrams(text: str) -> set[str]:
    words = text.split()
    grams = set()
    for n in (2, 3, 4):
        for i in range(len(words) - n + 1):
            g = words[i : i + n]
            if g[0][:1].isupper() and g[-1][:1].isupper() and all(w[:1].isupper() or w in ("and", "for", "of", "to", "&") for w in g):
                grams.add(" ".join(g))
    return grams


@dataclass
class _RunOn:
    heads: tuple[str, ...]
    body: int  # absolute offset where the items start
    asks: bool  # the "What do we wish to achieve ...?" form, whose groups close with a theme label


def _run_on(page: Page, b: Block) -> _RunOn | None:
    """A paragraph that is really a heading followed by a list run together on one line."""
    text = page.text[b.start : b.end]
    if m := ASK_RX.search(text[:160]):
        lead = text[: m.start()].strip()
        if lead and not all(w[:1].isupper() or w in _FUNC for w in lead.split()):
            return None
        heads = ((lead,) if lead else ()) + (m.group(),)
        return _RunOn(heads, b.start + m.end() + len(text[m.end():]) - len(text[m.end():].lstrip()), True)
    if m := PLAN_LEAD_RX.match(text):
        return _RunOn((m.group(1),), b.start + m.end(), False)
    return None


def _doc_labels(doc: Document) -> set[str]:
    """Theme labels that close the groups of "what we wish to achieve" runs: Title Case phrases
    the document repeats in two or more such runs ("Community Heart", "Skills and Employability")."""
    seen: dict[str, int] = {}
    for page in doc.pages:
        for b in page.blocks:
            if b.kind == "paragraph" and (r := _run_on(page, b)) and r.asks:
                for g in _title_ngrams(page.text[r.body : b.end]):
                    seen[g] = seen.get(g, 0) + 1
    return {g for g, n in seen.items() if n >= 2}


def _run_on_items(page: Page, b: Block, r: _RunOn, labels: set[str], closing: bool) -> list[tuple[int, int, str]]:
    """(start, end, theme label) of each item of a run-on list; column labels and theme labels dropped."""
    body = page.text[r.body : b.end]
    cuts: set[int] = set()
    drop: set[tuple[int, int]] = set()
    for m in MY_RANGE_RX.finditer(body):  # "Sept 2026-Aug 2027": a column label, not an item
        drop.add((r.body + m.start(), r.body + m.end()))
    for label in labels:
        for m in re.finditer(rf"(?<!\S){re.escape(label)}(?!\S)", body):
            drop.add((r.body + m.start(), r.body + m.end()))
    dated = [m for m in DATED_RX.finditer(body) if not any(s <= r.body + m.start() < e for s, e in drop)]
    for s, e in drop:
        cuts |= {s, e}
    if len(dated) >= 2:  # a timeline: each item ends with its date
        cuts |= {r.body + m.end() for m in dated}
        pieces, start = [], r.body
        for cut in sorted(cuts | {b.end}):
            if cut > start:
                seg = page.text[start:cut]
                s = start + len(seg) - len(seg.lstrip())
                pieces.append((s, start + len(seg.rstrip())))
            start = cut
    else:
        pieces = _segments(body, r.body, cuts)
    items: list[tuple[int, int, str]] = []
    group: list[tuple[int, int]] = []
    for s, e in pieces:
        if (s, e) in drop or any(ds <= s and e <= de for ds, de in drop):
            if page.text[s:e] in labels:
                items += [(gs, ge, page.text[s:e]) for gs, ge in group]
                group = []
            continue
        if len(page.text[s:e].split()) >= 2:
            group.append((s, e))
    if closing and r.asks and group:  # the run ends with its last group's label
        s, e = group.pop()
        label = page.text[s:e] if items else ""  # without inner labels the groups are unknown
        items += [(gs, ge, label) for gs, ge in group]
    else:
        items += [(gs, ge, "") for gs, ge in group]
    return items


# -- sentences -------------------------------------------------------------------------------

_LEAD_IN = re.compile(r"^((?:[A-Z0-9][\w&’'-]*\s+){1,5})(?=(?:Our|We|The|This|These|All|By)\s)")
_TITLE_RUN = re.compile(r"(?<=[a-z,])\s+(?=(?:[A-Z][\w&’'-]*\s+){2}[A-Z])")


def _sentences(page: Page, b: Block) -> list[tuple[int, int]]:
    out = []
    for seg in _segmenter.segment(page.text[b.start : b.end]):
        s = b.start + seg.start
        e = s + len(seg.sent.rstrip())
        s += len(seg.sent) - len(seg.sent.lstrip())
        if e > s:
            out.append((s, e))
    return out


def _trim_run_on(page: Page, s: int, e: int) -> tuple[int, int, tuple[str, ...]]:
    """A sentence with no final punctuation may carry a heading before it and a list after it."""
    text = page.text[s:e]
    if text.rstrip()[-1:] in ".!?:;\"”)" or len(text) < 120:
        return s, e, ()
    heads: tuple[str, ...] = ()
    if m := _LEAD_IN.match(text):
        heads, s, text = (m.group(1).strip(),), s + m.end(), text[m.end():]
    if m := _TITLE_RUN.search(text):
        e = s + m.start()
    return s, e, heads


def _opening_frame(page: Page, b: Block) -> Frame:
    """A section that opens "By 2027 ..." sets the horizon of every sentence under it."""
    first = page.text[b.start : b.end][:80]
    return parse_frame(first) if re.match(r"(?:By|From|Until|Between)\s", first) else Frame()


# -- the extractor ---------------------------------------------------------------------------

def extract_commitments(doc: Document) -> list[dict]:
    """Every commitment of `doc`, in reading order, as plain dicts (they are stored as metadata).

    Keys: text, doc_id, page, start, end, section, time_from, time_to, date, theme, owner, kind.
    """
    labels = _doc_labels(doc)
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
            "owner": find_owner(text), "kind": kind,
        })

    for page in doc.pages:
        openings: dict[tuple[str, ...], Frame] = {}
        intro, prev_kind = False, ""
        for b in page.blocks:
            path = b.section_path
            if b.kind == "heading":
                intro, prev_kind = False, b.kind
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
                if len(text.split()) >= 2 and not (header or question) and (intro or _is_plan(path) or has_marker(text)):
                    add(page, s, b.end, path, "item", opening)
                prev_kind = b.kind
                continue
            prev_kind = b.kind
            intro = False
            if r := _run_on(page, b):
                for s, e, label in _run_on_items(page, b, r, labels, closing):
                    add(page, s, e, path + r.heads, "milestone" if DATED_RX.search(page.text[s:e]) else "item",
                        opening, label)
                continue
            sentences = _sentences(page, b)
            for s, e in sentences:
                if has_marker(page.text[s:e]):
                    s2, e2, heads = _trim_run_on(page, s, e)
                    add(page, s2, e2, path + heads, "sentence", opening)
            if sentences:
                last = page.text[sentences[-1][0] : sentences[-1][1]]
                intro = last.endswith(":") and has_marker(last)
    return out
