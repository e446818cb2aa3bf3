"""An LLM's lead sentence for a tracker answer, kept only when its figures are the tracker's.

With an LLM configured, a commitments or decisions answer may open with the model's one- or
two-sentence summary of the tracker's listing. The listing (rows, counts, owners) is always
the tracker's; the summary is generative text and is checked like any other generative
sentence (assistant/grounding.py checks every number against what a sentence cites): here
a count ("12 commitments", "three actions") must be one of the counts the tracker stated,
and any other number (a year, a percentage) must appear in the listing. A reply that fails,
refuses, or cites passages it was never shown is dropped and the tracker-written lead
stands, so a model can never change "88 due by 2027" into "30".
"""

from __future__ import annotations

import logging
import re
from typing import Any

from assistant.grounding import MARKER_GROUP, is_refusal_text, spans, strip_markers

log = logging.getLogger(__name__)

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                                                      "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER = rf"(?<![\w-])(?P<n>\d[\d,]*|(?:{_WORDS})(?:-(?:{_WORDS}))?)"
#: A number that counts rows: "88 commitments", "12 open actions", "three of them", "2 documents".
_NOUNS = (r"commitments?|pledges?|targets?|milestones?|actions?|decisions?|documents?|plans?|items?|rows?|owners?"
          r"|entries|entry|policies|policy")
COUNT_RX = re.compile(_NUMBER + r"(?:\s+(?:more|other|further))?\s+(?:of\s+(?:them|these|those)\b|(?:[a-z-]+\s+)?"
                      rf"(?:{_NOUNS})\b)", re.I)
DIGITS_RX = re.compile(r"\d+(?:[.,]\d+)*")


def _value(token: str) -> int | None:
    token = token.lower().replace(",", "")
    if token.isdigit():
        return int(token)
    parts = [NUMBER_WORDS.get(t) for t in token.split("-")]  # "eighty-eight"
    return None if None in parts else sum(p for p in parts if p is not None)


def figures_ok(sentence: str, counts: set[int], listing: str) -> bool:
    """Every count in the sentence is a tracker count; every other number appears in the listing."""
    counted: set[tuple[int, int]] = set()
    for m in COUNT_RX.finditer(sentence):
        value = _value(m.group("n"))
        if value is not None and 1990 <= value <= 2100:  # a year ("by 2027 targets ..."), checked below
            continue
        if value is not None and value not in counts:
            return False
        counted.add(m.span("n"))
    have = set(DIGITS_RX.findall(listing))
    for m in DIGITS_RX.finditer(sentence):
        if not any(s <= m.start() < e for s, e in counted) and m.group(0) not in have:
            return False
    return True


def checked_summary(text: str, counts: set[int], listing: str) -> str | None:
    """The reply if every sentence passes (no markers, no refusal, the tracker's figures); else None."""
    sentences = [strip_markers(raw) for _, raw in spans(text)]
    if not sentences or MARKER_GROUP.search(text):
        return None
    for s in sentences:
        if is_refusal_text(s) or not figures_ok(s, counts, listing):
            log.info("LLM lead dropped (figures not the tracker's): %r", s)
            return None
    return " ".join(sentences)


def summary_from_llm(llm: Any, question: str, listing: str, counts: set[int]) -> str | None:
    """One or two checked sentences from the LLM over the tracker's own listing; None if it fails."""
    prompt = ("A governor asked: " + question + "\nHere is the complete answer from the commitments tracker:\n"
              + listing + "\n\nWrite one or two plain sentences summarising it for the governor. Use only numbers "
              "that appear above; do not list items; no citations.")
    try:
        from llama_index.core.llms import ChatMessage

        text = str(llm.chat([ChatMessage(role="user", content=prompt)]).message.content or "").strip()
    except Exception as exc:  # noqa: BLE001 - the tracker's answer stands without a summary
        log.warning("LLM summary of the tracker answer failed: %s", exc)
        return None
    return checked_summary(text, counts, listing) if text else None
