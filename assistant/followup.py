"""Turning a follow-up into a stand-alone question.

With an LLM, llama-index's condense-question prompt rewrites it. Without one, a
deterministic resolver handles the follow-ups people actually type: ordinal
references to the previous answer's list ("the last one", "the second", "phase 3"),
pronouns ("it", "that", "they"), and elliptic questions ("what about X?") —
by substituting the referent or carrying over the previous question's topic.
"""

from __future__ import annotations

import re

from assistant.models import Turn
from assistant.units import BULLET, terms

ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "last": -1, "final": -1, "latter": -1, "former": 0,
}
ORDINAL_REF = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|last|final|latter|former)"
    r"(?:\s+(?:one|item|point|phase|stage|step|value|priority|of (?:them|these|those)))?\b",
    re.I,
)
PRONOUN = re.compile(r"\b(it|its|that|this|they|them|these|those|there|he|she)\b", re.I)
ELLIPSIS = re.compile(r"^\s*(and|what about|how about|and what about|what of)\b", re.I)
MARKER = re.compile(r"\s*\[\d+\]")


def answer_items(answer_text: str) -> list[str]:
    """The enumerated items of a previous answer (bulleted lines), markers removed."""
    items = []
    for line in answer_text.splitlines():
        m = BULLET.match(line)
        if m:
            items.append(MARKER.sub("", line[m.end():]).strip())
    return items


def condense_without_llm(question: str, history: list[Turn]) -> str:
    """A stand-alone version of `question`, or the question itself when it needs no context."""
    last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    if last_user is None:
        return question
    items = answer_items(last_answer)
    ref = ORDINAL_REF.search(question)
    if ref and items:
        index = ORDINALS[ref.group(1).lower()]
        if -len(items) <= index < len(items):
            resolved = question[: ref.start()] + f'"{items[index]}"' + question[ref.end():]
            return f"{resolved} ({_topic(last_user)})"
    if ELLIPSIS.search(question) or PRONOUN.search(question) or not terms(question):
        return f"{question} ({_topic(last_user)})"
    return question


def _topic(question: str) -> str:
    """The previous question's content words, the cheapest faithful summary of its topic."""
    words = [w for w in re.findall(r"[A-Za-z0-9'-]+", question) if terms(w)]
    return " ".join(words)
