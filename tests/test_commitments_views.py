"""Commitments tracker, one truth: chat, the Commitments tab, the API and CSV give the same rows for
the same filters and role; with an LLM it may phrase the lead, but the rows and counts stay the tracker's.

Real parts as in tests/test_commitments.py (extraction, kinds, owners, minutes, routing): the
session corpus of tests/conftest.py in a real Chroma, the API on a real uvicorn server. Only
the LLM is faked (tests/fake_llm.py).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from assistant.commitments import MAX_SHOWN, answer_from_tracker, question_filters
from assistant.models import Filters
from assistant.tracker import CommitmentFilters, list_commitments, to_csv
from tests.conftest import PRIVATE_DOC_ID, auth
from tests.test_commitments import DUDLEY, GOVERNOR, GOVERNOR_Q, LUTON, PHASE2, STAFF, _count


@pytest.fixture(scope="module")
def kb(assistant):
    return assistant.kb


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


@pytest.mark.parametrize("name", ["commitments", "reviews"])
def test_the_csv_routes_are_downloads(api, name):
    r = api.get(f"/api/{name}.csv", headers=auth("staff-key"))
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    described = api.get("/openapi.json").json()["paths"][f"/api/{name}.csv"]["get"]["responses"]["200"]
    assert "text/csv" in described["content"]


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
