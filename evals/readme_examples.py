"""Regenerate the README's demo answers: `python -m evals.readme_examples > /tmp/examples.md`.

The README prints real answers, misses included; this prints them in its format (the answer as a
text block, then each citation with its place and the start of its verbatim quote) from the demo
corpus as a `staff` user, so the examples can be refreshed after any change to the answer path
instead of being edited by hand.
"""

from __future__ import annotations

import sys

from assistant.access import audiences_for
from assistant.models import Answer, Principal
from evals.corpora import open_corpus

QUESTIONS = (
    "What's our SEND non-negotiable?",
    "What are our values?",
    "What does every lesson look like here?",
    "What are the phases of the improvement model?",
    "What are the term dates for next year?",
    "Where is the defibrillator?",
    "What does Lilian Baylis say about reading?",
)


def render(question: str, answer: Answer, quote_chars: int = 110) -> str:
    """One README example: the question in bold, the answer verbatim, then its sources."""
    lines = [f"**{question}**", "", "```text", answer.answer, "```"]
    for c in answer.citations:
        quote = " / ".join(part.strip() for part in c.quote.splitlines() if part.strip())
        quote = quote if len(quote) <= quote_chars else quote[:quote_chars] + "…"
        org = f" — {c.organisation}" if c.organisation else ""
        section = f", {c.section}" if c.section else ""
        lines.append(f"- [{c.n}] {c.title}{org}{section}, p. {c.page}: “{quote}”")
    return "\n".join(lines)


def main() -> None:
    assistant = open_corpus("demo")
    staff = Principal(role="staff", audiences=audiences_for("staff", assistant.settings), name="readme")
    for question in QUESTIONS:
        sys.stdout.write(render(question, assistant.ask(question, staff, mode="extractive")) + "\n\n")


if __name__ == "__main__":
    main()
