"""Commitment cues: the wording that makes a sentence a promise, and the post or body that owns it.

A commitment is told apart from description by its own words ("will", "we aim
to", "by 2027", "our commitment"), not by its topic, and predictions ("we
recognise that each one will be ...") must not count. Its owner is a named post
or body ("PSHE Lead", "the Council") that the text says does the work, never
"the Trust" or "we", which would make every sentence owned. These are pure text
rules, kept apart from the extractor so each can be read and tested alone.
"""

from __future__ import annotations

import re

from ingest.commitment_roles import TITLED_POST, owner_phrase, owning_statement
from ingest.timeframes import MONTH

_I = re.IGNORECASE
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
#: "EEF: ‘Schools will have to ...’": guidance quoted from a source is not the school's promise.
QUOTED_SOURCE_RX = re.compile(r"^\s*[A-Z][\w .&/-]{0,40}:\s*[\"“‘'«]")
QUOTES = "\"“”‘’'«"

ROLE_NOUN = (r"(?:Lead|Leader|Headteacher|Head\s+Teacher|Head\s+of\s+[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,2}|Principal"
             r"|SENCO|SENCo|SENDCo|SENDCO|DSL|DHT|Officer|Manager|Director|Co-?ordinator|Committee|Board|Council"
             r"|Governors?|Governing\s+Body|Trustees?|CEO|CFO|COO|Executive|Clerk|Chair)(?<!s)s?")
ROLE = (rf"(?:[A-Z][\w/&-]*\s+){{0,3}}{ROLE_NOUN}\b(?:\s+(?:of|for)\s+[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){{0,3}})?"
        r"(?:\s+and\s+[A-Z][\w-]*)?")
#: Posts and bodies named in lower case in running text ("the headteacher will", "led by the trust board").
LOWER_ROLE = (r"(?:(?:deputy\s+|executive\s+)?head\s*teacher|senco|sendco|dsl|ceo|cfo|chief\s+(?:executive|financial)"
              r"\s+officer|(?:local\s+)?governing\s+(?:body|board)|trust\s+board|board\s+of\s+(?:governors|trustees)"
              r"|(?:[a-z]+\s+){0,2}committee|(?:[a-z]+\s+){0,2}(?:lead|leader)s?|clerk|chair\s+of\s+governors)")
#: Column titles that hold the owner of a table row ("Owner: Head of English" from a DOCX table).
OWNER_COLUMN_RX = re.compile(r"(?:^|;\s*)(?:[A-Z][a-z]+\s+)?(?:Lead|Owner|Responsible|Responsibility|Led\s+by|By\s+whom|Who)"
                             r"\s*:\s*([^;|]{2,60})", _I)
OWNER_RXS = [
    re.compile(rf"\b(?:via\s+the\s+work\s+of|led\s+by|overseen\s+by|owned\s+by|co-?ordinated\s+by|delivered\s+by"
               rf"|responsibility\s+of)\s+(?:the\s+|a\s+|an\s+)?(?:new\s+)?({ROLE})"),
    re.compile(rf"\b(?i:led\s+by|overseen\s+by|owned\s+by|delivered\s+by|responsibility\s+of)\s+(?i:the\s+)?({LOWER_ROLE})\b"),
    re.compile(rf"^(?:[Tt]he\s+)?({ROLE})(?=\s|$)"),
    re.compile(rf"\b({ROLE})\s+(?:will|shall|to\s+(?!the\b)[a-z]+|is\s+responsible|are\s+responsible)"),
    re.compile(r"\b(?i:the)\s+((?:[a-z]+\s+){0,2}(?:committee|officer|headteacher|governors|board|council|senco|lead))"
               r"\s+will\b"),
]
CELL_ROLE_RX = re.compile(rf"(?:{ROLE}|(?i:{LOWER_ROLE}))")
#: A table cell that opens with posts, as PDF tables flatten them: "Head, Deputy and SENDCo",
#: "SBM Repairs and Maintenance/Capital" (the owner column run into the resources column).
#: Posts may also be listed with spaces only ("SENDCo Dyslexia Specialist Teacher SLT").
_POST = (rf"(?:{TITLED_POST}|Head(?:teacher)?|Deputy(?:\s+Head(?:teacher)?)?|SENDCo|SENCO|SENDCO|SENCo|SBM|DSL|DHT|HT|SLT"
         r"|Clerk|Chair|Class\s+teachers?)")
#: ... followed by the cell's end or the next column's capital, never by a verb ("SENDCo providing ...").
CELL_POSTS_RX = re.compile(rf"^({_POST}(?:\s*(?:,|and|&|/|\s)\s*{_POST})*)(?=\s*$|\s+[A-Z0-9(])")
#: A table whose column titles (heading or header row) include the owner's column.
LEAD_HEADER_RX = re.compile(r"\b(?:Lead|Leads|Owner|Owners|Who)\b|\b(?i:responsib\w*|by\s+whom|led\s+by)\b")
_POST_SPLIT_RX = re.compile(rf"{_POST}")


def has_marker(text: str) -> bool:
    """Does the sentence itself promise, target or schedule something?"""
    t = NOT_MARKER_RX.sub(" ", text)
    if owning_statement(t) and not (t.lstrip()[:1] in QUOTES or QUOTED_SOURCE_RX.match(t)):
        return True  # "Class teachers are responsible for ...": who does the work is said
    if not MARKER_RX.search(t) or t.rstrip().endswith("?") or t.lstrip()[:1] in QUOTES or QUOTED_SOURCE_RX.match(t):
        return False
    if RECOGNISE_RX.search(t):  # "We recognise that ... each one will be ..." is a prediction
        return bool(OWN_WILL_RX.search(t)) or bool(re.search(r"\b(?:aim|commit|pledge)", t, _I))
    return True


def find_owner(text: str) -> str | None:
    """A named post or body that does the work ("PSHE Lead", "Council"); never "the Trust" or "we".

    A table's owner column wins ("Owner: Head of English"), then a cell that is only a post
    ("... | Literacy Lead"), then the wording of the text ("led by", "X will", "X to ...").
    """
    if m := OWNER_COLUMN_RX.search(text):
        return _clean(m.group(1))
    if " | " in text:
        for cell in reversed(text.split(" | ")[1:]):
            if m := CELL_POSTS_RX.match(cell.strip()):  # "SENDCo Headteacher" is two posts
                return posts_of(m.group(1))
            if CELL_ROLE_RX.fullmatch(cell.strip().rstrip(".")):
                return _clean(cell)
    if owner := owner_phrase(text):
        return owner
    for rx in OWNER_RXS:
        if m := rx.search(text):
            return _clean(m.group(1))
    return None


def lead_cell(text: str) -> tuple[str, int, bool] | None:
    """(owner, cell index, whole) for the first cell of a table block that opens with posts:
    "Headteacher Repairs and Maintenance | 2020" -> ("Headteacher", 0, False); `whole`: the cell
    is only posts. PDF tables flatten a row into several blocks, and the owner column often lands
    in one of the row's later blocks."""
    for i, cell in enumerate(c.strip() for c in text.split(" | ")):
        if m := CELL_POSTS_RX.match(cell):
            return posts_of(m.group(1)), i, m.end() == len(cell.rstrip("."))
    return None


def posts_of(cell: str) -> str:
    """A cell of posts as one owner: "Head, Deputy and SENDCo" -> "Head/Deputy/SENDCo"."""
    return "/".join(_clean(m.group(0)) for m in _POST_SPLIT_RX.finditer(cell))


def _clean(owner: str) -> str:
    return " ".join(owner.split()).rstrip(".,;")


# -- kinds --------------------------------------------------------------------------------------

#: A step in making or running the plan itself, not something it delivers.
MILESTONE_HEADING_RX = re.compile(r"\b(?:timelines?|milestones?|next\s+steps|timetable|key\s+dates|implementation\s+plan"
                                  r"|how\s+we\s+will\s+get\s+there)\b", _I)
PROCESS_RX = re.compile(r"\b(?:this\s+(?:document|policy|plan|strategy)|it)\s+will\s+be\s+(?:formally\s+)?(?:reviewed|approved"
                        r"|ratified|adopted|signed\s+off)\b"
                        r"|^(?:initial\s+)?(?:sign[\s-]*off|launch|go-live|consultation|draft\w*|engagement|scoping"
                        r"|agreeing|formalising|co-creating|review\s+and\s+reset)\b|\bsign[\s-]*off\b|\bgo-live\b", _I)
#: Measurable or checkable end states: numbers, "zero", "above the national average", "all learners will".
TARGET_RX = re.compile(r"\d+(?:\.\d+)?\s*%|\bper\s*cent\b|\bzero\b|\bno\s+(?:child|pupil|learner|student)s?\b"
                       r"|\babove\s+(?:the\s+)?national|\btargets?\s+(?:of|to|for)\b|\bat\s+least\s+\d"
                       r"|\b(?:all|every|both)\s+(?:[\w-]+\s+){0,3}?(?:learners|pupils|students|children|staff|schools)\b"
                       r"[^.]{0,60}\bwill\b", _I)
_ORG_ACTS = re.compile(r"\b(?:we|the\s+trust|the\s+school|the\s+council|the\s+board|our\s+(?:school|trust))\s+"
                       r"(?:also\s+)?(?:will|shall|are\s+committed|commit|pledge|promise|intend|aim|plan)\b(?!\s+(?:be|have)\b)", _I)
_INTENT = re.compile(r"\bour\s+commitment\b|\bcommitted\s+to\b|\baims?\s+to\b|\bwill\s+(?:continue|remain|work|develop"
                     r"|provide|ensure|support|signpost|deliver|introduce|create|build|invest)\b", _I)
#: "will be provided / made available / updated": an undertaking in the passive, not an end state.
_PASSIVE_ACT = re.compile(r"\bwill\s+(?:also\s+)?be\s+(?:(?:made|provided|updated|given|kept|published|offered|shared"
                          r"|held|sought|put\s+in\s+place|arranged|reviewed|monitored|consulted|informed|invited)\b)", _I)
_STATE = re.compile(r"\bwill\s+(?:be|have|achieve|number|progress|benefit|feel|reach|secure|allow|develop\s+resilience)\b", _I)
_ACTION_START = re.compile(r"^(?:to\s+[a-z]+|the\s+(?:establishment|development|creation|introduction)\s+of|a\s+common"
                           r"|(?:further\s+)?(?:embed|ensure|deliver|encourage|continue|develop|provide|create|build|introduce"
                           r"|review|establish|maintain|invest|support|promote|expand|improve|raise|reduce|increase)\b"
                           r"|[A-Z][a-z]+ing\b|(?:further\s+)?(?:expansion|liaison|focus)\b"
                           r"|(?:improvements?\s+(?:to|in)|provision\s+of|audit|obtain|purchase)\b)", _I)


def kind_of(text: str, path: tuple[str, ...], dated_item: bool = False) -> str:
    """pledge (we will do), target (an end state to reach) or milestone (a step of the plan's own process).

    Why three: governors asking "what have we committed to by 2027?" want the pledges and
    targets, not "Draft for consultation April 2024", which is a date in the plan's making.
    """
    if dated_item or any(MILESTONE_HEADING_RX.search(h) for h in path[-2:]) or PROCESS_RX.search(text):
        return "milestone"
    if TARGET_RX.search(text):
        return "target"
    if _ORG_ACTS.search(text) or _INTENT.search(text) or _PASSIVE_ACT.search(text) or owning_statement(text):
        return "pledge"
    if _STATE.search(text):
        return "target"
    if re.search(r"\bwill\b|\bshall\b", text, _I):
        return "pledge"
    cells = [c.strip() for c in text.split(" | ")]  # a plan table's row: its objective or its actions
    return "pledge" if any(_ACTION_START.match(c) for c in cells) else "target"
