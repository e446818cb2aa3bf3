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

Each row also carries what chat needs to answer "still open for the head?" and "about the
SIP?": `owner_role`, the posts its owner stands for by the minutes' own roster
(minutes_roles.py); `status`, "done" or "open" when the row itself reports progress (a later
meeting's matters arising or action log: "Circulate the SIP | Headteacher | Completed"),
with `log` set on such reports so the tracker can close the earlier action they refer to
(assistant/tracker.py); and `context`, the sentences before it in the same item, because
minutes say "Heather agreed to discuss this" after the sentence that names the SIP.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.minutes_roles import LOG_RX, owner_posts, post_name, roster, status_of
from ingest.models import SECTION_SEP, Document, Page
from ingest.timeframes import MONTH, MONTH_NO, parse_frame

_I = re.IGNORECASE
NAME = r"[A-Z][a-z]+(?:\s+[A-Z][a-zA-Z'’-]+)?"
POST = (r"(?:Clerk|Chair|Vice[\s-]Chair|Headteacher|Head\s+Teacher|Head(?!\s+of\b)|HT|DHT|SENCO|SENDCo|DSL|Governors?"
        r"|CEO|CFO)")
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
#: Column titles of an actions table: what, who, by when, progress.
COLUMN_RXS = {"what": re.compile(r"^(?:actions?|items?|what|task|description)$", _I),
              "owner": re.compile(r"^(?:by\s+whom|who|owner|responsib\w*|lead|person)$", _I),
              "when": re.compile(r"^(?:by\s+when|when|deadline|due(?:\s+date)?|date|target\s+date)$", _I),
              "status": re.compile(r"^(?:status|progress|update|outcome|rag)$", _I)}
SUB_ITEM_RX = re.compile(r"^[a-z]\.\s")
CONTEXT_SENTENCES = 2


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


def _cells(text: str, base: int) -> list[tuple[int, int]]:
    """(start, end) page offsets of each " | "-separated cell of a table row."""
    out, pos = [], 0
    for part in text.split("|"):
        lead = len(part) - len(part.lstrip())
        if part.strip():
            out.append((base + pos + lead, base + pos + len(part.rstrip())))
        else:
            out.append((base + pos, base + pos))
        pos += len(part) + 1
    return out


def _columns(header: list[str]) -> dict[str, int] | None:
    """Which cell holds what, when a row is an actions table's header ("Action | By whom | Status")."""
    cols = {name: i for i, cell in enumerate(header) for name, rx in COLUMN_RXS.items() if rx.match(cell.strip())}
    return cols if "what" in cols and ("owner" in cols or "status" in cols) else None


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
    owner = re.sub(r"\s*/\s*", "/", re.sub(r"^(?:the\s+)", "", " ".join((owner or "").split())))
    if not owner or owner.split()[0] in NOT_OWNER:
        return None
    return owner


def _table_row(page: Page, b, cols: dict[str, int]) -> tuple[tuple[int, int], str | None, str | None, str | None] | None:
    """(what span, owner, when, status) of one row of an actions table with known columns."""
    cells = _cells(page.text[b.start:b.end], b.start)
    if len(cells) <= cols["what"]:
        return None

    def cell(name: str) -> str | None:
        i = cols.get(name)
        return " ".join(page.text[cells[i][0]:cells[i][1]].split()) or None if i is not None and i < len(cells) else None

    return cells[cols["what"]], cell("owner"), cell("when"), status_of(cell("status") or "")


def extract_minutes(doc: Document) -> list[dict]:
    """Actions and decisions of one set of minutes, in reading order, with owners' posts and progress."""
    met = meeting_date(doc)
    people = roster("\n".join(page.text for page in doc.pages))
    out: list[dict] = []
    seen: set[str] = set()

    def add(page: Page, s: int, e: int, section: str, kind: str, owner: str | None, when: str | None = None,
            status: str | None = None, log: bool = False, context: str = "") -> None:
        key = " ".join(page.text[s:e].split()).lower()
        if len(key.split()) >= 3 and key not in seen:
            seen.add(key)
            row = _row(doc, page, s, e, section, kind, owner, when, met)
            row.update(owner_role=owner_posts(owner, people), status=status, log=log,
                       context=" ".join(context.split())[:600])
            out.append(row)

    for page in doc.pages:
        table = bool(re.search(r"\bBY\s+WHOM\b", page.text))
        cols: dict[str, int] | None = None
        for bi, b in enumerate(page.blocks):  # headings too: "Clerk to notify Babcock ..." often looks like one
            section = SECTION_SEP.join(b.section_path)
            after = page.blocks[bi + 1] if bi + 1 < len(page.blocks) else None
            in_log = bool(LOG_RX.search(section))
            if b.kind == "table_row":
                header = _columns(page.text[b.start:b.end].split("|"))
                if header is not None:
                    cols = header
                    continue
                parsed = _table_row(page, b, cols) if cols is not None else None
                if parsed is not None:  # "Circulate the revised SIP | Headteacher | Completed"
                    (s, e), owner, when, status = parsed
                    owner = _owner_ok(owner) if owner and (post_name(owner) or re.match(OWNER, owner)) else None
                    log = in_log or status is not None
                    if log:  # a progress report is quoted whole, so its status words are in the citation
                        s, e = b.start, b.start + len(page.text[b.start:b.end].rstrip())
                    add(page, s, e, section or "Actions", "action", owner, when, status, log)
                    continue
            else:
                cols = None
            spans = _sentences(page.text[b.start:b.end], b.start)
            for k, (s, e) in enumerate(spans):
                text = page.text[s:e]
                first = max((i for i in range(max(0, k - CONTEXT_SENTENCES), k + 1)
                             if SUB_ITEM_RX.match(page.text[spans[i][0]:spans[i][1]])), default=max(0, k - CONTEXT_SENTENCES))
                context = page.text[spans[first][0]:s]
                ref = ITEM_REF_RX.match(text)
                m = next((m for rx in TABLE_OWNER_RXS if (m := rx.search(text[ref.end():]))), None) if ref else None
                if table and ref and m is None and k == len(spans) - 1 and after is not None:
                    # the owner cell wrapped onto the next line: "103b/2122 Agree ... available." + "Heather Poustie/ … | asap"
                    nxt = page.text[after.start:after.end]
                    m = next((m for rx in TABLE_OWNER_RXS if (m := rx.fullmatch(" " + nxt))), None)
                    if m is not None:
                        body = ref.end() + len(text[ref.end():]) - len(text[ref.end():].lstrip())
                        add(page, s + body, e, section or "Actions", "action", _owner_ok(m.group("owner")),
                            m.group("when"), context=context)
                        continue
                if table and m:  # "110a/2122 Circulate ... Clerk asap"
                    body = ref.end() + len(text[ref.end():]) - len(text[ref.end():].lstrip())
                    end = ref.end() + m.start()
                    if end > body:
                        add(page, s + body, s + end, section or "Actions", "action", _owner_ok(m.group("owner")),
                            m.group("when"), context=context)
                        continue
                if text.rstrip().endswith(":"):
                    continue
                status = status_of(text) if in_log else None
                if re.search(r"\bwas\s+appointed\s+as\b", text):
                    add(page, s, e, section, "decision", None, context=context)
                    continue
                action = next((m for rx in ACTION_RXS if (m := rx.search(text)) and _owner_ok(m.group("owner"))), None)
                if action is not None:
                    add(page, s, e, section, "action", _owner_ok(action.group("owner")), status=status, log=in_log,
                        context=context)
                elif status is not None:  # "Minutes placed on the website: completed." in the action log
                    add(page, s, e, section, "action", None, status=status, log=True, context=context)
                elif DECISION_RX.search(text):
                    add(page, s, e, section, "decision", None, context=context)
    return out
