"""Commitments tracker: extraction on the real demo corpus, access, deletion, API, chat answers, UI.

Real parts throughout: the demo corpus (plus a governors-only plan written here) is
ingested with the real embedder into a real Chroma in a temporary data directory.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.auth import load_keys
from assistant.api.routes.commitments import router
from assistant.commitments import answer_from_tracker, is_commitment_question, list_commitments, to_csv
from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.service import Assistant
from ingest.commitments import extract_commitments, find_owner, has_marker, parse_frame
from ingest.nodes import from_llama_document
from ingest.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
LUTON = "demo/luton-2040-education-strategy.txt"
PHASE2 = "demo/phase-2-growth-plan.txt"
DUDLEY = "demo/dudley-trust-values-vision-mission.txt"
SECRET = "demo/finance-recovery-plan.md"
SECRET_SENTENCE = "The trust will close the remaining budget deficit by 2026, reporting to governors each term."
KEYS = {"staff-key": "staff", "gov-key": "governor", "admin-key": "admin"}
STAFF = Principal("staff", ("all", "staff"))
GOVERNOR = Principal("governor", ("all", "staff", "governors"))


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("corpus") / "demo"
    shutil.copytree(DEMO, root)
    (root / "finance-recovery-plan.md").write_text(
        f"# Finance Recovery Plan\n\n## Our commitments\n\n{SECRET_SENTENCE}\n", encoding="utf-8")
    with (root / "sources.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nfile = "finance-recovery-plan.md"\ntitle = "Finance Recovery Plan"\n'
                'organisation = "A Dudley multi-academy trust"\ntype = "board paper"\naudience = "governors"\n')
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=root, corpus_name="demo",
                        api_keys=dict(KEYS), default_role="staff", llm_base_url=None, llm_gguf_path=None,
                        chroma_host=None)
    kb = KnowledgeBase(settings)
    report = kb.ingest(root, corpus="demo")
    assert report.count("ingested") == 6, report.files
    return kb


def _find(rows, text):
    hits = [c for c in rows if c.text == text]
    assert hits, f"no commitment {text!r}"
    return hits[0]


# -- extraction on the demo corpus -------------------------------------------------------------

def test_every_commitment_is_the_verbatim_page_span(kb):
    rows = list_commitments(kb, GOVERNOR)
    assert len(rows) > 100
    for c in rows:
        assert kb.page(c.doc_id, c.page, GOVERNOR).text[c.start:c.end] == c.text


def test_luton_go_live_is_a_dated_milestone(kb):
    c = _find(list_commitments(kb, STAFF, doc_id=LUTON), "Go-Live Launch September 2024")
    assert (c.date, c.time_from, c.time_to) == ("2024-09", 2024, 2024)
    signed = _find(list_commitments(kb, STAFF, doc_id=LUTON), "Executive and Partner sign off May- June 2024")
    assert (signed.date, signed.owner) == ("2024-05", "Executive and Partner")


def test_luton_run_on_outcomes_are_split_into_items_due_by_2027(kb):
    rows = list_commitments(kb, STAFF, doc_id=LUTON)
    zero = _find(rows, "Zero exclusion of SEND due to reduced unmet need")
    assert (zero.time_from, zero.time_to) == (None, 2027)
    assert zero.section.endswith("SEND & Diversity of Provision › What do we wish to achieve by 2027?")
    assert _find(rows, "Review and Reset for 2027-2030").time_from == 2027  # its own range beats the heading's
    assert not [c for c in rows if c.text in ("Community Heart", "Skills and Employability")]  # theme labels


def test_phase_2_items_inherit_the_heading_period(kb):
    rows = list_commitments(kb, STAFF, doc_id=PHASE2)
    assert len(rows) == 13  # the plan's exact repeats are listed once
    assert all((c.time_from, c.time_to) == (2023, 2028) for c in rows)
    grow = _find(rows, "to grow the Trust to include SEMH and other specialist provisions within the local area")
    assert grow.section.endswith("(2023 - 2028)")
    lead = _find(rows, "Lead of School Improvement to coordinate the sharing of good practice and commission "
                       "support across all key stages and provisions.")
    assert lead.owner == "Lead of School Improvement"


def test_dudley_vision_statements_are_due_by_2027(kb):
    rows = list_commitments(kb, STAFF, doc_id=DUDLEY)
    for text in ("By 2027 the Trust’s excellent reputation will reach beyond Dudley and the West Midlands.",
                 "Teachers will skilfully blend the latest available learning technologies into their teaching "
                 "methods to deliver learning that truly inspires."):
        c = _find(rows, text)
        assert (c.time_from, c.time_to, c.date) == (None, 2027, None)
    mission = _find(rows, "Working together we will develop inspirational schools which instil ambition and desire "
                          "in young learners, open their minds, widen their horizons and equip them to succeed in a "
                          "challenging world.")
    assert mission.time_to is None  # the mission is not under the "By 2027" vision
    assert not [c for c in rows if c.text.startswith("The Trust has pioneered")]  # a past fact, not a promise


def test_extraction_from_a_docstore_document_matches_the_tracker(kb):
    node = kb.ingestor.docstore.get_document(PHASE2)
    extracted = extract_commitments(from_llama_document(node))
    assert [c["text"] for c in extracted] == [c.text for c in
                                              sorted(list_commitments(kb, STAFF, doc_id=PHASE2), key=lambda c: c.start)]


@pytest.mark.parametrize("text, frame", [
    ("Go-Live Launch September 2024", (2024, 2024, "2024-09")),
    ("Stakeholder Engagement February March 2024", (2024, 2024, "2024-02")),
    ("Further expansion of LBTS6 via the offering of T LEVELS from 2023-4", (2023, None, None)),
    ("Priorities for 2024-25", (2024, 2025, None)),
    ("All children to access written material by Summer 2020", (None, 2020, None)),
    ("which, in 2024, resulted in the Careers Gold Award", (None, None, None)),
])
def test_time_frames(text, frame):
    f = parse_frame(text)
    assert (f.time_from, f.time_to, f.date) == frame


def test_markers_and_owners():
    assert has_marker("Our strategy aims to enable each school to develop.")
    assert not has_marker("We recognise that every school has its strengths but each one will be at a different stage.")
    assert not has_marker("We know that schools which sit still will naturally eventually slip backwards.")
    assert find_owner("Creating greater RIGOUR in the RSE/HE curriculum, via the work of the new PSHE Lead") == "PSHE Lead"
    assert find_owner("Council Sign Off July 2024") == "Council"
    assert find_owner("Staff and Headteacher wellbeing and resilience") is None
    assert find_owner("the Trust will continue to provide vouchers") is None
    assert find_owner("The SENCO will review provision termly.") == "SENCO"
    assert find_owner("Subject Leaders will audit their curriculum by Spring 2025") == "Subject Leaders"
    assert find_owner("The finance committee will review Project Kestrel every half term") == "finance committee"


# -- access, filters, CSV --------------------------------------------------------------------

def test_staff_never_see_governor_only_commitments(kb):
    assert not [c for c in list_commitments(kb, STAFF) if c.doc_id == SECRET]
    assert not list_commitments(kb, STAFF, q="budget deficit")
    secret = _find(list_commitments(kb, GOVERNOR, doc_id=SECRET), SECRET_SENTENCE)
    assert (secret.time_to, secret.audience) == (2026, "governors")
    assert answer_from_tracker("What is due by 2026?", kb, STAFF).answer.count("budget deficit") == 0
    assert "budget deficit" in answer_from_tracker("What is due by 2026?", kb, GOVERNOR).answer


def test_filters(kb):
    in_2024 = list_commitments(kb, STAFF, year=2024)
    assert "Go-Live Launch September 2024" in {c.text for c in in_2024}
    assert all(c.span[0] <= 2024 <= c.span[1] for c in in_2024)
    assert {c.organisation for c in list_commitments(kb, STAFF, organisation="Luton Borough Council")} == \
        {"Luton Borough Council"}
    assert [c.owner for c in list_commitments(kb, STAFF, owner="pshe")] == ["PSHE Lead"]
    window = list_commitments(kb, STAFF, year_from=2028, year_to=2030)
    assert window and all(c.span[1] >= 2028 and c.span[0] <= 2030 for c in window)
    assert {c.time_to for c in list_commitments(kb, STAFF, doc_id=PHASE2, year_from=2028)} == {2028}


def test_csv_has_a_row_per_commitment(kb):
    rows = list_commitments(kb, STAFF, doc_id=LUTON)
    table = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert len(table) == len(rows)
    go_live = next(r for r in table if r["text"] == "Go-Live Launch September 2024")
    assert (go_live["date"], go_live["organisation"]) == ("2024-09", "Luton Borough Council")


# -- chat answers from the tracker -----------------------------------------------------------

@pytest.mark.parametrize("question, expected", [
    ("What have we committed to by 2027?", True),
    ("What did Phase 2 promise on SEND?", True),
    ("What is due by 2026?", True),
    ("List our pledges", True),
    ("What are our values?", False),
    ("What does every lesson look like here?", False),
])
def test_commitment_questions_are_recognised(question, expected):
    assert is_commitment_question(question) is expected


def test_answer_by_2027_cites_each_commitment_verbatim(kb):
    answer = answer_from_tracker("What have we committed to by 2027?", kb, STAFF)
    assert answer is not None and not answer.refused
    assert {c.doc_id for c in answer.citations} == {LUTON, DUDLEY}  # both documents get a share
    for c in answer.citations:
        assert kb.page(c.doc_id, c.page, STAFF).text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.answer and c.chunk_id
    due = {c.text: c.due for c in list_commitments(kb, STAFF)}
    assert all(due[c.quote] <= 2027 for c in answer.citations)
    assert "Go-Live Launch September 2024" in answer.answer


def test_answer_on_a_topic_keeps_the_topic(kb):
    answer = answer_from_tracker("What did Phase 2 promise on SEND, and who leads it?", kb, STAFF)
    assert answer is not None and {c.doc_id for c in answer.citations} == {PHASE2}
    assert "Lead of School Improvement" in answer.answer
    assert answer_from_tracker("What have we promised about dragons?", kb, STAFF) is None


# -- API ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(kb) -> TestClient:
    app = FastAPI()
    app.state.settings = kb.settings
    app.state.api_keys = load_keys(kb.settings)
    app.state.assistant = Assistant(kb.settings, kb=kb)
    app.include_router(router)
    return TestClient(app)


def test_api_lists_and_filters_by_role(client):
    staff = client.get("/api/commitments", headers={"Authorization": "Bearer staff-key"})
    assert staff.status_code == 200
    assert SECRET not in {c["doc_id"] for c in staff.json()}
    gov = client.get("/api/commitments", params={"year": 2026, "doc_id": SECRET},
                     headers={"Authorization": "Bearer gov-key"}).json()
    assert [c["text"] for c in gov] == [SECRET_SENTENCE]
    dated = client.get("/api/commitments", params={"q": "go-live"}).json()  # no key: the default role (staff)
    assert [(c["text"], c["date"]) for c in dated] == [("Go-Live Launch September 2024", "2024-09")]
    assert client.get("/api/commitments", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_api_csv_download(client):
    r = client.get("/api/commitments.csv", params={"organisation": "Luton Borough Council"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["organisation"] for row in rows} == {"Luton Borough Council"}


# -- UI tab handlers --------------------------------------------------------------------------

def test_commitments_tab_table_chart_and_viewer(kb):
    import gradio as gr

    from ui.commitments_tab import ANY, build_commitments_tab

    assistant = Assistant(kb.settings, kb=kb)
    with gr.Blocks():
        key = gr.Textbox()
        h = build_commitments_tab(assistant, kb.settings, key)
    orgs, years, themes = h.choices("staff-key")
    assert "Luton Borough Council" in orgs["choices"] and {"2024", "2027"} <= set(years["choices"])
    table, ids, fig, status, csv_path = h.table("staff-key", ANY, "2024", ANY, "", "go-live")
    assert [row[1] for row in table] == ["Go-Live Launch September 2024"] and table[0][0] == "2024-09"
    assert fig.axes and "1 of" in status and Path(csv_path).read_text().count("Go-Live") == 1
    html = h.view_row(ids, "staff-key", 0)
    assert '<mark id="ethos-mark">Go-Live Launch September 2024</mark>' in html
    secret_rows, *_ = h.table("staff-key", ANY, ANY, ANY, "", "budget deficit")
    assert secret_rows == []
    gov_rows, gov_ids, *_ = h.table("gov-key", ANY, ANY, ANY, "", "budget deficit")
    assert [r[1] for r in gov_rows] == [SECRET_SENTENCE]
    assert "no longer available to you" in h.view_row(gov_ids, "staff-key", 0)  # a staff key cannot open it by id


# -- deletion (last: it changes the module's index) ------------------------------------------

def test_deleted_documents_take_their_commitments_with_them(kb):
    assert list_commitments(kb, STAFF, doc_id=PHASE2)
    assert kb.delete(PHASE2)
    assert not list_commitments(kb, STAFF, doc_id=PHASE2)
    assert not [c for c in list_commitments(kb, GOVERNOR) if c.doc_id == PHASE2]
    answer = answer_from_tracker("What did Phase 2 promise?", kb, STAFF)
    assert answer is None or PHASE2 not in {c.doc_id for c in answer.citations}
    kb.ingest(kb.settings.corpus_dir, corpus="demo")  # the file is still there: re-indexing brings them back
    assert len(list_commitments(kb, STAFF, doc_id=PHASE2)) == 13
