"""Time frames of commitments: the years, and the month when stated, that a piece of text schedules.

"By 2027", "from 2023-4", "May- June 2024", "Sept 2026-Aug 2027", "(2023 - 2028)"
and "our vision for 2040" all say when something is due, in a dozen spellings.
Governors sort and filter commitments by these, so each is normalised here to a
`Frame` of years (and "YYYY-MM" for a dated milestone or deadline). The date
patterns are also what the commitment extractor and the run-on splitter use to
recognise dated items, so they live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
