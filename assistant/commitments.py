"""Chat answers about commitments, from the tracker: the tab's count, grouped, a screenful, owners stated.

"What have we committed to by 2027, and who owns it?", "what are we aiming for by 2026?",
"what did we promise on reading?", "what did the board agree about the SIP?" are turned
into the same `CommitmentFilters` the Commitments tab and `GET /api/commitments` use,
merged with the request's own filters and run with the request's principal, so the
count in the answer is the count the tab shows for those filters. The answer says that
count, groups rows by organisation and document, shows at most a screenful, names the
rest ("N more — open the Commitments tab"), and answers the owner part explicitly,
including how many rows have no owner stated. Minutes' actions and decisions are answered
the same way: "about the SIP" is the tab's Search (expanded by the committed vocabulary),
"for the head" its Owner (matched by post: HT, Head Teacher, or the headteacher's name by the
minutes' roster), "still open" its Status (from later minutes' action logs; see
assistant/tracker_match.py). With an LLM the lead sentence may be phrased by it, after the
same figures check as other generative sentences (assistant/tracker_summary.py); the rows and
counts always come from the tracker.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Citation, Filters, Principal, Sentence
from assistant.tracker import (CSV_COLUMNS, Commitment, CommitmentFilters, CommitmentView, all_commitments,  # noqa: F401
                               chunk_id_for, list_commitments, to_csv)
from assistant.tracker_summary import summary_from_llm
from assistant.units import terms

log = logging.getLogger(__name__)
MAX_SHOWN = 10  # a screenful; the tab and the CSV have them all

# -- recognising the question -------------------------------------------------------------------

_STRONG = re.compile(
    r"\b(?:commit(?:ted|ments?|s)?|pledge[sd]?|promis(?:e[sd]?|ing)|what\s+(?:are|is)\s+(?:we|the\s+trust)\s+aiming"
    r"|what\s+(?:will|are|do)\s+we\s+(?:do|deliver|achiev|aim|plan)\w*|who\s+owns|"
    r"what\s+(?:did|has|have)\s+(?:the\s+)?(?:board|governors|fgb|we)\s+(?:agree|decide|resolve)\w*"
    r"|actions?\s+(?:are\s+)?(?:still\s+)?(?:open|outstanding)|open\s+actions?|action\s+points?)\b", re.I)
#: Ordinary words ("targets", "timelines") count only in a question about our plans or a year:
#: "What targets does the teacher set in an IEP?" is a question for the policy text.
_WEAK = re.compile(r"\b(?:targets?|deadlines?|milestones?|timelines?|aims?|goals?|objectives?|due|planned)\b", re.I)
_OURS = re.compile(r"\b(?:our|we|us|the\s+trust'?s?|(?:by|before|until)\s+20\d\d)\b", re.I)
_YEAR_Q = re.compile(r"\b(by|before|until|in|for|during|from|after)\s+(?:the\s+end\s+of\s+)?(20\d\d)\b", re.I)
_OWNER_Q = re.compile(r"\b(?:who\s+(?:owns|leads|is\s+responsible|does|will)|owners?|responsib\w+|accountable)\b", re.I)
_FOR_OWNER = re.compile(r"\b(?:for|by|on|with)\s+(?:the\s+)?(deputy\s+head(?:\s*teacher)?|head(?:\s*teacher)?(?!\s+of\b)|HT|DHT"
                        r"|clerk|(?:vice[\s-])?chair|senco|sendco|dsl|ceo|cfo|sbm)\b", re.I)
_OPEN_Q = re.compile(r"\b(?:still\s+open|open|outstanding|not\s+(?:yet\s+)?(?:done|completed?)|pending|in\s+progress)\b", re.I)
_DONE_Q = re.compile(r"\b(?:completed?|done|finished|closed)\b", re.I)
#: Stemmed words that frame a commitments question; what is left is its topic (the tab's Search).
_FRAME_WORDS = {"commit", "pledg", "promis", "target", "deadlin", "mileston", "timelin", "due", "trust", "school", "plan",
                "achiev", "deliv", "aim", "list", "made", "make", "year", "done", "gone", "need", "everi", "everyth",
                "current", "still", "outstand", "main", "key", "upcom", "own", "owner", "lead", "respons", "accountabl",
                "goal", "object", "agre", "decid", "decis", "board", "governor", "fgb", "action", "open", "point",
                "head", "headteach", "clerk", "chair", "resolv", "record", "document", "say", "tell", "give", "show",
                "whole", "doe", "will", "want", "hope", "recent", "last", "next", "meet", "minut", "aimin", "promise",
                "ht", "dht", "deputi", "senco", "sendco", "dsl", "ceo", "cfo", "sbm", "vice", "complet", "finish",
                "close", "pend", "progress", "status"}


def is_commitment_question(question: str) -> bool:
    """A question the tracker answers better than retrieval: commitments, pledges, promises, what we
    aim for, decisions and actions; ordinary planning words only with "our"/"we" or a year."""
    return bool(_STRONG.search(question)) or bool(_WEAK.search(question) and _OURS.search(question))


def question_filters(question: str, filters: Filters | None = None) -> tuple[CommitmentFilters, bool]:
    """(the tracker filters a question asks for, merged with the request's; does it ask who owns them?)"""
    more: dict[str, Any] = {}
    if m := _YEAR_Q.search(question):
        word, year = m.group(1).lower(), int(m.group(2))
        key = "due_by" if word in ("by", "before", "until") else "year_from" if word in ("from", "after") else "year"
        more[key] = year
    if re.search(r"\b(?:agree[ds]?|decid\w*|decisions?|resolved)\b", question, re.I):
        more["kind"] = ["decision", "action"]
    elif re.search(r"\bactions?\b", question, re.I):
        more["kind"] = ["action"]
    elif re.search(r"\b(?:milestones?|timelines?|schedule)\b", question, re.I):
        more["kind"] = ["milestone"]
    elif re.search(r"\btargets?\b", question, re.I) and not re.search(r"\b(?:commit|pledg|promis)", question, re.I):
        more["kind"] = ["target"]
    else:
        more["kind"] = ["pledge", "target"]
    if m := _FOR_OWNER.search(question):
        more["owner"] = " ".join(m.group(1).split())
    if "action" in more["kind"]:
        if _OPEN_Q.search(question):
            more["status"] = ["open"]
        elif _DONE_Q.search(question):
            more["status"] = ["done"]
    topic = [w for w in re.findall(r"[A-Za-z][\w&-]*", _YEAR_Q.sub(" ", question))
             if (t := terms(w)) and not (t & _FRAME_WORDS) and not w.isdigit()]
    if topic:
        more["q"] = " ".join(dict.fromkeys(topic))
    return CommitmentFilters.from_request(filters, **more), bool(_OWNER_Q.search(question))


# -- the answer ---------------------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _kinds_phrase(kinds: list[str] | None) -> str:
    names = {"pledge": "pledges", "target": "targets", "milestone": "milestones", "action": "actions",
             "decision": "decisions"}
    if not kinds:
        return "commitments"
    words = [names[k] for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _scope(f: CommitmentFilters) -> str:
    if f.due_by is not None:
        return f" due by {f.due_by}"
    if f.year is not None:
        return f" in force in {f.year}"
    if f.year_from is not None:
        return f" running from {f.year_from}"
    return ""


def _owners_line(rows: list[Commitment]) -> str:
    spelled: dict[str, Counter] = {}  # "SENDCo" and "SENDCO" are one owner, shown as most often written
    for c in rows:
        if c.owner:
            spelled.setdefault(" ".join(c.owner.lower().split()), Counter())[c.owner] += 1
    named = Counter({v.most_common(1)[0][0]: sum(v.values()) for v in spelled.values()})
    unstated = sum(1 for c in rows if not c.owner)
    if not named:
        return f"Who owns them: the owner is not stated in the document for any of the {len(rows)}."
    top = ", ".join(f"{o} ({n})" if n > 1 else o for o, n in named.most_common(5))
    more = f" and {len(named) - 5} others" if len(named) > 5 else ""
    tail = f"; for the other {unstated} the owner is not stated in the document." if unstated else "."
    return f"Who owns them: {sum(named.values())} name an owner — {top}{more}{tail}"


def _fair_share(rows: list[Commitment], limit: int) -> list[Commitment]:
    """At most `limit` rows, round-robin by document so a long plan cannot crowd out the rest."""
    by_doc: dict[str, list[Commitment]] = {}
    for c in rows:
        by_doc.setdefault(c.doc_id, []).append(c)
    keep: set[str] = set()
    queues = [list(v) for v in by_doc.values()]
    while len(keep) < min(limit, len(rows)):
        for q in queues:
            if q and len(keep) < limit:
                keep.add(q.pop(0).id)
    return [c for c in rows if c.id in keep]


_MINUTES_KINDS = {"action", "decision"}


def _lead(f: CommitmentFilters, rows: list[Commitment]) -> str:
    """The count first (the tab's count for the same filters), then what it counts."""
    docs = len({c.doc_id for c in rows})
    status = f"{' or '.join(f.status)} " if f.status else ""
    what = _kinds_phrase(f.kind)
    if f.status and f.kind == ["action"]:
        what = f"{status}actions"
    owner = f" for the {f.owner}" if f.owner and f.owner != "not stated" else ""
    topic = f" about “{f.q}”" if f.q else ""
    where = "minutes" if f.kind and set(f.kind) <= _MINUTES_KINDS else "documents"
    split = ""
    if f.kind and len(f.kind) > 1 and set(f.kind) <= _MINUTES_KINDS:
        by = Counter(c.kind for c in rows)
        split = " (" + ", ".join(_plural(by[k], k) for k in f.kind) + ")"
    return (f"The {where} you can read record {len(rows)} {what}{owner}{topic}{_scope(f)}{split}, in "
            f"{_plural(docs, 'document')} — the Commitments tab shows the same {len(rows)} with {f.describe()}.")


def _status_part(c: Commitment) -> str:
    if c.kind != "action" or not c.status:
        return ""
    if c.status == "unknown":
        return " · status: unknown (later minutes do not mention it)"
    if c.status_text and c.status_id != c.id:
        return f" · status: {c.status} — recorded at the meeting of {c.status_meeting}: “{c.status_text}”"
    if c.status == "open":
        return " · status: open (no later minutes record it as done)"
    return " · status: done"


def _citation(kb: KnowledgeBase, n: int, c: Commitment) -> Citation:
    return Citation(n=n, doc_id=c.doc_id, title=c.title, organisation=c.organisation, section=c.section, page=c.page,
                    quote=c.text, start=c.start, end=c.end, chunk_id=chunk_id_for(kb, c.doc_id, c.page, c.start),
                    score=1.0)


def answer_from_tracker(question: str, kb: KnowledgeBase, principal: Principal, filters: Filters | None = None,
                        llm: Any = None) -> Answer | None:
    """The tracker's answer to a commitments question, or None when no row matches (retrieval then tries)."""
    f, asks_owner = question_filters(question, filters)
    rows = list_commitments(kb, principal, f)
    if not rows:
        return None
    lines = [_lead(f, rows)]
    if asks_owner or any(c.owner for c in rows):
        lines.append(_owners_line(rows))
    shown = _fair_share(rows, MAX_SHOWN)
    citations, sentences, group = [], [], None
    for c in shown:
        if (c.organisation, c.title) != group:
            group = (c.organisation, c.title)
            count = sum(1 for r in rows if r.doc_id == c.doc_id)
            lines.append(f"\n{c.organisation} — {c.title} ({count}):")
        citations.append(_citation(kb, len(citations) + 1, c))
        marks = [len(citations)]
        evidence = c.status_evidence  # a later meeting's action-log entry: cited beside the action
        if evidence is not None and evidence.id != c.id:
            citations.append(_citation(kb, len(citations) + 1, evidence))
            marks.append(len(citations))
        when = f" — {c.when}" if c.when else ""
        met = f" (meeting {c.meeting_date})" if c.meeting_date else ""
        refs = "".join(f"[{n}]" for n in marks)
        lines.append(f"- {c.text}{when}{met} · owner: {c.owner_label}{_status_part(c)} {refs}")
        sentences.append(Sentence(text=c.text, citations=marks))
    if len(rows) > len(shown):
        lines.append(f"\n{len(rows) - len(shown)} more — open the Commitments tab ({f.describe()}) or download its CSV.")
    if f.status:
        others = list_commitments(kb, principal, f.model_copy(update={"status": None}))
        rest = Counter(c.status for c in others if c.status not in f.status)
        if rest:
            lines.append("Not counted above: " + ", ".join(f"{_plural(n, 'action')} {s}" for s, n in sorted(rest.items()))
                         + " (open: no later minutes record it as done; unknown: later minutes do not mention it).")
    if f.kind == ["pledge", "target"]:
        milestones = list_commitments(kb, principal, f.model_copy(update={"kind": ["milestone"]}))
        if milestones:
            lines.append(f"Not counted above: {_plural(len(milestones), 'timeline milestone')}{_scope(f)} "
                         "(steps in making the plan; Kind: milestone in the tab).")
    answer = Answer(answer="\n".join(lines), citations=citations, sentences=sentences)
    if llm is not None and (summary := summary_from_llm(llm, question, answer.answer, tracker_counts(rows, answer.answer))):
        answer.answer = summary + "\n\n" + answer.answer
        answer.mode = "generative"
    return answer


def tracker_counts(rows: list[Commitment], listing: str) -> set[int]:
    """Every count the tracker's answer states: totals, per kind, status, document and owner, and the
    numbers in its own (non-row) lines — what an LLM's lead may say."""
    counts = {len(rows), len({c.doc_id for c in rows}), sum(1 for c in rows if c.owner),
              sum(1 for c in rows if not c.owner), max(0, len(rows) - MAX_SHOWN), min(len(rows), MAX_SHOWN)}
    for key in ("kind", "status", "doc_id", "owner"):
        counts |= set(Counter(getattr(c, key) for c in rows).values())
    for line in listing.splitlines():
        if not line.startswith("- "):
            counts |= {int(n) for n in re.findall(r"\b\d+\b", line) if len(n) < 4}
    return counts
