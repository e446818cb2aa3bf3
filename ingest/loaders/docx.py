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
import zipfile

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.loaders.textrules import clean_line, heading_style, is_boilerplate, table_row_text
from ingest.models import DocumentBuilder, LoadError, Page

_HEADING = re.compile(r"heading\s*(\d)", re.IGNORECASE)
_RENDERED = qn("w:lastRenderedPageBreak")
_BR, _TEXT, _TYPE = qn("w:br"), qn("w:t"), qn("w:type")
#: A part that inflates past both of these is a zip bomb, not a policy: Word's XML compresses
#: about 5-20 times; 64 MB of one repeated byte compresses about 1,000 times.
MAX_INFLATED_MB = 200
MAX_RATIO, RATIO_FROM_MB = 200, 20


def load_docx(data: bytes, name: str) -> list[Page]:
    """Pages of a .docx file; LoadError if python-docx cannot open it."""
    _check_inflation(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
        items = list(document.iter_inner_content())
        loader = _Loader(rendered=next(document.element.body.iter(_RENDERED), None) is not None)
        loader.title_offset = int(any(loader.style(p)[0].lower() == "title" for p in items if isinstance(p, Paragraph)))
        for item in items:
            if isinstance(item, Paragraph):
                loader.paragraph(item)
            elif isinstance(item, Table):
                loader.table(item)
    except Exception as exc:  # a broken zip or document part, or XML python-docx cannot map
        raise LoadError(f"{name}: the Word document is damaged and cannot be read ({type(exc).__name__})") from exc
    return loader.b.build()


def _check_inflation(data: bytes, name: str) -> None:
    """Refuse a zip bomb before any part of it is inflated."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return  # python-docx reports it below, as damaged
    total = sum(i.file_size for i in infos)
    for info in infos:
        size_mb = info.file_size / 2**20
        ratio = info.file_size / max(1, info.compress_size)
        if size_mb > RATIO_FROM_MB and ratio > MAX_RATIO:
            raise LoadError(f"{name}: refused: {info.filename} inflates {ratio:,.0f} times to {size_mb:,.0f} MB "
                            "(a zip bomb, not a Word document)")
    if total > MAX_INFLATED_MB * 2**20:
        raise LoadError(f"{name}: refused: it inflates to {total / 2**20:,.0f} MB (the limit is {MAX_INFLATED_MB} MB)")


def _resolve_style(p: Paragraph) -> tuple[str, bool]:
    """(name, bold) of a paragraph's style; python-docx looks it up in styles.xml each call."""
    try:
        style = p.style
        if style is None:
            return "", False
        return style.name or "", bool(style.font is not None and style.font.bold)
    except (KeyError, AttributeError):
        return "", False


class _Loader:
    def __init__(self, rendered: bool) -> None:
        self.b = DocumentBuilder()
        self.page = 1
        self.rendered = rendered  # paginate by Word's saved layout, not only explicit breaks
        self.title_offset = 0
        self.level = 0  # depth of the last styled heading
        self.b.new_page(1)
        self._styles: dict[str | None, tuple[str, bool]] = {}

    def style(self, p: Paragraph) -> tuple[str, bool]:
        """(name, bold) of the paragraph's style, resolved once per style id (50,000 paragraphs
        resolving their style one by one took 113 CPU-s)."""
        key = p._p.style  # the w:pStyle id, read from the paragraph itself
        if key not in self._styles:
            self._styles[key] = _resolve_style(p)
        return self._styles[key]

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
        style, style_bold = self.style(p)
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
        elif heading_style(text) is not None and _all_bold(p, style_bold):
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


def _all_bold(p: Paragraph, style_bold: bool) -> bool:
    runs = [r for r in p.runs if r.text.strip()]
    if not runs:
        return False
    return all(r.bold or (r.bold is None and style_bold) for r in runs)
