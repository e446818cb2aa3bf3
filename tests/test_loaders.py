"""Document loaders on real files: generated PDFs/DOCX/HTML, the demo corpus and real school PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.loaders import load_document, sniff
from ingest.models import Document, DocumentMeta, LoadError
from tests import docgen

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
REAL = Path(__file__).resolve().parents[2] / "shared" / "realdocs" / "decoy-primary"
REAL_PDFS = sorted(REAL.glob("*.pdf"))


def load(path: Path) -> Document:
    doc = load_document(path, DocumentMeta(doc_id=path.name, title=path.stem, source_path=str(path)))
    check_offsets(doc)
    return doc


def check_offsets(doc: Document) -> None:
    """The invariant quoting relies on, for every block of every page."""
    assert doc.pages, "a loaded document has pages"
    for page in doc.pages:
        assert page.blocks
        for b in page.blocks:
            assert page.text[b.start : b.end] == b.text
            assert b.text == b.text.strip() and b.text


def blocks(doc: Document, kind: str | None = None) -> list:
    return [b for p in doc.pages for b in p.blocks if kind is None or b.kind == kind]


def block_with(doc: Document, text: str):
    found = [b for b in blocks(doc) if text in b.text]
    assert found, f"no block contains {text!r}"
    return found[0]


def page_lines(doc: Document) -> list[str]:
    return [line for p in doc.pages for line in p.text.split("\n")]


# -- generated PDF ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Document:
    path = docgen.write(tmp_path_factory.mktemp("pdf") / "strategy.pdf", docgen.report_pdf_bytes())
    return load(path)


def test_pdf_pages_keep_physical_numbers_and_hash(report_pdf: Document, tmp_path: Path) -> None:
    assert [p.number for p in report_pdf.pages] == [1, 2, 3]
    assert report_pdf.format == "pdf"
    assert len(report_pdf.file_hash) == 64
    assert "The board reviews progress every term." in report_pdf.pages[2].text
    assert "Governors hold leaders to account" in report_pdf.pages[1].text


def test_pdf_running_header_and_footer_removed_from_every_page(report_pdf: Document) -> None:
    for page in report_pdf.pages:
        assert "Oakfield Learning Trust" not in page.text
        assert not re.search(r"Page \d+ of \d+", page.text)


def test_pdf_hyphenated_line_break_joined(report_pdf: Document) -> None:
    text = report_pdf.pages[0].text
    assert "continuous improvement in teaching" in text
    assert "improve-" not in text


def test_pdf_paragraph_lines_joined(report_pdf: Document) -> None:
    b = block_with(report_pdf, "This strategy sets out")
    assert b.kind == "paragraph"
    assert b.text.endswith("that each school already has.")


def test_pdf_bullets_are_list_items(report_pdf: Document) -> None:
    items = [b.text for b in blocks(report_pdf, "list_item")]
    assert items == [
        "Raise attainment in reading across Key Stage 2, so that every pupil leaves us able to read "
        "fluently and with real understanding of what they read.",
        "Improve attendance for disadvantaged pupils.",
        "Develop leaders at every level of the trust.",
    ]
    assert block_with(report_pdf, "Improve attendance").section_path[-1] == "2. Priorities"
    assert block_with(report_pdf, "Our priorities for the next").kind == "paragraph"


def test_pdf_headings_give_section_paths(report_pdf: Document) -> None:
    headings = [(b.text, b.level) for b in blocks(report_pdf, "heading")]
    assert headings[:3] == [("School Improvement Strategy", 1), ("1. Our Vision", 2), ("2. Priorities", 2)]
    governors = block_with(report_pdf, "Governors hold leaders")
    assert governors.section_path == ("School Improvement Strategy", "3. Roles and responsibilities", "3.1 Governors")
    # the section path carries over a page break
    assert block_with(report_pdf, "reset every summer").section_path == ("School Improvement Strategy", "4. Targets")
    assert report_pdf.pages[2].blocks[0].text == "Targets are reviewed and reset every summer."


def test_pdf_table_rows_one_per_line(report_pdf: Document) -> None:
    rows = [b.text for b in blocks(report_pdf, "table_row")]
    assert rows == [
        "Target | Owner | Date",
        "Raise KS2 reading to 80% | Head of English | July 2025",
        "Attendance above 96% | Pastoral lead | July 2026",
    ]
    assert block_with(report_pdf, "Pastoral lead").section_path[-1] == "4. Targets"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: docgen.report_pdf_bytes()[:6000], "truncated"),
        (lambda: (lambda d: d[:16] + b"\x07garbage" * (len(d) // 8) + d[-16:])(docgen.report_pdf_bytes()), "damaged"),
        (lambda: docgen.encrypted_pdf_bytes("secret"), "password-protected"),
        (lambda: docgen.blank_pdf_bytes(), "no extractable text"),
    ],
    ids=["truncated", "corrupt", "encrypted", "image-only"],
)
def test_pdf_failures_are_clear_load_errors(tmp_path: Path, data, message: str) -> None:
    path = docgen.write(tmp_path / "broken.pdf", data())
    with pytest.raises(LoadError, match=message) as info:
        load(path)
    assert "broken.pdf" in str(info.value)


def test_pdf_with_owner_password_only_loads(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")  # AES needs it (pypdf[crypto])
    doc = load(docgen.write(tmp_path / "restricted.pdf", docgen.encrypted_pdf_bytes("", "AES-256")))
    assert "continuous improvement in teaching" in doc.pages[0].text


# -- type sniffing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", b"Minutes of the meeting held on 5 May.\nAll present.\n",
         r"notes\.pdf is not a PDF \(looks like plain text\)"),
        ("page.pdf", b"<!DOCTYPE html><html><body>404 Not Found</body></html>", r"not a PDF \(looks like an HTML page\)"),
        ("plan.docx", None, r"plan\.docx is not a Word \(\.docx\) document \(looks like a PDF\)"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, r"legacy Office file .*save it as \.docx"),
        ("fake.docx", b"just some words", r"not a Word \(\.docx\) document \(looks like plain text\)"),
        ("budget.xlsx", docgen.xlsx_bytes(), "unsupported file type '.xlsx'"),
        ("logo.png", docgen.PNG_BYTES, "unsupported file type '.png'"),
        ("logo.txt", docgen.PNG_BYTES, r"logo\.txt is not a text file \(looks like an image\)"),
        ("sheet.md", docgen.xlsx_bytes(), r"looks like an Excel spreadsheet"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n \n", "empty"),
    ],
)
def test_mislabelled_and_unsupported_files(tmp_path: Path, name: str, data: bytes | None, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(docgen.report_pdf_bytes() if data is None else data)
    with pytest.raises(LoadError, match=message):
        load(path)


def test_sniff_recognises_real_formats(tmp_path: Path) -> None:
    assert sniff(docgen.report_pdf_bytes()) == "pdf"
    assert sniff(docgen.report_docx(tmp_path / "a.docx").read_bytes()) == "docx"
    assert sniff(docgen.xlsx_bytes()) == "xlsx"
    assert sniff(docgen.HTML_PAGE.encode()) == "html"
    assert sniff("Café – “quoted”".encode("cp1252")) == "text"


def test_html_saved_as_txt_loads_as_html(tmp_path: Path) -> None:
    path = tmp_path / "vision.txt"
    path.write_text(docgen.HTML_PAGE, encoding="utf-8")
    doc = load(path)
    assert doc.format == "html"
    assert "cookies" not in doc.text


def test_text_decoding_fallbacks(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("Our Ethos\nCafé – “quoted” values.\n".encode("cp1252"))
    (tmp_path / "b.txt").write_bytes("\ufeffOur Ethos\nCafé – “quoted” values.\n".encode("utf-8"))
    for name in ("a.txt", "b.txt"):
        doc = load(tmp_path / name)
        assert doc.pages[0].text == "Our Ethos\n\nCafé – “quoted” values."
        assert doc.pages[0].blocks[0].kind == "heading"


# -- DOCX ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_docx(tmp_path_factory) -> Document:
    return load(docgen.report_docx(tmp_path_factory.mktemp("docx") / "plan.docx"))


def test_docx_heading_styles_make_section_paths(report_docx: Document) -> None:
    assert report_docx.format == "docx"
    assert [(b.text, b.level) for b in blocks(report_docx, "heading")][:3] == [
        ("Trust Development Plan", 1), ("Our Vision", 2), ("Our Values", 3)]
    kindness = block_with(report_docx, "Kindness in every interaction")
    assert kindness.kind == "list_item"
    assert kindness.section_path == ("Trust Development Plan", "Our Vision", "Our Values")
    assert block_with(report_docx, "We live by three values:").kind == "paragraph"


def test_docx_tables_become_header_value_rows(report_docx: Document) -> None:
    rows = [b.text for b in blocks(report_docx, "table_row")]
    assert rows == [
        "Target | Owner | Date",
        "Target: Reading at 80%; Owner: Head of English; Date: July 2025",
        "Target: Attendance above 96%; Owner: Pastoral lead; Date: July 2026",
    ]
    assert block_with(report_docx, "Pastoral lead").section_path == ("Trust Development Plan", "Targets")


def test_docx_page_breaks_number_pages(report_docx: Document) -> None:
    assert [p.number for p in report_docx.pages] == [1, 2]
    assert "Progress is reviewed by the board every term." in report_docx.pages[1].text
    assert block_with(report_docx, "Publish a summary").kind == "list_item"


def test_docx_pages_follow_words_saved_layout(tmp_path: Path) -> None:
    doc = load(docgen.rendered_pages_docx(tmp_path / "laid-out.docx"))
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "First page text."), (2, "Second page text."), (3, "Third page text, after the text flowed over.")]


def test_docx_bold_paragraph_used_as_heading(report_docx: Document) -> None:
    b = block_with(report_docx, "everyone's responsibility")
    assert b.section_path == ("Trust Development Plan", "Monitoring", "Safeguarding")


def test_docx_that_is_a_broken_zip(tmp_path: Path) -> None:
    data = docgen.report_docx(tmp_path / "ok.docx").read_bytes()
    (tmp_path / "bad.docx").write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match=r"bad\.docx"):
        load(tmp_path / "bad.docx")


# -- HTML ----------------------------------------------------------------------------------


def test_html_keeps_main_text_only(tmp_path: Path) -> None:
    path = tmp_path / "vision.html"
    path.write_text(docgen.HTML_PAGE, encoding="utf-8")
    doc = load(path)
    text = doc.text
    for furniture in ("cookie", "Accept all", "Vacancies", "Skip to content", "Share on", "Sports day",
                      "Latest news", "High Street", "All rights reserved", "dataLayer", "Home"):
        assert furniture not in text
    assert [(b.text, b.level) for b in blocks(doc, "heading")] == [
        ("Our Vision and Values", 1), ("Our Values", 2), ("Our Targets", 3)]
    assert block_with(doc, "every child is known").text.startswith("At Oakfield, every child is known")
    assert [b.text for b in blocks(doc, "list_item")] == ["Kindness", "Ambition", "Ambition for staff too", "Respect"]
    assert block_with(doc, "Respect").section_path == ("Our Vision and Values", "Our Values")
    assert [b.text for b in blocks(doc, "table_row")][1] == "Target: Attendance above 96%; Owner: Pastoral lead"
    assert block_with(doc, "Progress is reviewed").text == "Progress is reviewed by the board every term."


def test_html_without_main_drops_menus_and_consent(tmp_path: Path) -> None:
    path = tmp_path / "policy.htm"
    path.write_text(docgen.HTML_NO_MAIN, encoding="utf-8")
    doc = load(path)
    assert doc.pages[0].text == "Behaviour Policy\n\nWe expect every pupil to show respect.\nBe ready\nBe respectful"


# -- Markdown ----------------------------------------------------------------------------


def test_markdown_structure(tmp_path: Path) -> None:
    md = """---
title: front matter is metadata, not text
---
# Trust Strategy

Our strategy is **simple** and
wrapped over two lines, see [the plan](http://x.org).

## Priorities

Our priorities:

- Reading for *every* pupil
  continued on an indented line
* Attendance
1. Leadership

| Target | Owner |
|---|---|
| Reading at 80% | Head of English |

Download Presentation
"""
    path = tmp_path / "strategy.md"
    path.write_text(md, encoding="utf-8")
    doc = load(path)
    assert doc.format == "markdown"
    assert block_with(doc, "Our strategy is").text == (
        "Our strategy is simple and wrapped over two lines, see the plan.")
    assert [b.text for b in blocks(doc, "list_item")] == [
        "Reading for every pupil continued on an indented line", "Attendance", "1. Leadership"]
    assert block_with(doc, "Attendance").section_path == ("Trust Strategy", "Priorities")
    rows = [b.text for b in blocks(doc, "table_row")]
    assert rows == ["Target | Owner", "Target: Reading at 80%; Owner: Head of English"]
    assert "Download" not in doc.text and "front matter" not in doc.text
    assert doc.pages[0].blocks[0].text == "Trust Strategy"
