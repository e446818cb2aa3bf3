"""PDF loader: structured pages (headings, paragraphs, list items, table rows) from styled lines.

pdf_lines.py turns each page into lines with font size, weight and position, and
removes running headers and footers. From those lines this module
- splits paragraphs at vertical gaps and blank lines, and joins wrapped lines
  (mending hyphenated breaks: "improve-" + "ment");
- takes bold or larger short lines as headings, their level ranked by size;
- rebuilds table rows: cells of one row start on the same baseline, and pypdf
  emits them one after another, each jumping back up (or right) from the last.
Page numbers are the physical 1-based page indexes; pages without text are
dropped (the builder skips empty pages), so numbers can have gaps.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from ingest.loaders.pdf_lines import Line, PdfPage, drop_running_lines, page_lines
from ingest.loaders.textrules import HeadingLevels, clean_line, ends_sentence, heading_style, join_wrapped, list_marker
from ingest.models import DocumentBuilder, LoadError, Page

_NUMBERED = re.compile(r"(\d{1,2}(?:\.\d{1,2})*)\.?\s+\S")


@dataclass
class _Run:
    """Lines that belong together: no blank line, no big vertical gap, no jump back up."""

    lines: list[Line]
    sibling: bool = False  # starts level with or above the previous line: a cell beside it


def load_pdf(data: bytes, name: str) -> list[Page]:
    """Pages of a PDF; LoadError if it is damaged, password-protected or has no text."""
    reader, pages = _open(data, name), []
    for number, page in enumerate(reader.pages, 1):
        try:
            box = page.mediabox
            pages.append(PdfPage(number, page_lines(page), float(box.bottom), float(box.top)))
        except Exception:  # one unreadable page must not sink the document
            continue
    if not pages:
        raise LoadError(f"{name}: the PDF is damaged; no page could be read")
    if not any(line.text.strip() for p in pages for line in p.lines):
        raise LoadError(f"{name}: the PDF has no extractable text (empty, or scanned images without OCR)")
    drop_running_lines(pages)
    style, levels, b = _Style.of(pages), HeadingLevels(), DocumentBuilder()
    for p in pages:
        b.new_page(p.number)
        _emit_page(b, _runs(p.lines), style, levels)
    return b.build()


def _open(data: bytes, name: str) -> PdfReader:
    if b"%%EOF" not in data.rstrip(b"\x00\r\n\t ")[-4096:]:
        raise LoadError(f"{name}: the PDF is truncated or damaged (no end-of-file marker); download it again")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise LoadError(f"{name}: the PDF is password-protected; save an unprotected copy to ingest it")
        if not reader.pages:
            raise LoadError(f"{name}: the PDF is damaged or empty (no pages found)")
        return reader
    except LoadError:
        raise
    except DependencyError as exc:
        raise LoadError(f"{name}: the PDF is encrypted and cannot be decrypted here ({exc})") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(f"{name}: the PDF is damaged and cannot be read ({type(exc).__name__}: {exc})") from exc


# -- structure -------------------------------------------------------------------------


@dataclass
class _Style:
    """What body text looks like in this document, and the heading level of each larger size."""

    body: float
    bold_marks_headings: bool
    size_levels: dict[float, int]
    margin: float | None = None  # the commonest line start: the left edge of body text
    numbered: dict[int, int] = field(default_factory=dict)  # numbering depth -> level

    @classmethod
    def of(cls, pages: list[PdfPage]) -> _Style:
        sizes, bold, starts = Counter(), Counter(), Counter()
        for p in pages:
            for line in p.lines:
                n = len(line.text.strip())
                if n and line.size:
                    sizes[line.size] += n
                    bold[line.bold] += n
                    starts[round(line.x or 0)] += 1
        body = sizes.most_common(1)[0][0] if sizes else 0.0
        big = sorted({ln.size for p in pages for ln in p.lines if ln.size >= body + 1 and _short(ln)}, reverse=True)
        bold_marks = 0 < bold[True] < 0.4 * sum(bold.values())
        margin = float(starts.most_common(1)[0][0]) if starts else None
        return cls(body, bold_marks, {s: i + 1 for i, s in enumerate(big[:5])}, margin)

    def _at_margin(self, line: Line) -> bool:
        """Bold body-size headings start at the text's left margin; bold table cells do not."""
        return line.x is None or self.margin is None or line.x <= self.margin + 2 * self.body

    @property
    def styled(self) -> bool:
        return bool(self.size_levels) or self.bold_marks_headings

    def is_heading(self, line: Line, nxt: Line | None, alone: bool) -> bool:
        t = clean_line(line.text)
        if not _short(line) or t[-1] in ".,;:" or not (t[0].isupper() or t[0].isdigit()):
            return False
        if (m := list_marker(t)) and m[0] == "bullet":
            return False
        if not self.styled:
            return alone and heading_style(t) is not None
        if line.size < self.body + 1 and not (line.bold and self.bold_marks_headings and self._at_margin(line)):
            return False
        # a bold lead-in whose sentence runs on in body text is not a heading
        return not (nxt and nxt.text.strip()[:1].islower() and (nxt.size, nxt.bold) != (line.size, line.bold))

    def level(self, line: Line, text: str, levels: HeadingLevels) -> int:
        if not self.styled:
            return levels.level(heading_style(text) or "title", text)
        lvl = self.size_levels.get(line.size, len(self.size_levels) + 1)
        if m := _NUMBERED.match(text):  # "1. Aims" and "2. Legislation" are siblings whatever their size
            lvl = self.numbered.setdefault(m.group(1).count(".") + 1, lvl)
        return lvl


def _short(line: Line) -> bool:
    t = line.text.strip()
    return 0 < len(t) <= 120 and len(t.split()) <= 16 and any(c.isalpha() for c in t)


def _runs(lines: list[Line]) -> list[_Run]:
    runs, cur, sib, prev = [], [], False, None
    for line in lines:
        if not line.text.strip():
            if cur:
                runs.append(_Run(cur, sib))
                cur = []
            continue
        sibling = split = False
        if prev is not None and line.y is not None and prev.y is not None:
            dy = prev.y - line.y  # > 0 when moving down the page
            sibling = dy < -1 or (abs(dy) <= 1 and (line.x or 0) > (prev.x or 0))
            split = dy < 1 or dy > 1.75 * max(line.size, prev.size, 4.0)
        if cur and split:
            runs.append(_Run(cur, sib))
            cur = []
        if not cur:
            sib = sibling
        cur.append(line)
        prev = line
    if cur:
        runs.append(_Run(cur, sib))
    return runs


def _row_end(runs: list[_Run], i: int) -> int:
    """Index after the cells that share run i's baseline (i + 1 when it is not a table row)."""
    j = i + 1
    while j < len(runs) and runs[j].sibling and _same_baseline(runs[j - 1].lines[0], runs[j].lines[0]):
        j += 1
    return j if all(len(r.lines) <= 40 for r in runs[i:j]) else i + 1


def _same_baseline(a: Line, b: Line) -> bool:
    return a.y is not None and b.y is not None and abs(a.y - b.y) <= 3


def _emit_page(b: DocumentBuilder, runs: list[_Run], style: _Style, levels: HeadingLevels) -> None:
    i = 0
    while i < len(runs):
        j = _row_end(runs, i)
        if j - i > 1:
            b.table_row(" | ".join(join_wrapped([ln.text for ln in r.lines]) for r in runs[i:j]))
            levels.content()
        elif _is_header_row(runs, i, style):
            b.table_row(clean_line(runs[i].lines[0].text))
        else:
            _emit_run(b, runs[i], style, levels)
        i = j


def _is_header_row(runs: list[_Run], i: int, style: _Style) -> bool:
    """A lone bold line right above a rebuilt table row is that table's header, not a heading."""
    one = runs[i].lines[0]
    above_row = len(runs[i].lines) == 1 and i + 1 < len(runs) and _row_end(runs, i + 1) > i + 2
    return above_row and style.styled and one.bold and one.size < style.body + 1


def _emit_run(b: DocumentBuilder, run: _Run, style: _Style, levels: HeadingLevels) -> None:
    kind, buf, head, x0 = "", [], None, None

    def flush() -> None:
        nonlocal kind, buf
        text = join_wrapped(buf)
        if kind == "heading" and not _heading_text(text):
            kind = "paragraph"  # lines in heading type that turned out to be a sentence
        if text and kind == "heading":
            b.heading(text, style.level(head, text, levels))
        elif text:
            (b.list_item if kind == "list_item" else b.paragraph)(text)
            levels.content()
        kind, buf = "", []

    for k, line in enumerate(run.lines):
        t = clean_line(line.text)
        if not any(c.isalnum() for c in t):
            continue  # dot leaders, stray bullets
        nxt = run.lines[k + 1] if k + 1 < len(run.lines) else None
        same_type = kind == "heading" and (head.size, head.bold) == (line.size, line.bold)
        if same_type and len(buf) < 3 and len(" ".join(buf + [t])) <= 150 and not list_marker(t):
            buf.append(t)  # a heading wrapped over two or three lines
        elif style.is_heading(line, nxt, alone=len(run.lines) == 1):
            flush()
            kind, buf, head = "heading", [t], line
        elif marker := list_marker(t):
            flush()
            kind, buf, x0 = "list_item", [marker[1] if marker[0] == "bullet" else t], line.x
        elif kind == "list_item" and _continues_item(line, t, x0, buf[-1]):
            buf.append(t)
        elif kind == "paragraph":
            buf.append(t)
        else:
            flush()
            kind, buf = "paragraph", [t]
    flush()


def _heading_text(text: str) -> bool:
    """Not a sentence (final stop, or a full stop inside) and not a data row (dates, P P S)."""
    words = len(text.split())
    if text[-1] in ".;," or words > 20 or (words > 12 and ", " in text) or re.search(r"[a-z]{2}\. [A-Z]", text):
        return False
    return len(re.findall(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b[A-Z]\b", text)) < 2


def _continues_item(line: Line, text: str, x0: float | None, prev: str) -> bool:
    """A wrapped list line is indented past its bullet, or its sentence is unfinished."""
    if line.x is not None and x0 is not None and line.x > x0 + 2:
        return True
    return not ends_sentence(prev) or text[0].islower()
