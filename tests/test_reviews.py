"""Policy review register: fields from generated PDF/DOCX covers and the real PDFs, status against an
injected today, sources.toml winning, audience, the API and its CSV over real uvicorn, chat, the tab.

Real parts: PDFs drawn with reportlab (tests/docgen.py), DOCX written with python-docx, the real
loaders, embedder and Chroma in a temporary data directory, the real PDFs in ../shared when present.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import docx
import httpx
import pytest

from assistant.models import Principal
from assistant.reviews import ReviewFilters, is_review_question, list_reviews, status_of
from ingest.loaders import load_document
from ingest.models import DocumentMeta
from ingest.reviews import extract_review, normalise_date
from ingest.settings import Settings
from tests.conftest import auth
from tests.docgen import report_pdf_bytes
from tests.servers import serve

PROJECT = Path(__file__).resolve().parents[1]
REAL = PROJECT.parent / "shared" / "realdocs" / "decoy-primary"
LABELS = PROJECT / "evals" / "sets" / "reviews_realdocs.jsonl"
STAFF = Principal("staff", ("all", "staff"))
GOVERNOR = Principal("governor", ("all", "staff", "governors"))
KEYS = {"staff-key": "staff", "gov-key": "governor"}
COVER = ["DATE: October 2019", "DATE OF NEXT REVIEW: September 2020",
         "TO BE REVIEWED BY: Learning and Well-being Committee", "Ratified by FGB"]
SAFEGUARDING = "reviews/safeguarding-policy.pdf"


def _safeguarding_pdf() -> bytes:
    return report_pdf_bytes([
        ("title", "Child Protection and Safeguarding Policy"), ("lines", COVER), ("page", None),
        ("h1", "1. Introduction"),
        ("para", "Every member of staff knows how to raise a concern about a child, and concerns are acted on."),
    ])


def _behaviour_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("Promoting Positive Behaviour Policy", style="Title")
    d.add_paragraph("Date of adoption: March 2025")
    d.add_paragraph("Date of next review: July 2099")
    d.add_paragraph("To be reviewed by: Full Governing Board")
    d.add_heading("Review", level=1)
    d.add_paragraph("This policy will be reviewed every two years by the governing board.")
    d.save(str(path))
    return path


def _meta(path: Path) -> DocumentMeta:
    return DocumentMeta(doc_id=f"t/{path.name}", title=path.stem, source_path=str(path))


# -- extraction ---------------------------------------------------------------------------------

def test_cover_fields_from_a_generated_pdf(tmp_path):
    path = tmp_path / "safeguarding.pdf"
    path.write_bytes(_safeguarding_pdf())
    doc = load_document(path, _meta(path))
    r = extract_review(doc)
    assert (r.last_reviewed, r.next_review, r.reviewer) == ("2019-10", "2020-09", "Learning and Well-being Committee")
    ev = r.evidence["next_review"]
    assert ev.quote == "DATE OF NEXT REVIEW: September 2020" and doc.pages[ev.page - 1].text[ev.start:ev.end] == ev.quote


def test_fields_and_cycle_from_a_docx(tmp_path):
    r = extract_review(load_document(_behaviour_docx(tmp_path / "b.docx"), _meta(tmp_path / "b.docx")))
    assert (r.last_reviewed, r.next_review, r.reviewer, r.cycle_months) == ("2025-03", "2099-07", "Full Governing Board", 24)


@pytest.mark.parametrize("text, value", [("October 2022", "2022-10"), ("17/1/2022", "2022-01-17"),
                                         ("Sept 2022", "2022-09"), ("Summer Term 2023", "2023-07"), ("2024", "2024"),
                                         ("soon", None)])
def test_dates_are_normalised(text, value):
    assert normalise_date(text) == value


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared real documents not present")
def test_the_real_pdfs_match_the_hand_labels():
    from evals.reviews_eval import FIELDS, _load, _norm
    from ingest.tracker import document_review

    for label in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines()):
        info = document_review(_load(REAL / label["file"]))
        got = {f: _norm(getattr(info, f)) for f in FIELDS}
        assert got == {f: _norm(label[f]) for f in FIELDS}, label["file"]


@pytest.mark.parametrize("next_review, status", [
    ("2020-09", "overdue"), ("2021-01", "due within 90 days"), ("2021-03-31", "due within 90 days"),
    ("2021-05", "current"), (None, "unknown"),
])
def test_status_as_of_an_injected_today(next_review, status):
    assert status_of(next_review, date(2021, 1, 10))[0] == status


def test_review_questions_are_recognised():
    assert is_review_question("Which policies are overdue for review?")
    assert is_review_question("When is the safeguarding policy next reviewed and by whom?")
    assert not is_review_question("How do I report a safeguarding concern?")
    # governors say "updated" as often as "reviewed"
    assert is_review_question("When was the safeguarding policy last updated?")
    assert is_review_question("When is the SEND policy being revised?")
    assert not is_review_question("How are staff updated on online safety?")


# -- the register over an ingested corpus -------------------------------------------------------

@pytest.fixture(scope="module")
def reviews_assistant(tmp_path_factory):
    from assistant.knowledge import KnowledgeBase
    from assistant.service import Assistant

    root = tmp_path_factory.mktemp("corpus") / "reviews"
    root.mkdir()
    (root / "safeguarding-policy.pdf").write_bytes(_safeguarding_pdf())
    _behaviour_docx(root / "behaviour-policy.docx")
    (root / "pay-policy.md").write_text("# Staff Pay Policy\n\nNext review date: 01/09/2020\n\nReviewed by: Pay "
                                        "Committee\n\n## Pay\n\nTeachers move up the pay range each September.\n")
    (root / "attendance-policy.md").write_text("# Attendance Policy\n\nEvery pupil is expected in school every day.\n")
    (root / "catch-up-plan.md").write_text("# Catch-up Plan\n\nSmall-group tuition runs after school.\n")
    (root / "sources.toml").write_text(
        '[[documents]]\nfile = "pay-policy.md"\ntitle = "Staff Pay Policy"\naudience = "governors"\n'
        'organisation = "Decoy Trust"\n\n[[documents]]\nfile = "attendance-policy.md"\ntitle = "Attendance Policy"\n'
        'next_review = "March 2099"\nreviewed_by = "Trust Board"\norganisation = "Decoy Trust"\n\n'
        '[[documents]]\nfile = "safeguarding-policy.pdf"\ntitle = "Child Protection and Safeguarding Policy"\n'
        'organisation = "Decoy Trust"\n\n[[documents]]\nfile = "behaviour-policy.docx"\n'
        'title = "Promoting Positive Behaviour Policy"\norganisation = "Decoy Trust"\n\n'
        '[[documents]]\nfile = "catch-up-plan.md"\ntitle = "Catch-up Plan"\norganisation = "Decoy Trust"\n')
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=root, corpus_name="reviews",
                        api_keys=dict(KEYS), default_role="staff", llm_base_url=None, llm_gguf_path=None,
                        chroma_host=None)
    kb = KnowledgeBase(settings)
    report = kb.ingest(root, corpus="reviews")
    assert report.count("ingested") == 5, report.files
    return Assistant(settings, kb=kb)


@pytest.fixture(scope="module")
def client(reviews_assistant):
    from assistant.api import create_app

    with serve(create_app(reviews_assistant.settings, reviews_assistant)) as base:
        with httpx.Client(base_url=base, timeout=60) as c:
            yield c


def _by_title(rows):
    return {r.title if hasattr(r, "title") else r["title"]: r for r in rows}


def test_register_status_sources_toml_and_audience(reviews_assistant):
    kb = reviews_assistant.kb
    rows = _by_title(list_reviews(kb, STAFF, ReviewFilters(today=date(2021, 1, 1))))
    assert "Staff Pay Policy" not in rows  # governors only
    safe = rows["Child Protection and Safeguarding Policy"]
    assert (safe.status, safe.next_review, safe.reviewer, safe.next_review_source) == \
        ("overdue", "2020-09", "Learning and Well-being Committee", "document")
    attendance = rows["Attendance Policy"]
    assert (attendance.status, attendance.next_review, attendance.reviewer, attendance.next_review_source) == \
        ("current", "2099-03", "Trust Board", "sources.toml")
    assert rows["Catch-up Plan"].status == "unknown"
    assert rows["Promoting Positive Behaviour Policy"].cycle_months == 24
    gov = _by_title(list_reviews(kb, GOVERNOR, ReviewFilters(today=date(2021, 1, 1), status=["overdue"])))
    assert set(gov) == {"Child Protection and Safeguarding Policy", "Staff Pay Policy"}
    assert not list_reviews(kb, GOVERNOR, ReviewFilters(today=date(2019, 1, 1), status=["overdue"]))


def test_api_and_csv_over_http(client):
    params = {"today": "2021-01-01"}
    staff = client.get("/api/reviews", params=params, headers=auth("staff-key")).json()
    assert "Staff Pay Policy" not in _by_title(staff)
    gov = client.get("/api/reviews", params={**params, "status": "overdue"}, headers=auth("gov-key")).json()
    assert {r["title"] for r in gov} == {"Child Protection and Safeguarding Policy", "Staff Pay Policy"}
    r = client.get("/api/reviews.csv", params={**params, "status": "overdue"}, headers=auth("gov-key"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [t["doc_id"] for t in table] == [g["doc_id"] for g in gov]
    assert [t["status"] for t in table] == ["overdue", "overdue"]
    assert client.get("/api/reviews", params={"status": "late"}).status_code == 400
    assert client.get("/api/reviews", params={"today": "yesterday"}).status_code == 400


def test_chat_lists_overdue_policies_citing_the_cover_line(reviews_assistant):
    answer = reviews_assistant.ask("Which policies are overdue for review?", STAFF)
    assert "Child Protection and Safeguarding Policy" in answer.answer and "Staff Pay Policy" not in answer.answer
    assert "overdue for review" in answer.answer and "Attendance Policy" not in answer.answer
    quotes = {c.quote for c in answer.citations}
    assert "DATE OF NEXT REVIEW: September 2020" in quotes
    for c in answer.citations:
        assert reviews_assistant.kb.page(c.doc_id, c.page, STAFF).text[c.start:c.end] == c.quote
    assert "Staff Pay Policy" in reviews_assistant.ask("Which policies are overdue for review?", GOVERNOR).answer


def test_none_overdue_is_said_plainly(reviews_assistant):
    from assistant.reviews import answer_reviews

    answer = answer_reviews("Which policies are overdue for review?", reviews_assistant.kb, STAFF, today=date(2000, 1, 1))
    assert answer is not None and answer.answer.startswith("As of 1 January 2000, none of the ")
    assert not answer.citations and not answer.answer.splitlines()[0].endswith(":")


def test_chat_says_when_and_by_whom(reviews_assistant):
    answer = reviews_assistant.ask("When is the safeguarding policy next reviewed and by whom?", STAFF)
    assert "Child Protection and Safeguarding Policy" in answer.answer and "September 2020" in answer.answer
    assert "Learning and Well-being Committee" in answer.answer and "Behaviour" not in answer.answer
    assert {c.quote for c in answer.citations} == {COVER[1], COVER[2]}
    from assistant.reviews import answer_reviews

    assert answer_reviews("When is the dragons policy next reviewed?", reviews_assistant.kb, STAFF) is None


def test_chat_answers_last_updated_from_the_register(reviews_assistant):
    answer = reviews_assistant.ask("When was the safeguarding policy last updated?", STAFF)
    assert "Child Protection and Safeguarding Policy" in answer.answer and "Behaviour" not in answer.answer
    assert "last reviewed October 2019" in answer.answer  # the cover's DATE line, not a passage about updates


def test_reviews_tab(reviews_assistant):
    import gradio as gr

    from ui.reviews_tab import ANY, build_reviews_tab

    with gr.Blocks():
        h = build_reviews_tab(reviews_assistant, reviews_assistant.settings, gr.Textbox())
    table, fig, line, path = h.table("gov-key", ANY, "overdue", "2021-01-01")
    assert {row[1] for row in table} == {"Child Protection and Safeguarding Policy", "Staff Pay Policy"}
    assert fig.axes and "2 documents as of 2021-01-01" in line and Path(path).read_text().count("overdue") == 2
    assert "Staff Pay Policy" not in {row[1] for row in h.table("staff-key", ANY, ANY, "2021-01-01")[0]}
    assert "not a date" in h.table("staff-key", ANY, ANY, "1st of May")[2]


def test_deleting_a_document_removes_it_from_the_register(reviews_assistant):
    kb = reviews_assistant.kb
    assert kb.delete(f"reviews/catch-up-plan.md")
    assert "Catch-up Plan" not in _by_title(list_reviews(kb, GOVERNOR))
