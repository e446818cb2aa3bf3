"""Minutes as evidence of decisions: the actions and decisions a governing board's minutes record.

Governors ask "what did the board agree about the SIP?" and "what actions are still open
for the head?". Minutes answer both, but in their own idiom: an actions table ("ITEM BY
WHOM BY WHEN" rows such as "110a/2122 Circulate the meeting dates ... Clerk asap"), an
owner before "to" ("Clerk to notify Babcock ..."), "Heather agreed to discuss this with
Simon", "Action: ... (HP)", and decisions ("It was agreed that ...", "... were agreed and
signed", "was appointed as Finance Lead"). Each becomes a tracker row of kind `action`
or `decision` with its owner (a name, initials or post, as written) and the meeting date,
so the Commitments tab, the API and chat list them beside the plans' pledges. As for
commitments, every row is a verbatim span of its page and there is no LLM.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.models import SECTION_SEP, Document, Page
from ingest.timeframes import MONTH, MONTH_NO, parse_frame

_I = re.IGNORECASE
NAME = r"[A-Z][a-z]+(?:\s+[A-Z][a-zA-Z'’-]+)?"
POST = r"(?:Clerk|Chair|Vice[\s-]Chair|Headteacher|Head\s+Teacher|HT|DHT|SENCO|SENDCo|DSL|Governors?|CEO|CFO)"
OWNER = rf"(?:{POST}|{NAME}|[A-Z]{{2,3}})"
ITEM_REF_RX = re.compile(r"(?<![\w/])(?:FGB\s+)?\d{2,3}[a-z]?/\d{4}(?![\w/])")
_WHEN = (rf"(?P<when>asap|ASAP|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:by\s+)?(?:\d{{1,2}}\s+)?{MONTH}\s+20\d\d)?\s*$")
TABLE_OWNER_RXS = [  # a post is tried first: "... of Oliver Laity Clerk asap" is owned by the Clerk
    re.compile(rf"\s+\|?\s*(?P<owner>{POST})\.?\s*\|?\s*{_WHEN}"),
    re.compile(rf"\s+\|?\s*(?P<owner>{NAME}(?:\s*/\s*{NAME})*)\.?\s*\|?\s*{_WHEN}"),
]
ACTION_RXS = [
    re.compile(rf"^\s*Actions?\s*[:\-–]\s*(?P<what>.+?)(?:\s*[(\-–]\s*(?P<owner>{OWNER})\)?)?\s*$"),
    re.compile(rf"(?P<owner>{POST}|{NAME})\s+to\s+(?!be\b|the\b)[a-z]+\b"),
    re.compile(rf"(?P<owner>{POST}|{NAME})\s+(?:agreed|undertook|offered)\s+to\s+[a-z]+\b"),
    # "The SIP will be reviewed by Heather and the new Headteacher": a future task and who does it
    re.compile(rf"\bwill\s+be\s+[a-z]+ed\s+by\s+(?P<owner>(?:the\s+)?(?:new\s+)?(?:{POST}|{NAME})"
               rf"(?:\s+and\s+(?:the\s+)?(?:new\s+)?(?:{POST}|{NAME}))?)"),
]
DECISION_RX = re.compile(r"\b(?:it\s+was\s+)?(?:agreed|resolved|decided|approved|ratified)\b"
                         r"|\bwas\s+appointed\s+as\b|\bwere\s+appointed\b", _I)
NOT_OWNER = {"The", "This", "It", "There", "Agreed", "Copies", "Minutes", "Welcome", "Governors", "Reply", "Due"}
DATE_RX = re.compile(rf"\bDATE\s*:?\s*(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})\s+(20\d\d)", _I)
FILE_DATE_RX = re.compile(rf"(\d{{1,2}})[-_ ]({MONTH})[-_ ](20\d\d)", _I)


def is_minutes(doc: Document) -> bool:
    """Minutes by their declared type, or by a file name such as fgb-minutes-23-may-2022.pdf."""
    return doc.meta.doc_type.lower() in ("minutes", "meeting minutes") or "minutes" in Path(doc.meta.source_path).name.lower()


def meeting_date(doc: Document) -> str | None:
    """"YYYY-MM-DD" from the minutes' own "DATE 23 May 2022", else from the file name, else the manifest date."""
    first = doc.pages[0].text if doc.pages else ""
    for m in (DATE_RX.search(first), FILE_DATE_RX.search(Path(doc.meta.source_path).name.replace("-", " "))):
        if m:
            return f"{m.group(3)}-{MONTH_NO[m.group(2).lower()[:3]]:02d}-{int(m.group(1)):02d}"
    return doc.meta.date or None


def _row(doc: Document, page: Page, s: int, e: int, section: str, kind: str, owner: str | None,
         when: str | None, met: str | None) -> dict:
    text = page.text[s:e]
    frame = parse_frame(when or "")
    return {"text": text, "doc_id": doc.meta.doc_id, "page": page.number, "start": s, "end": e,
            "section": section, "time_from": frame.time_from, "time_to": frame.time_to, "date": frame.date,
            "theme": "", "owner": owner, "kind": kind, "meeting_date": met,
            "due_text": (when or "").strip() or None}


def _sentences(text: str, base: int) -> list[tuple[int, int]]:
    """Sentence-ish spans: minutes run items together, so split at ". " and at item references."""
    out, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z])|\s+(?=(?:FGB\s+)?\d{2,3}[a-z]?/\d{4}\b)", text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return [(base + s + len(text[s:e]) - len(text[s:e].lstrip()), base + len(text[:e].rstrip()))
            for s, e in out if text[s:e].strip()]


def _owner_ok(owner: str | None) -> str | None:
    owner = re.sub(r"^(?:the\s+)", "", " ".join((owner or "").split()))
    if not owner or owner.split()[0] in NOT_OWNER:
        return None
    return owner


def extract_minutes(doc: Document) -> list[dict]:
    """Actions and decisions of one set of minutes, in reading order."""
    met = meeting_date(doc)
    out: list[dict] = []
    seen: set[str] = set()

    def add(page: Page, s: int, e: int, section: str, kind: str, owner: str | None, when: str | None = None) -> None:
        key = " ".join(page.text[s:e].split()).lower()
        if len(key.split()) >= 3 and key not in seen:
            seen.add(key)
            out.append(_row(doc, page, s, e, section, kind, owner, when, met))

    for page in doc.pages:
        table = bool(re.search(r"\bBY\s+WHOM\b", page.text))
        for b in page.blocks:  # headings too: "Clerk to notify Babcock ..." often looks like one
            section = SECTION_SEP.join(b.section_path)
            for s, e in _sentences(page.text[b.start:b.end], b.start):
                text = page.text[s:e]
                ref = ITEM_REF_RX.match(text)
                m = next((m for rx in TABLE_OWNER_RXS if (m := rx.search(text[ref.end():]))), None) if ref else None
                if table and m:  # "110a/2122 Circulate ... Clerk asap"
                    body = ref.end() + len(text[ref.end():]) - len(text[ref.end():].lstrip())
                    end = ref.end() + m.start()
                    if end > body:
                        add(page, s + body, s + end, section or "Actions", "action", _owner_ok(m.group("owner")),
                            m.group("when"))
                        continue
                if text.rstrip().endswith(":"):
                    continue
                if re.search(r"\bwas\s+appointed\s+as\b", text):
                    add(page, s, e, section, "decision", None)
                    continue
                action = next((m for rx in ACTION_RXS if (m := rx.search(text)) and _owner_ok(m.group("owner"))), None)
                if action is not None:
                    add(page, s, e, section, "action", _owner_ok(action.group("owner")))
                elif DECISION_RX.search(text):
                    add(page, s, e, section, "decision", None)
    return out
