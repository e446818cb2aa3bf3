"""Commitments tracker: extraction, kinds and owners, time frames, minutes, and which questions are routed to it
(chat, the tab, the API and CSV agreeing on the same rows: tests/test_commitments_views.py).

Real parts throughout: the session corpus of tests/conftest.py (corpora/demo plus a
governors-only budget recovery plan) ingested with the real embedder into a real Chroma,
the API on a real uvicorn server, DOCX written with python-docx, and the real
governing-board minutes from ../shared (always present). Only the LLM is faked (tests/fake_llm.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.commitments import is_commitment_question, question_filters
from assistant.models import Filters, Principal
from assistant.tracker import list_commitments
from ingest.commitment_cues import find_owner, has_marker, kind_of
from ingest.loaders import load_document
from ingest.minutes import extract_minutes
from ingest.models import DocumentMeta
from ingest.timeframes import parse_frame
from ingest.tracker import extract_tracker_rows
from tests.docgen import report_docx

LUTON = "demo/luton-2040-education-strategy.txt"
PHASE2 = "demo/phase-2-growth-plan.txt"
DUDLEY = "demo/dudley-trust-values-vision-mission.txt"
STAFF = Principal("staff", ("all", "staff"))
GOVERNOR = Principal("governor", ("all", "staff", "governors"))
MINUTES = Path(__file__).resolve().parents[2] / "shared" / "realdocs" / "decoy-primary" / "fgb-minutes-23-may-2022-final.pdf"
GOVERNOR_Q = "What have we committed to by 2027, and who owns it?"


@pytest.fixture(scope="module")
def kb(assistant):
    return assistant.kb


def _find(rows, text):
    hits = [c for c in rows if c.text == text]
    assert hits, f"no commitment {text!r}"
    return hits[0]


def _count(answer_text: str) -> int:
    return int(re.search(r"record (\d+) ", answer_text).group(1))


# -- extraction, kinds, owners -------------------------------------------------------------------

def test_every_row_is_the_verbatim_page_span(kb):
    rows = list_commitments(kb, GOVERNOR)
    assert len(rows) > 100
    for c in rows:
        assert kb.page(c.doc_id, c.page, GOVERNOR).text[c.start:c.end] == c.text


def test_kinds_tell_milestones_from_pledges_and_targets(kb):
    luton = list_commitments(kb, STAFF, doc_id=LUTON)
    go_live = _find(luton, "Go-Live Launch September 2024")
    assert (go_live.kind, go_live.date) == ("milestone", "2024-09")
    assert _find(luton, "Initial Scoping and Data Capture November December 2023").kind == "milestone"
    assert _find(luton, "Zero exclusion of SEND due to reduced unmet need").kind == "target"
    phase2 = list_commitments(kb, STAFF, doc_id=PHASE2)
    assert _find(phase2, "to grow the Trust to include SEMH and other specialist provisions within the local area"
                 ).kind == "pledge"
    assert len(phase2) == 13 and all((c.time_from, c.time_to) == (2023, 2028) for c in phase2)
    assert kind_of("Reading at 80% by July 2025", ()) == "target"
    assert kind_of("We will open a sixth form.", ()) == "pledge"


@pytest.mark.parametrize("text, owner", [
    ("Creating greater RIGOUR in the RSE/HE curriculum, via the work of the new PSHE Lead", "PSHE Lead"),
    ("Council Sign Off July 2024", "Council"),
    ("The SENCO will review provision termly.", "SENCO"),
    ("The finance committee will review Project Kestrel every half term", "finance committee"),
    ("Target: Reading at 80%; Owner: Head of English; Date: July 2025", "Head of English"),
    ("Phonics catch-up groups | £151 CUF | Literacy Lead", "Literacy Lead"),
    ("This work will be led by the headteacher.", "headteacher"),
    ("Young Devon Wellbeing Practitioner STAR Support | Head, Deputy and SENDCo | Pastoral Teaching Assistant",
     "Head/Deputy/SENDCo"),  # posts of one cell joined as the minutes' owners are
    ("Improvements to aid those with a visual | Text enlargement | SBM Repairs and Maintenance", "SBM"),
    ("Staff and Headteacher wellbeing and resilience", None),
    ("the Trust will continue to provide vouchers", None),
])
def test_owners(text, owner):
    assert find_owner(text) == owner


def test_owner_from_a_docx_table_column(tmp_path):
    doc = load_document(report_docx(tmp_path / "plan.docx"),
                        DocumentMeta(doc_id="t/plan.docx", title="Plan", source_path=str(tmp_path / "plan.docx")))
    rows = {c["text"]: c for c in extract_tracker_rows(doc)}
    reading = next(c for t, c in rows.items() if "Reading at 80%" in t)
    assert (reading["owner"], reading["kind"], reading["date"]) == ("Head of English", "target", "2025-07")


@pytest.mark.parametrize("text, frame", [
    ("Go-Live Launch September 2024", (2024, 2024, "2024-09")),
    ("Further expansion of LBTS6 via the offering of T LEVELS from 2023-4", (2023, None, None)),
    ("All children to access written material by Summer 2020", (None, 2020, None)),
    ("which, in 2024, resulted in the Careers Gold Award", (None, None, None)),
])
def test_time_frames(text, frame):
    f = parse_frame(text)
    assert (f.time_from, f.time_to, f.date) == frame


def test_markers():
    assert has_marker("Our strategy aims to enable each school to develop.")
    assert not has_marker("We know that schools which sit still will naturally eventually slip backwards.")
    assert not has_marker("EEF: ‘Schools will have to deploy their own assessment approaches.’")


def test_stored_rows_match_a_fresh_extraction(kb):
    node = kb.docs.get(PHASE2)
    assert node.metadata["tracker_version"] and "review" in node.metadata
    fresh = extract_tracker_rows(node.document())
    assert [c["text"] for c in fresh] == [c.text for c in sorted(list_commitments(kb, STAFF, doc_id=PHASE2),
                                                                 key=lambda c: c.start)]


# -- minutes --------------------------------------------------------------------------------------

def test_minutes_actions_and_decisions_from_a_docx(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Full Governing Board minutes. DATE 14 March 2025")
    d.add_paragraph("The board discussed the School Improvement Plan (SIP). It was agreed that the SIP be adopted.")
    d.add_paragraph("Action: circulate the SIP to all staff (HP)")
    d.add_paragraph("Clerk to send the SIP to the local authority.")
    path = tmp_path / "fgb-minutes-14-march-2025.docx"
    d.save(str(path))
    rows = extract_minutes(load_document(path, DocumentMeta(doc_id="t/m.docx", title="FGB", source_path=str(path))))
    by_kind = {(c["kind"], c["owner"]) for c in rows}
    assert ("decision", None) in by_kind and ("action", "HP") in by_kind and ("action", "Clerk") in by_kind
    assert {c["meeting_date"] for c in rows} == {"2025-03-14"}
    assert any("SIP be adopted" in c["text"] for c in rows if c["kind"] == "decision")


def test_real_minutes_actions_have_owners_and_the_meeting_date():
    doc = load_document(MINUTES, DocumentMeta(doc_id="r/m.pdf", title="FGB", source_path=str(MINUTES)))
    rows = extract_minutes(doc)
    actions = {c["text"]: c for c in rows if c["kind"] == "action"}
    assert actions["Notify Babcock of the appointments and amend GIAS accordingly"]["owner"] == "Clerk"
    assert actions["Advise Babcock and GIAS of the resignation of Oliver Laity"]["owner"] == "Clerk"
    assert any(c["kind"] == "decision" and "appointed as Finance Lead" in c["text"] for c in rows)
    sip = next(c for c in rows if c["text"].startswith("The SIP will be reviewed by"))
    assert (sip["kind"], sip["owner"]) == ("action", "Heather and the new Headteacher")
    assert {c["meeting_date"] for c in rows} == {"2022-05-23"}
    for c in rows:
        assert doc.pages[c["page"] - 1].text[c["start"]:c["end"]] == c["text"]


# -- routing --------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, expected", [
    ("What have we committed to by 2027?", True),
    (GOVERNOR_Q, True),
    ("What are we aiming for by 2026?", True),
    ("What did we promise on reading?", True),
    ("What did Phase 2 promise on SEND?", True),
    ("What is due by 2026?", True),
    ("List our pledges", True),
    ("What are our targets for 2025?", True),
    ("What did the board agree about the SIP?", True),
    ("What actions are still open for the head?", True),
    ("What targets does the teacher set in an IEP?", False),
    ("What are the timelines for an EHCP assessment?", False),
    ("What are our values?", False),
    ("What does every lesson look like here?", False),
])
def test_commitment_questions_are_recognised(question, expected):
    assert is_commitment_question(question) is expected


def test_question_filters():
    f, owner = question_filters(GOVERNOR_Q)
    assert (f.due_by, f.kind, f.q, owner) == (2027, ["pledge", "target"], None, True)
    f, _ = question_filters("What did we promise on reading?", Filters(doc_id=[DUDLEY]))
    assert (f.q, f.doc_id) == ("reading", [DUDLEY])
    f, _ = question_filters("What actions are still open for the head?")
    assert (f.kind, f.owner) == (["action"], "head")


# -- the eval's halves ----------------------------------------------------------------------------

def test_eval_halves_come_from_splits_toml():
    from evals.commitments_eval import RULES_SEEN, half_of
    from evals.splits import splits

    assert half_of("realdocs/primary-strategy-2020-2021.pdf") == "test"
    assert half_of("demo/luton-2040-education-strategy.txt") == "tune"  # tune in splits.toml
    for doc in RULES_SEEN:  # read while the rules were written: tune whatever splits.toml says
        assert half_of(doc) == "tune"
    assert "realdocs/fgb-minutes-23-may-2022-final.pdf" in splits()["realdocs"]["test"]
