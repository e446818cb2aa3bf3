"""Expected answer types: what kind of fact a question asks for, and whether a passage holds one.

"What time does the school day start?" finds passages about the school day, and "How much is
the headteacher paid?" finds passages about the headteacher: topical matches that score well on
similarity yet cannot answer, because they hold no time and no sum of money. Classic QA systems
check the expected answer type for this reason (Li & Roth's question classes). Ethos uses a few
narrow, high-precision types, so a question that fits none of them is never affected:

- a unit that holds the asked-for type is preferred when composing the answer;
- when no retrieved unit holds it, the refusal model (assistant/refusal.py) counts that strongly
  towards refusing, rather than quote a near miss.

Dates ("when…?", "how often…?"), lengths of time ("how long…?") and numbers ("how many…?") are
broader types: they only help choose the unit that holds one, and count as one signal among
several for refusal.

The question patterns are deliberately strict ("how much … cost", not any "how much"), because a
false type turns an answerable question into a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]  # the question asks for this type
    holds: re.Pattern[str]  # a passage contains a value of this type

    def found_in(self, text: str) -> bool:
        return bool(self.holds.search(text))


_MONEY_WORDS = (r"(?:cost|costs|costing|charge|charged|charges|pay|paid|earn|earns|salary|salaries|wage|wages|"
                r"money|budget|spend|spent|spending|funding|grant|price|fee|fees|allocation|allocated|invest|invested|"
                r"investment|set aside|carry(?:ing)? forward|carried forward)")

TIME_OF_DAY = AnswerType(
    "time of day",
    re.compile(r"\bwhat times?\b|\b(?:start|finish|opening|closing) times?\b|\bopening hours\b|"
               r"\bwhat hours\b|\bwhich hours\b", re.I),
    re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|\bnoon\b|\bmidday\b|"
               r"\bmidnight\b|\bo'clock\b", re.I),
)
MONEY = AnswerType(
    "sum of money",
    re.compile(rf"\bhow (?:much|big|large)\b.*\b{_MONEY_WORDS}\b|\bwhat (?:does|do|did|will|would) .{{0,60}}\bcost\b|"
               r"\b(?:cost|price|salary) of\b|\bwhat(?:'s|’s| is| are| was)\b.{0,40}\b(?:salary|salaries|wages?)\b", re.I),
    re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|p|million|bn|billion)\b(?!\w)|"
               r"\bfree of charge\b|\bno (?:cost|charge)\b|\bat no cost\b", re.I),
)
INSPECTION_GRADE = AnswerType(
    "inspection grade",
    re.compile(r"\b(?:ofsted|inspection|inspectors?)\b.*\b(?:grade|graded|rating|rated|judgement|judged|outcome)\b|"
               r"\b(?:grade|graded|rating|rated|judgement|judged)\b.*\b(?:ofsted|inspection|inspectors?)\b", re.I),
    re.compile(r"\b(?:outstanding|good|requires improvement|inadequate|special measures|serious weaknesses)\b", re.I),
)
_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
DATE = AnswerType(
    "date",
    re.compile(r"^\W*when\b|\bwhat (?:year|date|month|day|term)\b|\bwhich (?:year|date|month|day|term)\b|\bby when\b|"
               r"\bhow often\b|\bin what year\b", re.I),
    re.compile(rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b{_MONTHS}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b|\bcentur(?:y|ies)\b|"
               r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\b(?:annual(?:ly)?|yearly|termly|half[- ]termly|"
               r"weekly|daily|monthly|every (?:year|term|week|day|month)|each (?:year|term|week|day)|"
               r"autumn|spring|summer|winter|term|terms|today|tomorrow|year [0-9]+|years?|months?|weeks?|days?)\b", re.I),
)
_NUMBER_WORDS = (r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
                 r"twenty|thirty|forty|forty-five|fifty|sixty|ninety|hundred|several|few|a few|couple of)")
_PERIODS = (r"(?:years?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|terms?|half[- ]terms?|"
            r"decades?|lessons?|sessions?)")
DURATION = AnswerType(
    "length of time",
    re.compile(r"\bhow long\b|\bfor how (?:many )?(?:long|years|months|weeks|days|hours)\b", re.I),
    re.compile(rf"\b{_NUMBER_WORDS}(?:[\s-]+(?:and a half|more|or more|full|calendar|school|working|academic|"
               rf"consecutive|further|whole))?[\s-]+{_PERIODS}\b|\b(?:until|till|up to|indefinitely|permanently|"
               r"for life|for ever|forever|lifetime|birthday|centur(?:y|ies))\b|"
               r"\b(?:19|20)\d{2}\s*(?:[-–—/]|to|until)\s*(?:19|20)?\d{2}\b|\b(?:by|from|since) (?:19|20)\d{2}\b|"
               r"\b\d{1,2}[:.]\d{2}\b|\b(?:seconds|minutes|hours)\b", re.I),
)
COUNT = AnswerType(
    "number",
    re.compile(r"\bhow many\b|\bwhat (?:number|percentage|proportion|share)\b|\bhow much (?:of|time)\b", re.I),
    re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
               r"hundred|thousand|million|dozen|half|quarter|third|all|none|every|each|single|double|both)\b", re.I),
)
#: Narrow types whose value, when a unit holds one, always leads the answer.
STRICT = (TIME_OF_DAY.name, MONEY.name, INSPECTION_GRADE.name)
#: Checked in order: the first whose question pattern matches is the type asked for.
TYPES = (TIME_OF_DAY, MONEY, INSPECTION_GRADE, DURATION, DATE, COUNT)


def expected_type(question: str) -> AnswerType | None:
    """The answer type a question asks for, or None when it asks for none of the known types."""
    return next((t for t in TYPES if t.asks.search(question)), None)
