"""Loaders on real material: the five demo seed documents and the eight real school PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.models import Document
from tests.test_loaders import load, blocks, block_with, DEMO, REAL_PDFS


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
