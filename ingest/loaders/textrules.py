"""Line heuristics shared by every loader: cleaning, boilerplate, list markers, headings, wrapping.

Text from web pages, PDFs and Word files has the same problems whatever the
format: invisible characters, site furniture ("Download Presentation", cookie
notices), bullets in a dozen glyphs, headings that are only short bare lines,
and paragraphs hard-wrapped mid-word. One set of rules for these keeps the
loaders consistent, so the same sentence gets the same text and the same
section path whichever format it arrived in. The heading rules are deliberately
conservative, because a paragraph wrongly taken for a heading corrupts every
section path after it.
"""

from __future__ import annotations

import re

# -- cleaning -----------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def clean_line(line: str) -> str:
    """One line with invisible characters dropped and whitespace (incl. NBSP) collapsed."""
    return " ".join(line.translate(_INVISIBLE).split())


# -- boilerplate ------------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"|".join(
        [
            r"uploaded on\b.{0,60}",
            r"download (this |the )?presentation",
            r"please find below an image/link to download.*",
            r"the content on (the|this) website is provided as is\b.*",
            r"you are allowed to download the files\b.*",
            r"e ?n ?d",
            r"presentation transcript",
            r"in this section ?(\.\.\.|…)?",
            r"(skip to (main )?content|back to top|print this page|share this (page|article))",
            r"(share|follow us)( on)?( (facebook|twitter|x|linkedin|email|whatsapp))*:?",
            r"(accept|reject|allow|decline|manage)( all)?( cookies?)?( settings| preferences)?",
            r"cookie (settings|policy|preferences|notice|consent)",
            r".{0,120}\b(we|this (web)?site) uses? cookies\b.{0,200}"
            r"\b(accept|consent|agree|continu\w*|settings|preferences|browsing|experience)\b.{0,120}",
            r"(click|tap) here to (download|view).{0,80}",
            r"(©|copyright ©?) ?\d{4}.{0,120}",
            r".{0,120}\ball rights reserved\.?",
        ]
    ),
    re.IGNORECASE,
)


def is_boilerplate(line: str) -> bool:
    """True for web-page furniture (download prompts, disclaimers, cookie and share lines)."""
    return bool(_BOILERPLATE.fullmatch(line.strip()))


# -- list markers -------------------------------------------------------------------

# Symbol bullets are dropped from the text; enumerators ("1.", "a)") carry meaning and stay.
_BULLET = re.compile(r"^(?:[•●▪■◦○∙·‣⁃➢➤►▶✓✔❖□\-–−*\x7f\x95]|[\uf000-\uf0ff]|o(?=\s))\s*(?=\S)")
_ENUM = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\(?(?:i{1,3}|iv|vi{0,3}|ix|x)[.)]|\(\d{1,2}\))\s+(?=\S)")
_NUM_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+[A-Z]")


def list_marker(line: str) -> tuple[str, str] | None:
    """("bullet", text without the symbol) or ("enum", line as is) for a list line, else None."""
    m = _BULLET.match(line)
    if m and (line[0] not in "-–−*o" or line[1:2] == " "):
        return "bullet", line[m.end():].strip()
    if _ENUM.match(line):
        return "enum", line
    return None


# -- headings -------------------------------------------------------------------------

QUOTES = "\"“”‘’'«"
_SMALL = set("a an the and or of to in on for with at by from as is are that via vs into per & - – — de".split())
_LABEL = re.compile(r"^[A-Z][A-Za-z]+ \d{1,2}[a-z]?\s*[:\-–—.]\s+\S")
_TERMINAL = ".,;:!"


def heading_style(line: str) -> str | None:
    """The typographic style of a heading-like line ("caps", "label", "num", "title"), or None.

    A heading is short, has no final sentence punctuation and is ALL CAPS, Title
    Case, a labelled item ("Phase 2 - ...", "PHASE 3: IMPROVE") or numbered
    ("3. Roles and responsibilities"). A line ending with ':' is never a heading:
    it introduces the list below it and must stay with it as a paragraph.
    """
    t = line.strip()
    if not 2 <= len(t) <= 90 or len(t.split()) > 12 or t[-1] in _TERMINAL or t[0] in QUOTES:
        return None
    if not (t[0].isupper() or t[0].isdigit()):
        return None
    letters = [c for c in t if c.isalpha()]
    if len(letters) < 2:
        return None
    if _NUM_HEADING.match(t):
        return "num"
    if _LABEL.match(t):
        return "label"
    if sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return "caps"
    words = [w for w in re.findall(r"[^\W\d_][\w'’.-]*", t) if w.lower() not in _SMALL]
    if words and sum(w[0].isupper() for w in words) / len(words) >= 0.75:
        return "title"
    return None


class HeadingLevels:
    """Gives text-only headings a depth, from the order styles appear in.

    A style keeps the level it was first given. A heading right after another
    heading (nothing between) is its child, and its style moves to that depth: so
    "STRATEGY" then "Aspiration" nests Aspiration, and later "Achievement" (same
    style) is Aspiration's sibling. A new style met after body text nests under
    the current heading, e.g. "PHASE 1: STABILISE" under "Our Improvement Model".
    """

    def __init__(self) -> None:
        self.style_level: dict[str, int] = {}
        self.last = 0
        self.adjacent = False  # no content since the last heading

    def level(self, style: str, text: str = "") -> int:
        if style == "num":
            lvl = text.split()[0].rstrip(".").count(".") + 1
        elif self.adjacent and self.last:
            lvl = self.last + 1
        elif style in self.style_level:
            lvl = self.style_level[style]
        else:
            lvl = self.last + 1
        lvl = max(1, min(lvl, 6))
        self.style_level[style] = lvl
        self.last, self.adjacent = lvl, True
        return lvl

    def content(self) -> None:
        self.adjacent = False


# -- joining wrapped lines --------------------------------------------------------------

_KEEP_PREFIX = set("self non well co anti cross multi semi long short high low full part half year".split())
_KEEP_SUFFIX = set("based led informed friendly term being related specific wide free like focused centred level up".split())


def _compound(before: str, after: str) -> bool:
    """True when "before-" + "after" is a hyphenated compound, not a word broken by wrapping."""
    nxt = re.match(r"[a-z]+", after)
    return before.lower() in _KEEP_PREFIX or before[0].isupper() or bool(nxt and nxt.group() in _KEEP_SUFFIX)


def join_wrapped(lines: list[str]) -> str:
    """Lines of one wrapped paragraph as one string; "improve-" + "ment" → "improvement".

    The hyphen is kept in likely compounds ("well-being", "co-ordination",
    "evidence-based", "Autism-friendly") and before a capital or digit ("COVID-19").
    """
    out = ""
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        m = re.search(r"(\w+)-$", out[-80:]) if out.endswith("-") else None
        if not out:
            out = line
        elif m and out[-2].isalpha() and line[0].islower() and not _compound(m.group(1), line):
            out = out[:-1] + line
        elif m and line[0].isalnum():
            out += line
        else:
            out += " " + line
    return out


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", ":", ";", '"', "”", ")"))


def table_row_text(headers: list[str], cells: list[str]) -> str:
    """A table row as one readable line: "Header: value; Header: value" (or "a | b")."""
    if headers and len(headers) == len(cells) and any(headers) and headers != cells:
        parts = [f"{h}: {c}" if h else c for h, c in zip(headers, cells) if c]
        return "; ".join(parts)
    return " | ".join(c for c in cells if c)
