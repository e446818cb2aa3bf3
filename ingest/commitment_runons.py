"""Run-on paragraphs: headings and list items that a web transcript of slides ran together on one line.

Plans scraped from slide decks arrive as one long line: "What do we wish to
achieve by 2027? Ordinarily Available Inclusive Practice & graduated response
Transparent data and funding arrangements Highly skilled workforce ...".
Each item in it is a separate commitment, so such a paragraph is split back into
items here: at the capital that opens an item, at dates ending a timeline item,
and at theme labels the document repeats. A sentence without final punctuation
may likewise carry a heading before it and a list after it; `trim_run_on` cuts
those off so that the quoted commitment is only the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Block, Document, Page
from ingest.timeframes import DATED_RX, MY_RANGE_RX

ASK_RX = re.compile(r"What\s+(?:do\s+|shall\s+|will\s+)?we\s+(?:wish|want|aim|hope|plan|intend|need)\s+to"
                    r"\s+(?:achieve|do|deliver|see)[^?]{0,60}\?")
PLAN_LEAD_RX = re.compile(
    r"^((?:[A-Z][\w&-]*\s+){0,3}?(?:Timelines?|Steps|Milestones|Actions|Priorities|Targets|Objectives|Goals)"
    r"(?:\s+20\d\d\s*[-–]\s*\d{2,4})?)\s+(?=[A-Z])")

# -- paragraphs of run-together items ---------------------------------------------------------

_FUNC = set("and of for to the in on at with within from into across by & a an or incl. including through over "
            "out around via as per one two three four five six seven eight nine ten".split())
_COMPOUND = {"based", "led", "wide", "quality", "level", "centred", "focused", "s"}  # "school based Communities"
_OPENERS = set("All A An Every Each No Zero New More Greater Better Improved Increased Reduced High Higher Strong "
               "Stronger Whole Full Annual Regular Clear Safe Secure Effective Targeted".split())
_MODIFIER = ("al", "ic", "ive", "ary", "ful", "ous", "ble", "ly")
_TOKEN = re.compile(r"\S+")


def _opens_item(prev: str, word: str, nxt: str) -> bool:
    """Does `word` start a new item, in a run of items written without punctuation?

    Items in such runs start with a capital; a capital after a lower-case content word
    starts one, and after another capital only an item-opening word does (a determiner
    or quantifier, a gerund, a participle, an adverb or an adjective after a noun).
    """
    p = prev.lower().rstrip(",;:")
    if not word[:1].isupper() or p in _FUNC or prev.endswith(",") or prev[:1].isdigit():
        return False
    if prev[:1].islower():  # "co-ordinated SEMH provisions" is one item, "supported High levels" two
        participle = len(p) > 4 and p.endswith("ed") and not p.endswith("eed")
        verb = participle or (p.endswith("ing") and len(p) > 5)  # "practising Rights" keeps its object
        return p not in _COMPOUND and (not verb or word in _OPENERS or word.endswith("ing"))
    w = word.lower()
    if word in _OPENERS or (w.endswith(("ly", "ed")) and len(w) > 4) or re.match(r"[A-Z][a-z]+-[a-z]", word):
        return True
    if w.endswith("ing") and len(w) > 5:  # "Intervention Tackling the", not "School Monitoring Scorecard"
        return p.endswith("ing") or not nxt[:1].isupper()
    return len(w) > 5 and w.endswith(_MODIFIER) and not p.endswith(_MODIFIER)


def _segments(text: str, base: int, cuts: set[int]) -> list[tuple[int, int]]:
    """Split `text` into items at item openers and at the forced `cuts` (absolute offsets)."""
    tokens = [(base + m.start(), base + m.end(), m.group()) for m in _TOKEN.finditer(text)]
    out, start, prev = [], None, ""
    for i, (s, e, word) in enumerate(tokens):
        nxt = tokens[i + 1][2] if i + 1 < len(tokens) else ""
        if start is None:
            start = s
        elif s in cuts or _opens_item(prev, word, nxt):
            out.append((start, last_end))
            start = s
        last_end, prev = e, word
        if e in cuts:
            out.append((start, e))
            start = None
    if start is not None:
        out.append((start, last_end))
    return out


def _title_ngrams(text: str) -> set[str]:
    words = text.split()
    grams = set()
    for n in (2, 3, 4):
        for i in range(len(words) - n + 1):
            g = words[i : i + n]
            if g[0][:1].isupper() and g[-1][:1].isupper() and all(w[:1].isupper() or w in ("and", "for", "of", "to", "&") for w in g):
                grams.add(" ".join(g))
    return grams


@dataclass
class RunOn:
    heads: tuple[str, ...]
    body: int  # absolute offset where the items start
    asks: bool  # the "What do we wish to achieve ...?" form, whose groups close with a theme label


def run_on(page: Page, b: Block) -> RunOn | None:
    """A paragraph that is really a heading followed by a list run together on one line."""
    text = page.text[b.start : b.end]
    if m := ASK_RX.search(text[:160]):
        lead = text[: m.start()].strip()
        if lead and not all(w[:1].isupper() or w in _FUNC for w in lead.split()):
            return None
        heads = ((lead,) if lead else ()) + (m.group(),)
        return RunOn(heads, b.start + m.end() + len(text[m.end():]) - len(text[m.end():].lstrip()), True)
    if m := PLAN_LEAD_RX.match(text):
        return RunOn((m.group(1),), b.start + m.end(), False)
    return None


def doc_labels(doc: Document) -> set[str]:
    """Theme labels that close the groups of "what we wish to achieve" runs: Title Case phrases
    the document repeats in two or more such runs ("Community Heart", "Skills and Employability")."""
    seen: dict[str, int] = {}
    for page in doc.pages:
        for b in page.blocks:
            if b.kind == "paragraph" and (r := run_on(page, b)) and r.asks:
                for g in _title_ngrams(page.text[r.body : b.end]):
                    seen[g] = seen.get(g, 0) + 1
    return {g for g, n in seen.items() if n >= 2}


def run_on_items(page: Page, b: Block, r: RunOn, labels: set[str], closing: bool) -> list[tuple[int, int, str]]:
    """(start, end, theme label) of each item of a run-on list; column labels and theme labels dropped."""
    body = page.text[r.body : b.end]
    cuts: set[int] = set()
    drop: set[tuple[int, int]] = set()
    for m in MY_RANGE_RX.finditer(body):  # "Sept 2026-Aug 2027": a column label, not an item
        drop.add((r.body + m.start(), r.body + m.end()))
    for label in labels:
        for m in re.finditer(rf"(?<!\S){re.escape(label)}(?!\S)", body):
            drop.add((r.body + m.start(), r.body + m.end()))
    dated = [m for m in DATED_RX.finditer(body) if not any(s <= r.body + m.start() < e for s, e in drop)]
    for s, e in drop:
        cuts |= {s, e}
    if len(dated) >= 2:  # a timeline: each item ends with its date
        cuts |= {r.body + m.end() for m in dated}
        pieces, start = [], r.body
        for cut in sorted(cuts | {b.end}):
            if cut > start:
                seg = page.text[start:cut]
                s = start + len(seg) - len(seg.lstrip())
                pieces.append((s, start + len(seg.rstrip())))
            start = cut
    else:
        pieces = _segments(body, r.body, cuts)
    items: list[tuple[int, int, str]] = []
    group: list[tuple[int, int]] = []
    for s, e in pieces:
        if (s, e) in drop or any(ds <= s and e <= de for ds, de in drop):
            if page.text[s:e] in labels:
                items += [(gs, ge, page.text[s:e]) for gs, ge in group]
                group = []
            continue
        if len(page.text[s:e].split()) >= 2:
            group.append((s, e))
    if closing and r.asks and group:  # the run ends with its last group's label
        s, e = group.pop()
        label = page.text[s:e] if items else ""  # without inner labels the groups are unknown
        items += [(gs, ge, label) for gs, ge in group]
    else:
        items += [(gs, ge, "") for gs, ge in group]
    return items


# -- sentences with a heading or a list attached ----------------------------------------------

_LEAD_IN = re.compile(r"^((?:[A-Z0-9][\w&’'-]*\s+){1,5})(?=(?:Our|We|The|This|These|All|By)\s)")
_TITLE_RUN = re.compile(r"(?<=[a-z,])\s+(?=(?:[A-Z][\w&’'-]*\s+){2}[A-Z])")


def trim_run_on(page: Page, s: int, e: int) -> tuple[int, int, tuple[str, ...]]:
    """A sentence with no final punctuation may carry a heading before it and a list after it."""
    text = page.text[s:e]
    if text.rstrip()[-1:] in ".!?:;\"”)" or len(text) < 120:
        return s, e, ()
    heads: tuple[str, ...] = ()
    if m := _LEAD_IN.match(text):
        heads, s, text = (m.group(1).strip(),), s + m.end(), text[m.end():]
    if m := _TITLE_RUN.search(text):
        e = s + m.start()
    return s, e, heads
