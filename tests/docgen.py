"""Real test documents, generated at test time (nothing binary is committed).

The PDF is drawn line by line with reportlab, the way word processors emit text:
a running header and a "Page N of M" footer on every page, bold larger headings,
bullets with a hanging indent, a word hyphenated across a line break, and a
table whose cells are drawn one by one.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import reportlab
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

HEADER = "Oakfield Learning Trust | School Improvement Strategy 2024-2027"
BODY, BOLD = "Vera", "Vera-Bold"
_FONTS = Path(reportlab.__file__).parent / "fonts"

# (kind, text) in reading order; "page" starts a new page, "lines" is pre-broken text.
REPORT: list[tuple[str, object]] = [
    ("title", "School Improvement Strategy"),
    ("para", "This strategy sets out how the trust will raise standards in all of its schools over the "
             "next three years, building on the strengths that each school already has."),
    ("h1", "1. Our Vision"),
    ("lines", ["Every pupil will benefit from continuous improve-",
               "ment in teaching, and every school will share what works with the others."]),
    ("h1", "2. Priorities"),
    ("para", "Our priorities for the next three years are:"),
    ("bullet", "Raise attainment in reading across Key Stage 2, so that every pupil leaves us able to read "
               "fluently and with real understanding of what they read."),
    ("bullet", "Improve attendance for disadvantaged pupils."),
    ("bullet", "Develop leaders at every level of the trust."),
    ("page", None),
    ("h1", "3. Roles and responsibilities"),
    ("para", "Everyone in the trust shares responsibility for improvement, and the roles below make clear "
             "who leads each part of the work."),
    ("h2", "3.1 Governors"),
    ("para", "Governors hold leaders to account for the progress of every group of pupils."),
    ("h1", "4. Targets"),
    ("table", [["Target", "Owner", "Date"],
               ["Raise KS2 reading to 80%", "Head of English", "July 2025"],
               ["Attendance above 96%", "Pastoral lead", "July 2026"]]),
    ("page", None),
    ("para", "Targets are reviewed and reset every summer."),
    ("h1", "5. Monitoring"),
    ("para", "The board reviews progress every term. Each school reports on its targets, and the trust "
             "publishes a summary for parents at the end of each year."),
]


def _register_fonts() -> None:
    if BODY not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(BODY, str(_FONTS / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(_FONTS / "VeraBd.ttf")))


def report_pdf_bytes(content: list[tuple[str, object]] = REPORT) -> bytes:
    """A multi-page strategy PDF with running header and footer on every page."""
    _register_fonts()
    pages = sum(1 for kind, _ in content if kind == "page") + 1
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    left, right = 72, width - 72
    state = {"y": height - 100, "page": 1}

    def furniture() -> None:
        c.setFont(BODY, 8)
        c.drawString(left, height - 40, HEADER)
        c.drawRightString(right, 30, f"Page {state['page']} of {pages}")

    def line(text: str, font: str = BODY, size: float = 10, x: float = left, gap: float = 0) -> None:
        state["y"] -= gap
        c.setFont(font, size)
        c.drawString(x, state["y"], text)
        state["y"] -= size * 1.25

    furniture()
    for kind, value in content:
        if kind == "page":
            c.showPage()
            state["page"] += 1
            state["y"] = height - 100
            furniture()
        elif kind in ("title", "h1", "h2"):
            size = {"title": 18, "h1": 13, "h2": 11.5}[kind]
            line(str(value), BOLD, size, gap=10)
        elif kind in ("para", "lines"):
            parts = value if kind == "lines" else simpleSplit(str(value), BODY, 10, right - left)
            state["y"] -= 6
            for part in parts:
                line(part)
        elif kind == "bullet":
            parts = simpleSplit(str(value), BODY, 10, right - left - 18)
            c.setFont(BODY, 10)
            c.drawString(left + 4, state["y"], "•")
            for k, part in enumerate(parts):
                line(part, x=left + 18, gap=4 if k == 0 else 0)
        elif kind == "table":
            rows = value
            table = Table(rows, colWidths=[200, 150, 100])
            table.setStyle(TableStyle([
                ("FONTNAME", (0, 0), (-1, -1), BODY), ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ]))
            _, h = table.wrapOn(c, right - left, state["y"])
            table.drawOn(c, left, state["y"] - h - 6)
            state["y"] -= h + 20
    c.save()
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def blank_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF with drawings but no text at all, like a scan without OCR."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for _ in range(pages):
        c.rect(100, 100, 300, 400, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf_bytes(user_password: str, algorithm: str = "RC4-128") -> bytes:
    """The report, encrypted; an empty user password means "restrictions only"."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(report_pdf_bytes())))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def report_docx(path: Path) -> Path:
    """A Word strategy: Title, Heading 1/2, bullets, numbered list, a table and a page break."""
    d = docx.Document()
    d.add_paragraph("Trust Development Plan", style="Title")
    d.add_heading("Our Vision", level=1)
    d.add_paragraph("Every child will leave our schools ready for the next stage of their education.")
    d.add_heading("Our Values", level=2)
    d.add_paragraph("We live by three values:")
    for value in ("Kindness in every interaction", "Ambition for every pupil", "Respect for each other"):
        d.add_paragraph(value, style="List Bullet")
    d.add_heading("Targets", level=1)
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["Target", "Owner", "Date"], ["Reading at 80%", "Head of English", "July 2025"],
                             ["Attendance above 96%", "Pastoral lead", "July 2026"]]):
        for k, value in enumerate(row):
            table.cell(r, k).text = value
    d.add_page_break()
    d.add_heading("Monitoring", level=1)
    d.add_paragraph("Progress is reviewed by the board every term.")
    d.add_paragraph("Publish a summary for parents", style="List Number")
    para = d.add_paragraph()
    para.add_run("Safeguarding").bold = True
    d.add_paragraph("Safeguarding is everyone's responsibility.")
    d.save(str(path))
    return path


def rendered_pages_docx(path: Path) -> Path:
    """A .docx as Word saves it after layout: w:lastRenderedPageBreak where each page starts.

    Word also keeps the explicit page break that caused one of those pages; the loader
    must not count that page twice.
    """
    from docx.oxml import OxmlElement

    d = docx.Document()
    d.add_paragraph("First page text.")
    d.add_page_break()
    for text in ("Second page text.", "Third page text, after the text flowed over."):
        run = d.add_paragraph().add_run()
        run._r.append(OxmlElement("w:lastRenderedPageBreak"))
        run._r.append(OxmlElement("w:t"))
        run._r[-1].text = text
    d.save(str(path))
    return path


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Our Vision | Oakfield Learning Trust</title>
<script>window.dataLayer = []; function track() {}</script><style>.nav { color: red }</style></head>
<body class="page-template">
<a class="skip-link" href="#main">Skip to content</a>
<div id="cookie-notice" class="cookie-banner"><p>We use cookies to give you the best experience.
 By continuing to browse you agree to our use of cookies.</p><button>Accept all cookies</button>
 <a href="/cookies">Cookie settings</a></div>
<header class="site-header"><a href="/" class="logo">Oakfield Learning Trust</a>
 <nav class="main-menu"><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
 <li><a href="/schools">Our schools</a></li><li><a href="/vacancies">Vacancies</a></li></ul></nav></header>
<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/about">About</a> &gt; Vision</div>
<main id="main">
 <h1>Our Vision and Values</h1>
 <p>At Oakfield, <strong>every child</strong> is known, valued and challenged to achieve more than they
 thought possible.</p>
 <h2>Our Values</h2>
 <p>Our values guide everything we do:</p>
 <ul><li>Kindness</li><li>Ambition<ul><li>Ambition for staff too</li></ul></li><li>Respect</li></ul>
 <div class="share-this"><a href="#">Share on Facebook</a><a href="#">Share on Twitter</a></div>
 <h3>Our Targets</h3>
 <table><thead><tr><th>Target</th><th>Owner</th></tr></thead>
 <tbody><tr><td>Attendance above 96%</td><td>Pastoral lead</td></tr>
 <tr><td>Reading at 80%</td><td>Head of English</td></tr></tbody></table>
 <div class="content">Progress is reviewed<br>by the board every term.</div>
</main>
<aside class="sidebar"><h2>Latest news</h2><p>Sports day is on Friday.</p></aside>
<footer class="site-footer"><p>Oakfield Learning Trust, 1 High Street</p>
 <p>© 2024 Oakfield Learning Trust. All rights reserved.</p></footer>
</body></html>
"""

# No <main>, furniture only recognisable by class names and link density.
HTML_NO_MAIN = """<html><body>
<div class="top-nav"><a href="/">Home</a> <a href="/news">News</a></div>
<ul><li><a href="/a">Admissions</a></li><li><a href="/b">Policies</a></li><li><a href="/c">Contact</a></li></ul>
<div class="wrapper"><h1>Behaviour Policy</h1><p>We expect every pupil to show respect.</p>
<ol><li>Be ready</li><li>Be respectful</li></ol></div>
<div class="consent-popup">This site uses cookies. Accept?</div>
</body></html>
"""
