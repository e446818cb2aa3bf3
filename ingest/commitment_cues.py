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
