"""Who the minutes' owners are, and what the minutes say about an action's progress.

Minutes name owners the way a clerk writes them: a post ("Clerk", "HT"), a first name
("Heather agreed to ..."), initials ("(HP)") or several names ("Heather Poustie/ Simon Barnes").
A governor asks for the post ("what is still open for the head?"), so each owner is resolved to
the posts it stands for, using the minutes' own roster: the attendance list ("HEATHER POUSTIE
Headteacher"), "Present: Helen Price (Headteacher)", "Chaired by Simon Barnes". A later
meeting's matters arising or action log reports progress in a few stock words ("completed",
"ongoing", "carried forward"); `status_of` reads them. No LLM: patterns over the text, so the
same minutes always give the same roles and statuses.
"""

from __future__ import annotations

import re

#: Posts an action can be given to, with the name a governor would use for each.
POSTS: dict[str, str] = {
    r"executive\s+head\s*teacher|executive\s+head": "Executive Headteacher",
    r"deputy\s+head\s*teacher|deputy\s+head|dht": "Deputy Headteacher",
    r"head\s*teacher|head(?!\s+of\b)|ht": "Headteacher",
    r"vice[\s-]chair": "Vice Chair",
    r"chair(?:man|woman|person)?": "Chair",
    r"clerk": "Clerk",
    r"senco|sendco": "SENDCo",
    r"dsl|designated\s+safeguarding\s+lead": "DSL",
    r"sbm|school\s+business\s+manager": "SBM",
    r"ceo": "CEO",
    r"cfo": "CFO",
}
_POST_RX = [(re.compile(rf"^(?:the\s+)?(?:new\s+)?(?:{rx})$", re.I), name) for rx, name in POSTS.items()]
_POST_WORDS = "|".join(f"(?:{rx})" for rx in POSTS)
_FULL_NAME = r"[A-Z][a-z]+[ \t]+[A-Z][a-zA-Z'’-]+"
ROSTER_RXS = [
    # "HEATHER POUSTIE Headteacher Ex-officio": the attendance table
    re.compile(rf"\b([A-Z][A-Z'’-]+(?:[ \t]+[A-Z][A-Z'’-]+){{1,2}})[ \t]+((?i:{_POST_WORDS}))\b"),
    # "Helen Price (Headteacher)", "Heather Poustie, Headteacher"
    re.compile(rf"\b({_FULL_NAME})\s*(?:\(|,\s*)(?:the\s+)?((?i:{_POST_WORDS}))\b(?!\s+of\b)"),
]
_BY_RXS = [(re.compile(rf"\bChaired\s+by\s+({_FULL_NAME})"), "Chair"),
           (re.compile(rf"\bClerked\s+by\s+({_FULL_NAME})"), "Clerk")]

#: Progress words of an action log. "Open" is tried first: "not yet completed" is not done.
OPEN_RX = re.compile(r"\b(?:on-?going|carr(?:y|ied)\s+forward|c/f|outstanding|in\s+progress|pending|deferred"
                     r"|not\s+(?:yet\s+)?(?:done|complete(?:d)?|actioned)|to\s+be\s+completed|still\s+open)\b", re.I)
DONE_RX = re.compile(r"\b(?:completed?|done|actioned|achieved|closed|finished|discharged)\b", re.I)
#: Sections in which a later meeting reports on earlier actions.
LOG_RX = re.compile(r"matters\s+arising|action\s+(?:log|tracker|list)|actions?\s+(?:from|arising\s+from)\s+(?:the\s+)?"
                    r"(?:last|previous)|review\s+of\s+(?:the\s+)?actions|progress\s+on\s+actions|outstanding\s+actions",
                    re.I)


def post_name(text: str) -> str | None:
    """The post a word or phrase names ("HT", "the new Headteacher", "Head") in a governor's words."""
    text = " ".join(text.split()).strip(" .")
    return next((name for rx, name in _POST_RX if rx.match(text)), None)


def roster(text: str) -> dict[str, str]:
    """{full name, lower-cased: post} from the minutes' attendance list and "Chaired by"/"Clerked by"."""
    people: dict[str, str] = {}
    for rx in ROSTER_RXS:
        for m in rx.finditer(text):
            post = post_name(m.group(2))
            if post:
                people.setdefault(" ".join(m.group(1).lower().split()), post)
    for rx, post in _BY_RXS:
        for m in rx.finditer(text):
            people.setdefault(" ".join(m.group(1).lower().split()), post)
    return people


def _person_post(name: str, people: dict[str, str]) -> str | None:
    key = " ".join(name.lower().split())
    if key in people:
        return people[key]
    if re.fullmatch(r"[A-Z]{2,3}", name):  # initials: "HP" is Heather Poustie
        posts = {p for n, p in people.items() if "".join(w[0] for w in n.split()).upper() == name}
        return posts.pop() if len(posts) == 1 else None
    if re.fullmatch(r"[A-Za-z'’-]+", name):  # a first name, when only one person on the roster has it
        posts = {p for n, p in people.items() if n.split()[0] == key}
        return posts.pop() if len(posts) == 1 else None
    return None


def owner_posts(owner: str | None, people: dict[str, str]) -> str | None:
    """The posts an owner stands for, e.g. "Heather Poustie/ Simon Barnes" → "Headteacher"; None if none."""
    if not owner:
        return None
    found: list[str] = []
    for part in re.split(r"\s*(?:/|,|&|\band\b|\bwith\b)\s*", owner):
        part = re.sub(r"^(?:the\s+)?(?:new\s+)?", "", part.strip(" .()"), flags=re.I)
        if part and (post := post_name(part) or _person_post(part, people)) and post not in found:
            found.append(post)
    return ", ".join(found) or None


def status_of(text: str) -> str | None:
    """"open" or "done" when the text reports an action's progress in the usual words; else None."""
    if OPEN_RX.search(text):
        return "open"
    return "done" if DONE_RX.search(text) else None
