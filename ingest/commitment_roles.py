"""The posts and bodies that can own a commitment, and the wording that says one does.

Other schools' policies name owners the way staff talk: "the SENDCo will ...", "Class teachers
are responsible for ...", "The Governing Body, Headteacher and the SENDCo will work together",
"responsibility ... falls to the Headteacher", "approved by the Governing Body". The role words
come from the committed English-schools vocabulary (assistant/data/vocabulary.toml, read here as
data, never imported as code, so ingest does not depend on assistant): its SENCO, DSL, DDSL,
headteacher, governors, trustees, CEO, SLT and TA groups. A few posts that are not vocabulary
groups (class teacher, SBM, clerk, chair, deputy, staff) and title-case posts ("Dyslexia
Specialist Teacher", "PE Coordinator", "SLCN Champion", "Learning and Wellbeing Committee")
are added below. An owner is given only when the text puts a post in the owning position (the
subject of "will" / "is responsible", or after "led by" / "falls to"); a post named as an object
("work with the SENDCo") is never the owner. "The school" and "we" never own.
"""

from __future__ import annotations

import logging
import re
import tomllib
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

VOCABULARY_FILE = Path(__file__).resolve().parents[1] / "assistant" / "data" / "vocabulary.toml"
#: Vocabulary groups (named by their first variant) whose words are posts or governing bodies.
ROLE_GROUPS = ("SENCO", "DSL", "DDSL", "headteacher", "governors", "trustees", "CEO", "SLT", "TA")
#: Posts that are not vocabulary groups (the vocabulary is for search; these are for owners).
EXTRA_POSTS = ("class teachers?", "teaching assistants?", "deputy head(?:\\s*teacher)?", "deputy", "DHT",
               "SBM", "school business manager", "clerk(?:\\s+to\\s+(?:the\\s+)?governors)?",
               "chair(?:\\s+of\\s+governors)?", "vice[\\s-]chair", "staff", "head")
#: Title-case posts: one to three capitalised words before a post noun.
_NOT_TITLE = r"(?:SENDCo|SENCO|SENDCO|SENCo|SLT|SBM|DSL|DHT|HT|Headteacher|Head|Deputy|Governors?|The|A|An|And|All|Our|Every|Each)\b"
TITLED_POST = (rf"(?:(?!{_NOT_TITLE})[A-Z][\w&’'-]*\s+(?:and\s+)?){{1,4}}(?:Lead|Leader|Co-?ordinator|Coordinator|Champion|Manager"
               r"|Officer|Specialist\s+Teacher|Committee|Governor)s?")


def _variant_rx(variant: str) -> str:
    if variant.endswith("'s") or variant.endswith("’s"):
        return ""
    body = r"\s+".join(re.escape(w) for w in variant.split())
    return body if (variant.isupper() and len(variant) <= 3) else f"(?i:{body})"


@lru_cache(maxsize=1)
def role_words() -> str:
    """One regex alternation of every post word (longest first, so "deputy head" beats "head")."""
    variants: list[str] = []
    try:
        with open(VOCABULARY_FILE, "rb") as fh:
            groups = tomllib.load(fh)["groups"]
        variants = [v for g in groups if g and g[0] in ROLE_GROUPS for v in g]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:  # owners still come from EXTRA_POSTS
        log.warning("owner roles: vocabulary %s unreadable (%s); using the built-in posts only", VOCABULARY_FILE, exc)
    alts = [rx for v in sorted(set(variants), key=len, reverse=True) if (rx := _variant_rx(v))]
    alts += [f"(?i:{p})" for p in EXTRA_POSTS]
    return "|".join(alts)


@lru_cache(maxsize=1)
def _rxs() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    core = rf"(?:{TITLED_POST}|(?:{role_words()})(?![\w-]))"
    one = (rf"(?:(?i:the|every|all|our|each|a)\s+)?(?:{core})(?:\s+of\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){{0,3}})?"
           r"(?:\s*\([A-Za-z]{2,8}\))?")
    role_list = rf"{one}(?:\s*,\s*{one})*(?:\s*,?\s+and\s+{one})?"
    core_rx = re.compile(core)
    owning = (r"(?:will|shall|(?:is|are|remains?)\s+(?:also\s+)?(?:fully\s+)?(?:responsible|accountable)\b"
              r"|ha(?:s|ve)\s+(?:a\s+|the\s+)?(?:legal\s+|statutory\s+|overall\s+)?(?:duty|responsibility)\b"
              r"|takes?\s+(?:[\w-]+\s+){0,2}responsibility\b)")
    subject = re.compile(rf"(?:^|[;:]\s*|,\s*(?:then\s+)?|\bthen\s+)(?P<list>{role_list})\s*(?:,[^,;]{{3,60}},\s*)?"
                         rf"(?=(?:also\s+)?{owning})")
    by = re.compile(rf"\b(?:(?:led|overseen|owned|co-?ordinated|delivered|approved|ratified)\s+by"
                    rf"|under\s+the\s+(?:guidance|direction|leadership|supervision)\s+of|falls\s+to"
                    rf"|(?:is|are)\s+the\s+responsibility\s+of)\s+(?P<list>{role_list})")
    # "the responsibility of the Special Educational Needs and Disabilities Co-ordinator (SENDCo)"
    abbr = re.compile(rf"\b(?:responsibility\s+of|falls\s+to)\s+(?:the\s+)?[A-Z][^().;]{{3,80}}?\((?P<list>{core})\)")
    return subject, by, abbr, core_rx


def owners_in(text: str) -> list[str]:
    """The posts the text makes owners, in reading order, each once (as written, no determiner)."""
    subject, by, abbr, core_rx = _rxs()
    found: list[tuple[int, int, str]] = []
    for rx in (subject, by, abbr):
        for m in rx.finditer(text):
            base = m.start("list")
            found += [(base + c.start(), base + c.end(), c.group(0)) for c in core_rx.finditer(m.group("list"))]
    names = {name.lower() for _, _, name in found}
    out: list[str] = []
    for _, end, name in sorted(found):
        if (a := re.match(r"\s*\((\w+)\)", text[end:])) and a.group(1).lower() in names:
            continue  # "Special Educational Needs ... Co-ordinator (SENDCo)" is the SENDCo
        name = " ".join(name.split())
        if name.lower() not in {o.lower() for o in out}:
            out.append(name)
    return out


def owner_phrase(text: str) -> str | None:
    """`owners_in` joined as one owner ("Governing Body/Headteacher/SENDCo"), or None."""
    return "/".join(found) if (found := owners_in(text)) else None


def owning_statement(text: str) -> bool:
    """Does the text give a post a responsibility ("Class teachers are responsible for ...")?

    Such a sentence is an undertaking even without "will": it says who does the work.
    """
    return any(rx.search(text) for rx in _rxs()[:3]) and not text.rstrip().endswith("?")
