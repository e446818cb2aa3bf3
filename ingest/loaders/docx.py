"""DOCX loader: Word's own structure (heading and list styles, tables) in document order.

Word files carry their structure explicitly, so nothing is guessed except for
one common habit: a short paragraph that is entirely bold is used as a heading
by many school policies that never touch the Heading styles.

Word has no fixed pages. If Word saved its layout (`w:lastRenderedPageBreak`),
pages follow that layout, so page numbers match what a reader sees in Word;
otherwise only explicit page breaks start a new page. Tables become one line
per row, "Header: value; Header: value", the first row giving the headers.
"""

from __future__ import annotations

import io
import re

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.loaders.textrules import clean_line, heading_style, is_boilerplate, table_row_text
from ingest.models import DocumentBuilder, LoadError, Page

_HEADING = re.compile(r"heading\s*(\d)", re.IGNORECASE)
_RENDERED = qn("w:lastRenderedPageBreak")
_BR, _TEXT, _TYPE = qn("w:br"), qn("w:t"), qn("w:type")


def load_docx(data: bytes, name: str) -> list[Page]:
    """Pages of a .docx file; LoadError if python-docx cannot open it."""
    try:
        document = docx.Document(io.BytesIO(data))
        items = list(document.iter_inner_content())
        loader = _Loader(rendered=next(document.element.body.iter(_RENDERED), None) is not None)
        loader.title_offset = int(any(_style_name(p).lower() == "title" for p in items if isinstance(p, Paragraph)))
        for item in items:
            if isinstance(item, Paragraph):
                loader.paragraph(item)
            elif isinstance(item, Table):
                loader.table(item)
    except Exception as exc:  # a broken zip or document part, or XML python-docx cannot map
        raise LoadError(f"{name}: the Word document is damaged and cannot be read ({type(exc).__name__})") from exc
    return loader.b.build()


def _style_name(p: Paragraph) -> str:
    try:
        return (p.style.name if p.style is not None else "") or ""
    except (KeyError, AttributeError):
        return ""


class _Loader:
    def __init__(self, rendered: bool) -> None:
        self.b = DocumentBuilder()
        self.page = 1
        self.rendered = rendered  # paginate by Word's saved layout, not only explicit breaks
        self.title_offset = 0
        self.level = 0  # depth of the last styled heading
        self.b.new_page(1)

    def _breaks(self, element, first_text_seen: bool = False) -> tuple[int, int]:
        """Page breaks before and after the first text of a paragraph or table row."""
        before = after = 0
        seen = first_text_seen
        for el in element.iter(_TEXT, _BR, _RENDERED):
            if el.tag == _TEXT:
                seen = seen or bool(el.text and el.text.strip())
                continue
            is_break = el.tag == _RENDERED if self.rendered else el.get(_TYPE) == "page"
            if is_break:
                after, before = (after + 1, before) if seen else (after, before + 1)
        return before, after

    def _turn(self, n: int) -> None:
        if n:
            self.page += n
            self.b.new_page(self.page)

    def paragraph(self, p: Paragraph) -> None:
        before, after = self._breaks(p._p)
        if not self.rendered and p.paragraph_format.page_break_before:
            before += 1
        self._turn(before)
        text = clean_line(p.text)
        if text and not is_boilerplate(text):
            self._emit(p, text)
        self._turn(after)

    def _emit(self, p: Paragraph, text: str) -> None:
        style = _style_name(p)
        outline = p._p.xpath("./w:pPr/w:outlineLvl/@w:val")
        if m := _HEADING.match(style):
            self.level = int(m.group(1)) + self.title_offset
            self.b.heading(text, self.level)
        elif style.lower() == "title":
            self.level = 1
            self.b.heading(text, 1)
        elif outline and outline[0].isdigit() and int(outline[0]) < 9:
            self.level = int(outline[0]) + 1 + self.title_offset
            self.b.heading(text, self.level)
        elif "list" in style.lower() or p._p.xpath("./w:pPr/w:numPr"):
            self.b.list_item(text)
        elif _all_bold(p) and heading_style(text) is not None:
            self.b.heading(text, min(self.level + 1, 6))  # a bold line used as a heading
        else:
            self.b.paragraph(text)

    def table(self, table: Table) -> None:
        rows: list[list[str]] = []
        for row in table.rows:
            self._turn(sum(self._breaks(row._tr)))
            cells, seen = [], []
            for cell in row.cells:  # a merged cell is returned once per grid column it spans
                if not any(cell._tc is s for s in seen):
                    seen.append(cell._tc)
                    cells.append(clean_line(" ".join(p.text for p in cell.paragraphs)))
            if any(cells):
                rows.append(cells)
                self._row(rows, cells)

    def _row(self, rows: list[list[str]], cells: list[str]) -> None:
        if len(cells) == 1 or len(set(cells)) == 1:
            self.b.table_row(cells[0])  # a one-column box or a full-width label row
        elif len(rows) == 1:
            self.b.table_row(" | ".join(c for c in cells if c))  # the header row itself
        else:
            self.b.table_row(table_row_text(rows[0], cells))


def _all_bold(p: Paragraph) -> bool:
    runs = [r for r in p.runs if r.text.strip()]
    if not runs:
        return False
    style_bold = bool(p.style is not None and p.style.font is not None and p.style.font.bold)
    return all(r.bold or (r.bold is None and style_bold) for r in runs)
