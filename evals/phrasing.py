"""`ethos eval phrasing`: do answers hold up when a question comes wrapped in chat?

Every golden question of the demo and real-PDF sets is asked plainly, and again inside each
conversational frame ("Hi, quick question: …", "… Thanks!"). A frame adds no information, so a
robust assistant answers the framed question as it answers the plain one. Reported per set and
half: answer containment, false refusals and refusal recall, plain and framed.

Typed in a hurry counts as a frame too ("casual": lower case, no apostrophes, no question mark), and
so does one typo in the question's longest word (`assistant.spelling`).
The frames come in two sets, like the questions: `TUNE_FRAMES` were used while building
`assistant.phrasing`; `TEST_FRAMES` were written before it was built and never used to change it.
Both sets are reported, and the test frames on the test half are the headline.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import replace
from pathlib import Path

from evals import metrics
from evals.cases import Case, Outcome, answer, golden_cases, prepare
from evals.corpora import DEFAULT_KEEP, open_corpus, reader
from evals.report import md_table

#: Typed in a hurry, as a frame: "casual" is lower case, no apostrophes, no question mark;
#: "unpunctuated" is lower case with no punctuation at all (hyphens kept).
CASUAL = "casual"
UNPUNCTUATED = "unpunctuated"
#: One typo in the question's longest word (of six letters or more): two neighbouring letters
#: swapped (used while building `assistant.spelling`), or one letter dropped (written after it was
#: built, and run only once it was finished).
SWAPPED = "swapped letters"
DROPPED = "dropped letter"
#: (prefix, suffix, lower-case the question's first letter); a named form above stands as the prefix
TUNE_FRAMES = (
    ("Hi, quick question: ", "", False),
    ("Could you let me know ", "", True),
    ("", " Thanks!", False),
    ("I'm new here, sorry if this is obvious. ", "", False),
    ("Can you tell me, ", " please?", False),
    (CASUAL, "", False),
    (SWAPPED, "", False),
)
TEST_FRAMES = (
    ("Hello! ", "", False),
    ("Good morning, ", "", False),
    ("Hey, sorry to bother you, ", "", False),
    ("", " Cheers.", False),
    ("Just wondering, ", "", False),
    ("Please could you tell me ", "", True),
    ("", " Many thanks in advance.", False),
    ("Bit of a silly question but ", "", False),
    ("Do you know ", "", True),
    ("", " Ta!", False),
    (UNPUNCTUATED, "", False),
    (DROPPED, "", False),
)
NAMED = (CASUAL, UNPUNCTUATED, SWAPPED, DROPPED)
SETS = ("demo", "realdocs")


def framed(question: str, frame: tuple[str, str, bool]) -> str:
    prefix, suffix, lower = frame
    if prefix == CASUAL:
        return re.sub(r"[’']", "", question.lower()).rstrip("?").strip()
    if prefix == UNPUNCTUATED:
        return " ".join(re.sub(r"[^\w\s-]", " ", question.lower()).split())
    if prefix in (SWAPPED, DROPPED):
        return typo(question, swap=prefix == SWAPPED)
    body = question[0].lower() + question[1:] if lower and question else question
    return f"{prefix}{body}{suffix}"


def typo(question: str, swap: bool) -> str:
    """One typo in the longest word, at a place fixed by the question's text (the same every run)."""
    words = list(re.finditer(r"[A-Za-z]{6,}", question))
    if not words:
        return question
    m = max(words, key=lambda w: len(w.group()))
    w, i = m.group(), 1 + zlib.crc32(question.encode()) % (len(m.group()) - 3)
    w = w[:i] + w[i + 1] + w[i] + w[i + 2:] if swap else w[:i] + w[i + 1:]
    return question[: m.start()] + w + question[m.end():]


def describe(frame: tuple[str, str, bool]) -> str:
    return frame[0] if frame[0] in NAMED else framed("…", frame)


def _stats(outcomes: list[Outcome]) -> tuple[float, float, float, int, int]:
    ans = [o for o in outcomes if not o.case.unanswerable]
    un = [o for o in outcomes if o.case.unanswerable]
    return (metrics.mean([o.containment for o in ans]), sum(o.refused for o in ans) / max(len(ans), 1),
            sum(o.refused for o in un) / len(un) if un else float("nan"), len(ans), len(un))


def _ask_all(assistant, principal, cases: list[Case], frame) -> list[Outcome]:
    out = []
    for case in cases:
        asked = case if frame is None else replace(case, question=framed(case.question, frame))
        out.append(answer(assistant, prepare(assistant, principal, asked)))
    return out


def run(out: Path, keep: Path = DEFAULT_KEEP, sets: tuple[str, ...] = SETS, log=print) -> list[list[object]]:
    rows: list[list[object]] = [["set", "half", "frames", "n (answerable / not)", "containment", "false refusal",
                                 "refusal R", "containment lost to the frame"]]
    per_frame: list[list[object]] = [["set", "half", "frame", "containment", "false refusal", "refusal R"]]
    for name in sets:
        assistant = open_corpus(name, keep)
        principal = reader(assistant.settings)
        started = time.perf_counter()
        for half in ("test", "tune"):
            cases = [c for c in golden_cases(name) if c.half == half and not c.history]  # a follow-up is not a first message
            plain = _stats(_ask_all(assistant, principal, cases, None))
            rows.append([name, half, "none", f"{plain[3]} / {plain[4]}", plain[0], plain[1], plain[2], 0.0])
            for label, frames in (("test frames", TEST_FRAMES), ("tune frames", TUNE_FRAMES)):
                results = []
                for frame in frames:
                    s = _stats(_ask_all(assistant, principal, cases, frame))
                    results.append(s)
                    per_frame.append([name, half, f"{label[:4]}: {describe(frame)}", s[0], s[1], s[2]])
                mean = [sum(r[k] for r in results) / len(results) for k in range(3)]
                rows.append([name, half, f"{label} ({len(frames)}), mean", f"{plain[3]} / {plain[4]}", *mean,
                             round(plain[0] - mean[0], 6) + 0.0])  # never "-0.000"
        log(f"{name}: phrasing in {time.perf_counter() - started:.0f}s")
    out.mkdir(parents=True, exist_ok=True)
    text = [
        "# Questions wrapped in chat",
        "",
        "Generated by `ethos eval phrasing` (`evals/phrasing.py`). Each golden question (follow-ups left out) is asked",
        "plainly, inside every conversational frame and typed in a hurry (\"casual\": lower case, no apostrophes, no",
        "question mark; \"unpunctuated\": no punctuation at all) or with one typo in its longest word (two letters",
        "swapped, a tune frame; one letter dropped, a test frame written after `assistant.spelling` and run once it",
        "was finished); a frame adds nothing, so the framed figures should equal the",
        "plain ones. The test frames were written before `assistant.phrasing` was built and never used to change it;",
        "**test frames on the test half are the headline**. Containment counts a refused answerable question as 0.",
        "",
        md_table(rows[0], rows[1:]),
        "",
        "## Each frame",
        "",
        md_table(per_frame[0], per_frame[1:]),
        "",
    ]
    (out / "phrasing.md").write_text("\n".join(text), encoding="utf-8")
    return rows
