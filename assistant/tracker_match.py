"""How the tracker's text filters read a row: owners by post, topics by the committed vocabulary,
and actions' progress across meetings.

- Owner. "Open for the head" means the headteacher however the minutes wrote it: "HT",
  "Head Teacher", "Heather" (the headteacher, by the minutes' roster) or "HP". A post word
  is matched against the row's owner and the posts it stands for (`owner_role`, made at
  ingest by ingest/minutes_roles.py), with the post's other names from
  assistant/data/vocabulary.toml; "head" alone is the headteacher (never "Head of English").
  Anything else is a case-insensitive substring of the owner, as before.
- Topic. "About the SIP" finds rows saying "School Improvement Plan": each word of the search
  counts as present when it, or any variant of its vocabulary group, is in the row, its
  section, its document's title or (for minutes) the sentences just before it.
- Progress. An action's status is "done" or "open" when a minutes entry says so: its own
  words, or a later meeting's matters arising / action log entry that refers to it (the
  same item reference, or mostly the same words), which then takes the log entry's place.
  An action no later entry mentions is "open" while its minutes are the latest of that
  organisation the reader can see, and "unknown" once later minutes exist that are silent on it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

from assistant.units import terms
from assistant.vocabulary import Group, default_vocabulary
from ingest.minutes import ITEM_REF_RX
from ingest.minutes_roles import post_name

#: A log entry refers to an earlier action when their words overlap this much (token F1).
SAME_ACTION_F1 = 0.5


class Row(Protocol):
    """The fields of `assistant.tracker.Commitment` that progress needs."""

    id: str
    text: str
    kind: str
    owner: str | None
    owner_role: str | None
    organisation: str
    meeting_date: str | None
    status: str | None
    status_text: str | None
    status_meeting: str | None
    status_id: str | None
    log: bool

    def take_status(self, entry: "Row") -> None: ...


# -- owners ---------------------------------------------------------------------------------------

def _post_group(post: str) -> Group | None:
    return next(iter(default_vocabulary().groups_in(post)), None)


def owner_matches(query: str, owner: str | None, owner_role: str | None) -> bool:
    """Does a row's owner answer "for the <query>"? (Posts by their names, else a substring.)"""
    post = post_name(query)
    hay = " ; ".join(x for x in (owner, owner_role) if x)
    if post is None:
        return query.strip().lower() in hay.lower()
    if owner_role and post in [p.strip() for p in owner_role.split(",")]:
        return True
    group = _post_group(post)
    return bool(group and group.found_in(owner or "")) or any(post_name(part) == post for part in
                                                              re.split(r"\s*(?:/|,|&|\band\b)\s*", owner or ""))


# -- topics ---------------------------------------------------------------------------------------

def topic_parts(q: str) -> list[tuple[set[str], Group | None]]:
    """The search's words, a vocabulary phrase folded into its group (see `Vocabulary.focus_groups`)."""
    return default_vocabulary().focus_groups(q)


def topic_matches(parts: list[tuple[set[str], Group | None]], hay: str, hay_terms: set[str]) -> bool:
    """Every part present: its group anywhere in the text, or all of its own stemmed words."""
    return all((group is not None and group.found_in(hay)) or (stems and stems <= hay_terms) for stems, group in parts)


# -- progress -------------------------------------------------------------------------------------

def _f1(a: str, b: str) -> float:
    ta, tb = Counter(terms(a)), Counter(terms(b))
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    p, r = common / sum(ta.values()), common / sum(tb.values())
    return 2 * p * r / (p + r)


def _ref(text: str) -> str | None:
    m = ITEM_REF_RX.search(text)
    return m.group(0).removeprefix("FGB").strip() if m else None


def resolve_status(rows: list[Row]) -> list[Row]:
    """Actions' status across the minutes in `rows` (all one reader may see); log entries that
    closed or carried an earlier action are folded into it and left out of the result."""
    actions = [r for r in rows if r.kind == "action" and r.meeting_date]
    folded: set[str] = set()
    for entry in sorted((r for r in actions if r.log and r.status), key=lambda r: r.meeting_date or ""):
        earlier = [a for a in actions if not a.log and a.organisation == entry.organisation
                   and (a.meeting_date or "") < (entry.meeting_date or "")]
        ref = _ref(entry.text)
        scored = [(1.0 if ref and _ref(a.text) == ref else _f1(entry.text, a.text), a) for a in earlier]
        best = max(scored, key=lambda s: (s[0], s[1].meeting_date or ""), default=None)
        if best is None or best[0] < SAME_ACTION_F1:
            continue
        target = best[1]
        target.take_status(entry)
        if not target.owner and entry.owner:
            target.owner, target.owner_role = entry.owner, entry.owner_role
        folded.add(entry.id)
    latest: dict[str, str] = {}
    for r in rows:  # the latest minutes of each organisation, whatever they record
        if r.meeting_date:
            latest[r.organisation] = max(latest.get(r.organisation, ""), r.meeting_date)
    for a in actions:
        if a.status is None:
            a.status = "open" if (a.meeting_date or "") >= latest[a.organisation] else "unknown"
        elif a.status_id is None:  # its own words: "Minutes placed on the website: completed."
            a.take_status(a)
    return [r for r in rows if r.id not in folded]
