"""Document loaders on real files: generated PDFs/DOCX/HTML, the demo corpus and real school PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

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


# -- the demo corpus ---------------------------------------------------------------------


def demo(name: str) -> Document:
    return load(DEMO / name)


def test_demo_illuminate_phases_are_subsections_of_the_model() -> None:
    doc = demo("illuminate-minds-school-improvement-strategy.txt")
    item = block_with(doc, "Increased distribution of roles and responsibilities")
    assert item.kind == "list_item"
    assert item.section_path == ("Our Improvement Model", "PHASE 3: IMPROVE")
    assert block_with(doc, "Undertaking forensic analysis").section_path == ("School Improvement Capacity",)
    assert [b.text for b in blocks(doc, "heading")] == [
        "School Improvement Capacity", "Our Improvement Model",
        "PHASE 1: STABILISE", "PHASE 2: REPAIR", "PHASE 3: IMPROVE", "PHASE 4: SUSTAIN"]


def test_demo_lilian_baylis_headings_and_numbered_items() -> None:
    doc = demo("lilian-baylis-vision-and-strategy.txt")
    headings = [b.text for b in blocks(doc, "heading")]
    for h in ("LBTS MISSION & VISION", "STRATEGY", "Aspiration", "Achievement", "Resilience", "Respect", "Responsibility"):
        assert h in headings
    first = block_with(doc, "1. A world class KNOWLEDGE BASED CURRICULUM")
    assert first.kind == "list_item" and first.text.startswith("1. ")
    item = block_with(doc, "Greater IMPACT of student voice on the Curriculum")
    assert item.kind == "list_item"
    assert item.section_path[-2:] == ("STRATEGY", "Aspiration")
    assert block_with(doc, "Nelson Mandela").kind == "paragraph"  # a quote attribution
    assert block_with(doc, "Embedding consistency & routine").section_path[-1] == "Achievement"
    assert "In this section" not in doc.text


def test_demo_dudley_values_list_introduced_by_paragraph() -> None:
    doc = demo("dudley-trust-values-vision-mission.txt")
    headings = [b.text for b in blocks(doc, "heading")]
    assert {"Our Values", "Our Mission", "Our Vision"} <= set(headings)
    assert block_with(doc, "Our Values:").kind == "paragraph"
    item = block_with(doc, "Dreaming big")
    assert item.kind == "list_item" and item.section_path[-1] == "Our Values"
    assert block_with(doc, "twelve academies").section_path[-1] == "Our Vision"


def test_demo_phase_2_heading_and_items() -> None:
    doc = demo("phase-2-growth-plan.txt")
    heading = "Phase 2 - Specialist provision and continued primary growth (2023 - 2028)"
    assert heading in [b.text for b in blocks(doc, "heading")]
    items = blocks(doc, "list_item")
    assert len(items) == 15  # 14 lines, one holding two items joined by "•"
    assert all(b.section_path[-1] == heading for b in items)
    assert block_with(doc, "to continue the sharing of good practice").text.startswith("to continue")


LUTON_BOILERPLATE = [
    "Uploaded on", "Download Presentation", "Please find below an Image/Link", "provided AS IS",
    "You are allowed to download the files", "E N D", "Presentation Transcript",
]


def test_demo_luton_transcript_without_boilerplate() -> None:
    doc = demo("luton-2040-education-strategy.txt")
    for line in LUTON_BOILERPLATE:
        assert all(line not in p.text for p in doc.pages), line
    timeline = block_with(doc, "Timelines Go-Live Launch September 2024")
    assert timeline.kind == "paragraph"
    assert len(blocks(doc, "heading")) == 2
    assert all(b.kind == "paragraph" for b in blocks(doc) if len(b.text) > 200)


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.txt")), ids=lambda p: p.stem)
def test_every_demo_file_loads_as_text(path: Path) -> None:
    doc = load(path)
    assert doc.format == "text" and [p.number for p in doc.pages] == [1]


# -- real school PDFs --------------------------------------------------------------------

needs_real = pytest.mark.skipif(not REAL_PDFS, reason="../shared/realdocs not present")


@pytest.fixture(scope="module")
def real_docs() -> dict[str, tuple[Document, list[str]]]:
    out = {}
    for path in REAL_PDFS:
        raw = [page.extract_text() for page in PdfReader(path).pages]
        out[path.name] = (load(path), raw)
    return out


@needs_real
def test_real_pdfs_all_load_with_physical_page_numbers(real_docs) -> None:
    assert len(real_docs) == 8
    for name, (doc, raw) in real_docs.items():
        numbers = [p.number for p in doc.pages]
        assert numbers == sorted(set(numbers)), name
        with_text = {i for i, t in enumerate(raw, 1) if len(re.sub(r"\W", "", t)) >= 50}
        # pages without text are dropped, never renumbered: nothing else goes missing
        assert with_text <= set(numbers) <= set(range(1, len(raw) + 1)), name


@needs_real
def test_real_pdf_phrases_are_on_their_own_page(real_docs) -> None:
    """For every page, a phrase from pypdf's own text of that page is in our page of that number."""
    checked = 0
    for name, (doc, raw) in real_docs.items():
        pages = {p.number: " ".join(p.text.split()) for p in doc.pages}
        for number, text in enumerate(raw, 1):
            lines = [ln for ln in text.split("\n") if "...." not in ln and "…" not in ln]
            words = max(lines, key=len, default="").split()
            if len(words) < 6:
                continue
            phrase = " ".join(words[1:-1]).replace("\uf0b7", "•")
            assert phrase in pages.get(number, ""), (name, number, phrase)
            checked += 1
    assert checked > 100


@needs_real
def test_real_pdf_running_headers_and_page_numbers_removed(real_docs) -> None:
    minutes, _ = real_docs["fgb-minutes-23-may-2022-final.pdf"]
    assert len(minutes.pages) == 12
    for page in minutes.pages:
        assert "FGB 23 May 2022" not in page.text.split("\n")
        assert not re.search(r"Page \d+ of 12", page.text)
    assert "The quorum for this meeting is 6 governors." in minutes.pages[2].text
    for name in ("2021-cp-and-safeguarding-policy.pdf", "2019-2022-accessibility-plan.pdf"):
        doc, raw = real_docs[name]
        numbered = [n for n, t in enumerate(raw, 1) if str(n) in [ln.strip() for ln in t.split("\n")[:3]]]
        assert len(numbered) > len(raw) / 2, name  # the page number really is printed on most pages
        for page in doc.pages:
            assert str(page.number) not in page.text.split("\n"), (name, page.number)
    policy, _ = real_docs["2021-cp-and-safeguarding-policy.pdf"]
    youth = block_with(policy, "25. Youth produced sexual imagery")
    assert youth.kind == "heading" and youth in policy.pages[21].blocks and policy.pages[21].number == 22


@needs_real
def test_real_pdf_no_line_repeated_at_page_edges_survives(real_docs) -> None:
    """An independent check: lines that open or close most raw pages appear in no loaded page."""
    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.lower().split()))

    found = 0
    for name, (doc, raw) in real_docs.items():
        edges = [[ln for ln in page.split("\n") if ln.strip()] for page in raw]
        counts: dict[str, int] = {}
        for lines in edges:
            for k in {key(ln) for ln in lines[:3] + lines[-3:]}:
                counts[k] = counts.get(k, 0) + 1
        pages_with_text = sum(1 for lines in edges if lines)
        repeated = {k for k, n in counts.items() if n >= max(2, pages_with_text / 2)}
        found += len(repeated)
        for page in doc.pages:
            survivors = repeated & {key(ln) for ln in page.text.split("\n")}
            assert not survivors, (name, page.number, survivors)
    assert found >= 4  # page numbers (2 documents), "FGB 23 May 2022", "Page # of #"


@needs_real
def test_real_pdf_structure_spot_checks(real_docs) -> None:
    plan, _ = real_docs["2019-2022-accessibility-plan.pdf"]
    item = block_with(plan, "Increase the extent to which disabled pupils can participate")
    assert item.kind == "list_item" and item.section_path[-1] == "1. Aims"
    assert block_with(plan, "This document meets the requirements").section_path[-1] == "2. Legislation and guidance"
    strategy, _ = real_docs["primary-strategy-2020-2021.pdf"]
    row = block_with(strategy, "Adapted Curriculum to address gaps.")
    assert row.kind == "table_row" and " | Dedicated termly planning days" in row.text
    assert "physical environment" in block_with(strategy, "All staff access specialist").text  # "phys-" + "ical"
    report, _ = real_docs["2021-2022-send-information-report.pdf"]
    assert block_with(report, "Moderate learning difficulties (MLD)").kind == "list_item"
    assert "dyspraxia (co-ordination)" in block_with(report, "Specific learning difficulties").text
