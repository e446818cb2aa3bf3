"""The extractive answer's text: verbatim windows of the best passages, answer-bearing lines marked.

Ranking isolated sentences against each other lost what retrieval found: a short generic
sentence sharing one word beat the list item that answered. So the composer starts from the
passages: it picks the passage that best answers (its best unit, its retrieval rank, its
coverage of the question's focus terms), shows a verbatim window of it around the answer-bearing
units (neighbours included, a list item with its list's intro) bounded to `answer_words`, and
marks those units in bold. The runner-up passage is added only when it scores nearly as well
(from another document, or, when `second_same_doc` is fitted on, another section of the same
one), each passage introduced by where it comes from, so lines of two sections are never run
together as one statement. The full passage is one click away (the
citation opens the page at the quote).
"""

from __future__ import annotations

from assistant.models import Answer, Citation, Evidence, Sentence
from assistant.scoring import AnswerParams, Scored
from assistant.units import Unit, citation

MAX_LIST_ITEMS = 12


def words(text: str) -> int:
    return len(text.split())


def window(units: list[Unit], anchor: Unit, budget: int, forward_only: bool = False,
           forward_bias: float = 0.0) -> list[Unit]:
    """A contiguous run of `units` (one passage, reading order) around `anchor` within `budget` words.

    Grows towards the better-scoring neighbour first, so the window leans to where the answer is;
    the line after counts `forward_bias` more (policy prose states its topic, then the rule);
    `forward_only` keeps the anchor first (an asked-for value leads the answer).
    """
    i = units.index(anchor)
    lo = hi = i
    used = words(anchor.text)
    while True:
        left = units[lo - 1] if lo > 0 and not forward_only else None
        right = units[hi + 1] if hi + 1 < len(units) else None
        options = [u for u in (left, right) if u is not None and used + words(u.text) <= budget]
        if not options:
            return units[lo : hi + 1]
        nxt = max(options, key=lambda u: (u.rank + (forward_bias if u is right else 0.0), u is right))
        used += words(nxt.text)
        if nxt is left:
            lo -= 1
        else:
            hi += 1


def passage_block(ev: Evidence, n: int, shown: list[Unit], marked: set[int], intro: Unit | None) -> tuple[str, list[Citation], list[Sentence]]:
    """Text, citations and sentences of one passage's window (citation `n`, and `n+1` for a detached intro)."""
    cites: list[Citation] = []
    sentences: list[Sentence] = []
    lines: list[str] = []
    if intro is not None and intro not in shown:  # a mid-list item still comes with what the list is
        cites.append(citation(n, ev, intro.start, intro.end, intro.score))
        lines.append(f"{intro.text.strip()} [{n}]")
        sentences.append(Sentence(text=intro.text.strip(), citations=[n]))
        n += 1
        if shown and shown[0].kind == "item":
            lines.append("- …")
    start, end = shown[0].start, shown[-1].end
    cites.append(citation(n, ev, start, end, max(u.score for u in shown)))
    parts: list[str] = []
    for u in shown:
        text = u.text.strip()
        sentences.append(Sentence(text=text, citations=[n]))
        # bold cannot span a line break in Markdown: a marked unit is shown on one line
        shown_text = f"**{' '.join(text.split())}**" if id(u) in marked else text
        parts.append(f"- {shown_text}" if u.kind == "item" else shown_text)
    body = ""
    for k, (u, part) in enumerate(zip(shown, parts)):
        sep = "" if k == 0 else ("\n" if u.kind == "item" or shown[k - 1].kind == "item" else " ")
        body += sep + part
    lines.append(f"{body} [{n}]")
    return "\n".join(lines), cites, sentences


def compose(evidence: list[Evidence], scored: Scored, params: AnswerParams, budget: int,
            lead: Unit | None = None) -> Answer:
    """The answer from the best passage (and a nearly-as-good one from another document)."""
    quoted_at = {u.evidence for u in scored.units if id(u) in scored.quoted}
    order = sorted(range(len(evidence)), key=lambda i: (i in quoted_at, scored.passages[i]), reverse=True)
    first = lead.evidence if lead is not None else order[0]
    chosen = [first]
    top: dict[int, Unit] = {}  # per passage, its best line
    for u in scored.units:
        if u.evidence not in top or u.rank > top[u.evidence].rank:
            top[u.evidence] = u
    first_line = _same_words(lead or top.get(first))
    for i in order:
        if i == first:
            continue
        other_doc = evidence[i].chunk.doc_id != evidence[first].chunk.doc_id
        eligible = other_doc or params.second_same_doc >= 0.5  # same document: another section or page
        # a document that repeats a line (the same aim under two phases) would show it twice
        eligible = eligible and _same_words(top.get(i)) != first_line
        if eligible and scored.passages[i] >= scored.passages[first] - params.second_margin:
            chosen.append(i)
        break  # only the runner-up is considered: a third passage is never "nearly as strong"
    blocks, citations, sentences = [], [], []
    used = 0  # words shown so far
    for place, i in enumerate(chosen):
        own = [u for u in scored.units if u.evidence == i]
        if not own:
            continue
        # a place the user (or the follow-up resolver) named in quotes is where the answer is
        named = [u for u in own if id(u) in scored.quoted]
        anchor = lead if (lead is not None and place == 0) else max(named or own, key=lambda u: u.rank)
        label = where(evidence[i]) if len(chosen) > 1 else ""
        # the whole answer stays within `budget` words: with a second passage the first gets `first_share`
        if len(chosen) == 1:
            part_budget = budget
        elif place == 0:
            part_budget = int(budget * params.first_share)
        else:
            part_budget = budget - used
        if anchor is not lead and sum(words(u.text) for u in own) <= params.whole_passage * part_budget:
            shown = own  # a passage barely over the budget is shown whole: cutting it loses more than it saves
        else:  # a line announcing what follows ("… if;", "What do we wish to achieve?") reads forwards
            shown = window(own, anchor, max(part_budget, words(anchor.text)),
                           forward_only=anchor is lead or introduces(anchor), forward_bias=params.forward_bias)
        marked = {id(u) for u in shown if u.rank >= anchor.rank - params.mark_margin}
        # a list item comes with its list's intro, unless it is the asked-for value, which leads
        intro = next((u for u in own if u.intro and u.run == anchor.run), None) \
            if anchor.kind == "item" and anchor is not lead else None
        text, cites, sents = passage_block(evidence[i], len(citations) + 1, shown, marked, intro)
        if label:
            # a line of prose runs on from its label; a list (even of one item) starts below it
            text = f"*{label}:* {text}" if "\n" not in text and not text.startswith("- ") else f"*{label}:*\n{text}"
        used += words(text)
        blocks.append(text)
        citations += cites
        sentences += sents
    return Answer(answer="\n\n".join(blocks), citations=citations, sentences=sentences)


def _same_words(u: Unit | None) -> str:
    """A line's words, compared regardless of spacing and case."""
    return " ".join(u.text.split()).lower() if u is not None else ""


def introduces(u: Unit) -> bool:
    """A line that announces what follows: a list's intro, a heading-like question, a line ending in ':'."""
    t = u.text.strip()
    return u.intro or t.endswith((":", "?"))


def where(ev: Evidence) -> str:
    """Where a passage comes from, when an answer shows two: its document and its own section."""
    c = ev.chunk
    return f"{c.title} ({c.section_path[-1] if c.section_path else c.section})" if c.section else f"{c.title}, p. {c.page}"


def whole_list(ev: Evidence, intro: Unit | None, items: list[Unit]) -> Answer:
    """A list question answered by the whole list, verbatim (bounded; the rest one click away)."""
    shown = items[:MAX_LIST_ITEMS]
    start = intro.start if intro else shown[0].start
    cite = citation(1, ev, start, shown[-1].end, max(i.score for i in shown))
    lead = intro.text.strip() if intro else f"From {ev.chunk.title} ({ev.chunk.section or 'p. %d' % ev.chunk.page}):"
    body = "\n".join(f"- {i.text.strip()}" for i in shown)
    more = f"\n- … {len(items) - len(shown)} more in the source [1]" if len(items) > len(shown) else ""
    sentences = [Sentence(text=lead, citations=[1])] + [Sentence(text=i.text.strip(), citations=[1]) for i in shown]
    return Answer(answer=f"{lead} [1]\n{body}{more}", citations=[cite], sentences=sentences)


def headings_answer(ev: Evidence, kids: list[tuple[str, int, int]]) -> Answer:
    """A list question answered by a section's sub-headings ("what are the phases?")."""
    parent = ev.chunk.section_path[-2] if len(ev.chunk.section_path) > 1 else ev.chunk.title
    citations = [
        Citation(n=i + 1, doc_id=ev.chunk.doc_id, title=ev.chunk.title, organisation=ev.chunk.organisation,
                 section=parent, page=page, quote=text, start=start, end=start + len(text),
                 chunk_id=ev.chunk.chunk_id, score=round(ev.score, 4))
        for i, (text, page, start) in enumerate(kids)
    ]
    lead = f"{parent} in {ev.chunk.title} has {len(kids)} parts:"
    body = "\n".join(f"- {c.quote} [{c.n}]" for c in citations)
    sentences = [Sentence(text=c.quote, citations=[c.n]) for c in citations]
    return Answer(answer=f"{lead}\n{body}", citations=citations, sentences=sentences)
