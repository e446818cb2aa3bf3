"""PDF page lines with their style and position, minus running headers and footers.

This is the layout half of the PDF loader, kept apart from the structure half
(pdf.py) because it is the only part that talks to pypdf's rendering details.
pypdf's plain `extract_text` keeps each table cell's text together and prose in
reading order, which is what verbatim quoting needs, but it drops structure. A
visitor callback recovers, for every output line, its font size, weight and
position, which is all pdf.py needs to find headings, paragraphs and table rows.

Running headers and footers ("Page 3 of 12", "FGB 23 May 2022", "7") are lines
at the top or bottom of most pages that are equal once digits are ignored; they
are removed here, before structure is guessed, so that they never split a
paragraph or get quoted as evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

_BOLD = re.compile(r"bold|black|heavy|demi", re.I)
_SYMBOLS = re.compile(r"[\uf000-\uf0ff\x7f\x95]")  # symbol-font bullets decode to private-use codes
_LEADERS = re.compile(r"(?:\s*\.){4,}\s*|(?:\s*…){2,}\s*")  # table-of-contents dot leaders
_PAGE_LABEL = re.compile(r"(page\s*)?(\d{1,4})(\s*(of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]", re.I)


@dataclass
class Line:
    """One line of pypdf's plain text, with its dominant font size, weight and start point."""

    text: str
    size: float = 0.0
    bold: bool = False
    x: float | None = None
    y: float | None = None


@dataclass
class PdfPage:
    """A page's lines and the vertical extent of its media box (to find the edge bands)."""

    number: int
    lines: list[Line]
    bottom: float = 0.0
    top: float = 0.0


# -- lines with style ----------------------------------------------------------------


def page_lines(page) -> list[Line]:
    """The page's text lines (exactly pypdf's plain output), each with its dominant style."""
    frags: list[tuple] = []
    try:
        page.extract_text(visitor_text=lambda *args: frags.append(args))
    except Exception:
        return [Line(_SYMBOLS.sub("•", t)) for t in page.extract_text().split("\n")]
    lines, cur = [], []
    for text, cm, tm, font, size in frags:
        for k, part in enumerate(text.split("\n")):
            if k:
                lines.append(_make_line(cur))
                cur = []
            if part:
                cur.append((part, cm, tm, font, size))
    lines.append(_make_line(cur))
    out: list[Line] = []
    for line in lines:  # a bullet glyph drawn apart from its text is a line of its own: rejoin
        if out and out[-1].text.strip() == "•" and line.text.strip():
            out[-1] = Line("• " + line.text.strip(), line.size, line.bold, out[-1].x, line.y)
        else:
            out.append(line)
    return out


def _make_line(parts: list[tuple]) -> Line:
    text = _LEADERS.sub(" … ", _SYMBOLS.sub("•", "".join(p[0] for p in parts)))
    bold, sizes, x, y = Counter(), Counter(), None, None
    for part, cm, tm, font, size in parts:
        n = len(part.strip())
        if not n:
            continue
        name = str(font.get("/BaseFont", "")) if font else ""
        bold[bool(_BOLD.search(name))] += n
        sizes[round(2 * size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])) / 2] += n
        if y is None:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
    size = sizes.most_common(1)[0][0] if sizes else 0.0
    return Line(text, size, bold[True] > bold[False], x, y)


# -- running headers and footers ------------------------------------------------------


def _edge_zone(p: PdfPage) -> set[int]:
    """Indexes of the first and last three lines, and of lines in the top/bottom 7% band."""
    idx = [i for i, line in enumerate(p.lines) if line.text.strip()]
    band = 0.07 * (p.top - p.bottom)
    edge = {i for i in idx if (y := p.lines[i].y) is not None and (y < p.bottom + band or y > p.top - band)}
    return set(idx[:3] + idx[-3:]) | edge


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _is_page_label(text: str, number: int) -> bool:
    """ "Page 3 of 12", "- 3 -", or a bare number close to the physical page number."""
    t = text.strip()
    return bool(_PAGE_LABEL.fullmatch(t)) and (not t.isdigit() or abs(int(t) - number) <= 3)


def drop_running_lines(pages: list[PdfPage]) -> None:
    """Remove edge lines repeated on at least half of the pages with text (at least 2), and page labels."""
    zones = [_edge_zone(p) for p in pages]
    counts = Counter(k for p, z in zip(pages, zones) for k in {_key(p.lines[i].text) for i in z})
    need = max(2, math.ceil(0.5 * sum(1 for z in zones if z)))
    for p, zone in zip(pages, zones):
        drop = {i for i in zone if counts[_key(p.lines[i].text)] >= need or _is_page_label(p.lines[i].text, p.number)}
        p.lines = [line for i, line in enumerate(p.lines) if i not in drop]
