"""Commitments tracker: extraction, kinds and owners, one filter model across chat / tab / API / CSV, roles.

Real parts throughout: the session corpus of tests/conftest.py (corpora/demo plus a
governors-only budget recovery plan) ingested with the real embedder into a real Chroma,
the API on a real uvicorn server, DOCX written with python-docx, and the real
governing-board minutes from ../shared (always present). Only the LLM is faked (tests/fake_llm.py).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from assistant.commitments import MAX_SHOWN, answer_from_tracker, is_commitment_question, question_filters
from assistant.models import Filters, Principal
from assistant.tracker import CommitmentFilters, list_commitments, to_csv
from ingest.commitment_cues import find_owner, has_marker, kind_of
from ingest.loaders import load_document
from ingest.minutes import extract_minutes
from ingest.models import DocumentMeta
from ingest.timeframes import parse_frame
from ingest.tracker import extract_tracker_rows
from tests.conftest import PRIVATE_DOC_ID, auth
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


# -- one truth: chat, tab, API, CSV -----------------------------------------------------------------

@pytest.mark.parametrize("question", [GOVERNOR_Q, "What are we aiming for by 2027?", "What have we committed to by 2027?"])
def test_chat_gives_the_tabs_count_for_the_same_filters(assistant, question):
    from ui.commitments_tab import ANY, build_commitments_tab
    import gradio as gr

    answer = assistant.ask(question, STAFF)
    f, _ = question_filters(question)
    rows = list_commitments(assistant.kb, STAFF, f)
    assert _count(answer.answer) == len(rows) and f"shows the same {len(rows)}" in answer.answer
    assert "Due by 2027" in answer.answer and "Kind: pledge, target" in answer.answer
    with gr.Blocks():
        h = build_commitments_tab(assistant, assistant.settings, gr.Textbox())
    _, _, _, status, _ = h.table("staff-key", ANY, ANY, ANY, "", "", ["pledge", "target"], "2027")
    assert status.startswith(f"{len(rows)} of ")
    assert len(answer.citations) <= MAX_SHOWN and f"{len(rows) - MAX_SHOWN} more — open the Commitments tab" in answer.answer
    assert not any(c.quote.startswith("Initial Scoping") for c in answer.citations)  # milestones counted apart
    assert "timeline milestone" in answer.answer


def test_chat_answers_the_owner_part_explicitly(assistant):
    answer = assistant.ask(GOVERNOR_Q, STAFF)
    rows = list_commitments(assistant.kb, STAFF, question_filters(GOVERNOR_Q)[0])
    unstated = sum(1 for c in rows if not c.owner)
    assert "Who owns them:" in answer.answer
    assert f"for the other {unstated} the owner is not stated in the document" in answer.answer or \
        f"not stated in the document for any of the {len(rows)}" in answer.answer
    assert "· owner: not stated [" in answer.answer
    groups = [line for line in answer.answer.splitlines() if line.endswith("):") and " — " in line]
    assert len(groups) == len({c.doc_id for c in answer.citations})  # grouped by organisation and document


def test_chat_honours_the_request_filters(assistant):
    answer = assistant.ask("What have we committed to by 2027?", STAFF, filters=Filters(doc_id=[DUDLEY]))
    assert {c.doc_id for c in answer.citations} == {DUDLEY}
    assert _count(answer.answer) == len(list_commitments(assistant.kb, STAFF, CommitmentFilters(
        doc_id=[DUDLEY], due_by=2027, kind=["pledge", "target"])))


def test_api_ask_honours_filters_and_role(api):
    body = {"question": GOVERNOR_Q, "filters": {"doc_id": [DUDLEY]}}
    answer = api.post("/api/ask", json=body, headers=auth("staff-key")).json()
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} == {DUDLEY}
    rows = api.get("/api/commitments", params={"doc_id": DUDLEY, "due_by": 2027, "kind": ["pledge", "target"]},
                   headers=auth("staff-key")).json()
    assert _count(answer["answer"]) == len(rows)
    staff = api.post("/api/ask", json={"question": "What is due by 2027?"}, headers=auth("staff-key")).json()
    gov = api.post("/api/ask", json={"question": "What is due by 2027?"}, headers=auth("gov-key")).json()
    assert PRIVATE_DOC_ID not in {c["doc_id"] for c in staff["citations"]}
    assert _count(gov["answer"]) > _count(staff["answer"])


def test_chat_topic_is_the_tabs_search(assistant):
    answer = assistant.ask("What did we promise on reading?", STAFF)
    rows = list_commitments(assistant.kb, STAFF, CommitmentFilters(q="reading", kind=["pledge", "target"]))
    assert rows and _count(answer.answer) == len(rows) and "Search: reading" in answer.answer
    assert answer_from_tracker("What have we promised about dragons?", assistant.kb, STAFF) is None


def test_a_governor_only_plan_never_reaches_staff(assistant, kb, api):
    gov = assistant.ask("What is due by 2027?", GOVERNOR)
    staff = assistant.ask("What is due by 2027?", STAFF)
    assert PRIVATE_DOC_ID in {c.doc_id for c in gov.citations}
    assert PRIVATE_DOC_ID not in {c.doc_id for c in staff.citations} and "Kestrel" not in staff.answer
    assert not list_commitments(kb, STAFF, q="budget deficit")
    assert list_commitments(kb, GOVERNOR, q="budget deficit")
    for key in ("staff-key", None):
        rows = api.get("/api/commitments", headers=auth(key) if key else {}).json()
        assert rows and PRIVATE_DOC_ID not in {r["doc_id"] for r in rows}
    gov_rows = api.get("/api/commitments", params={"doc_id": PRIVATE_DOC_ID}, headers=auth("gov-key")).json()
    assert gov_rows and {r["audience"] for r in gov_rows} == {"governors"}


def test_the_csv_equals_the_api_rows(api):
    params = {"due_by": 2027, "kind": ["pledge", "target"], "organisation": "Luton Borough Council"}
    rows = api.get("/api/commitments", params=params, headers=auth("staff-key")).json()
    r = api.get("/api/commitments.csv", params=params, headers=auth("staff-key"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and [t["id"] for t in table] == [row["id"] for row in rows]
    assert [t["owner_label"] for t in table] == [row["owner_label"] for row in rows]
    assert all(row["due"] <= 2027 and row["kind"] in ("pledge", "target") for row in rows)


def test_api_rejects_an_unknown_filter_and_a_bad_kind(api):
    assert api.get("/api/commitments", params={"colour": "red"}).status_code == 400
    assert api.get("/api/commitments", params={"kind": "wish"}).status_code == 400
    assert api.get("/api/commitments", headers=auth("wrong")).status_code == 401


def test_api_owner_not_stated_filter(api):
    rows = api.get("/api/commitments", params={"owner": "not stated", "doc_id": PHASE2}).json()
    assert rows and all(r["owner"] is None and r["owner_label"] == "not stated" for r in rows)


def test_csv_helper_matches_rows(kb):
    rows = list_commitments(kb, STAFF, doc_id=LUTON)
    assert len(list(csv.DictReader(io.StringIO(to_csv(rows))))) == len(rows)


# -- with an LLM: it may phrase the lead, the rows and counts stay the tracker's ---------------------

def test_with_an_llm_the_rows_and_counts_come_from_the_tracker(assistant):
    from assistant.service import Assistant
    from tests.fake_llm import FakeLLM

    with FakeLLM(default="Most of these are targets for 2027 set by the local authority.") as fake:
        settings = assistant.settings.model_copy(update={"llm_base_url": fake.url, "llm_model": "fake-model"})
        with_llm = Assistant(settings, kb=assistant.kb)
        answer = with_llm.ask(GOVERNOR_Q, STAFF)
        assert fake.prompts and GOVERNOR_Q in str(fake.prompts[-1])
    plain = assistant.ask(GOVERNOR_Q, STAFF)
    assert answer.mode == "generative" and answer.answer.startswith("Most of these are targets")
    assert answer.answer.endswith(plain.answer) and [c.quote for c in answer.citations] == [c.quote for c in plain.citations]


def test_an_llm_lead_with_a_wrong_count_is_dropped(assistant):
    """The LLM's lead is a generative sentence: its counts must be the tracker's, else the tracker's lead stands."""
    from assistant.service import Assistant
    from tests.fake_llm import FakeLLM

    plain = assistant.ask(GOVERNOR_Q, STAFF)
    total = _count(plain.answer)
    wrong = f"The trust has made {total + 7} commitments due by 2027, most with no named owner."
    right = f"The trust has made {total} commitments due by 2027, most with no named owner."
    with FakeLLM() as fake:
        settings = assistant.settings.model_copy(update={"llm_base_url": fake.url, "llm_model": "fake-model"})
        with_llm = Assistant(settings, kb=assistant.kb)
        fake.script(wrong, "Thirty-one of them name an owner.", right)
        dropped = with_llm.ask(GOVERNOR_Q, STAFF)
        words = with_llm.ask(GOVERNOR_Q, STAFF)
        kept = with_llm.ask(GOVERNOR_Q, STAFF)
        assert len(fake.prompts) == 3
    named = sum(1 for c in list_commitments(assistant.kb, STAFF, question_filters(GOVERNOR_Q)[0]) if c.owner)
    assert named != 31
    assert dropped.answer == plain.answer and str(total + 7) not in dropped.answer.split("\n")[0]
    assert words.answer == plain.answer
    assert kept.answer == right + "\n\n" + plain.answer and kept.mode == "generative"


@pytest.mark.parametrize("sentence, ok", [
    ("Most of these are targets for 2027.", True),
    ("There are 12 commitments.", True),
    ("There are 13 commitments.", False),
    ("Twelve of them are pledges.", True),
    ("Eleven of them are pledges.", False),
    ("Reading must reach 80% by 2025.", True),
    ("Reading must reach 90% by 2025.", False),
    ("The documents do not say who owns them.", False),
    ("There are 12 commitments [1].", False),
])
def test_lead_figures_check(sentence, ok):
    from assistant.tracker_summary import checked_summary

    listing = "The documents you can read record 12 pledges due by 2027, in 3 documents.\n- Reading at 80% by 2025 [1]"
    assert (checked_summary(sentence, {12, 3}, listing) is not None) is ok


def test_eval_halves_come_from_splits_toml():
    from evals.commitments_eval import RULES_SEEN, half_of
    from evals.splits import splits

    assert half_of("realdocs/primary-strategy-2020-2021.pdf") == "test"
    assert half_of("demo/luton-2040-education-strategy.txt") == "tune"  # tune in splits.toml
    for doc in RULES_SEEN:  # read while the rules were written: tune whatever splits.toml says
        assert half_of(doc) == "tune"
    assert "realdocs/fgb-minutes-23-may-2022-final.pdf" in splits()["realdocs"]["test"]


# -- UI tab ---------------------------------------------------------------------------------------

def test_commitments_tab_table_chart_viewer_and_roles(assistant):
    import gradio as gr

    from ui.commitments_tab import ANY, build_commitments_tab

    with gr.Blocks():
        h = build_commitments_tab(assistant, assistant.settings, gr.Textbox())
    orgs, years, themes, dues = h.choices("staff-key")
    assert "Luton Borough Council" in orgs["choices"] and {"2024", "2027"} <= set(years["choices"])
    assert "2027" in dues["choices"]
    table, ids, fig, status, csv_path = h.table("staff-key", ANY, "2024", ANY, "", "go-live")
    assert [row[2] for row in table] == ["Go-Live Launch September 2024"] and table[0][:2] == ["2024-09", "milestone"]
    assert fig.axes and "1 of" in status and Path(csv_path).read_text().count("Go-Live") == 1
    assert '<mark id="ethos-mark">Go-Live Launch September 2024</mark>' in h.view_row(ids, "staff-key", 0)
    assert h.table("staff-key", ANY, ANY, ANY, "", "budget deficit")[0] == []
    gov_rows, gov_ids, *_ = h.table("gov-key", ANY, ANY, ANY, "", "budget deficit")
    assert gov_rows
    assert "no longer available to you" in h.view_row(gov_ids, "staff-key", 0)
