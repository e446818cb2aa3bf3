"""Minutes as evidence of decisions: "what did the board agree about the SIP?" and "what actions are
still open for the head?", answered from the tracker with known answers.

Real parts: two meetings' minutes drawn as PDFs with reportlab (tests/docgen.py) whose actions,
owners, decisions and later action log are known by construction, and the real governing-board
minutes from ../shared; the real loaders, embedder and Chroma in a temporary data directory; the
API over real uvicorn. The second meeting's action log closes one earlier action and carries
another forward; two are not mentioned again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from assistant.commitments import answer_from_tracker, question_filters
from assistant.models import Principal
from assistant.tracker import CommitmentFilters, list_commitments
from ingest.loaders import load_document
from ingest.minutes import extract_minutes
from ingest.minutes_roles import owner_posts, roster, status_of
from ingest.models import DocumentMeta
from ingest.settings import Settings
from tests.conftest import auth
from tests.docgen import report_pdf_bytes
from tests.servers import serve

PROJECT = Path(__file__).resolve().parents[1]
REAL_MINUTES = PROJECT.parent / "shared" / "realdocs" / "decoy-primary" / "fgb-minutes-23-may-2022-final.pdf"
GOVERNOR = Principal("governor", ("all", "staff", "governors"))
STAFF = Principal("staff", ("all", "staff"))
OAK, DECOY = "Oakfield Primary School", "Decoy Community Primary School"
SIP_Q = "What did the board agree about the SIP?"
OPEN_Q = "What actions are still open for the head?"

MARCH = [
    ("title", "Oakfield Primary School Full Governing Board minutes"),
    ("para", "DATE 14 March 2025"),
    ("para", "Present: Jane Carter (Chair), Helen Price (Headteacher), Tom Reed (Clerk), Amir Khan (Parent Governor)"),
    ("h1", "1. School Improvement Plan"),
    ("para", "Governors reviewed the draft School Improvement Plan for 2025/26. It was agreed that reading and "
             "attendance be the two priorities of the plan."),
    ("para", "Helen agreed to present the final plan at the next meeting."),
    ("h1", "2. Finance"),
    ("para", "The budget for 2025/26 was approved."),
    ("h1", "3. Actions"),
    ("table", [["Action", "By whom", "By when"],
               ["Circulate the revised SIP to all governors", "HT", "April 2025"],
               ["Publish the pay policy on the website", "Clerk", "asap"],
               ["Arrange safeguarding training for new governors", "Chair", "June 2025"],
               ["Report reading data for Year 2 to governors", "HP", "May 2025"]]),
]
MAY = [
    ("title", "Oakfield Primary School Full Governing Board minutes"),
    ("para", "DATE 12 May 2025"),
    ("para", "Present: Jane Carter (Chair), Helen Price (Headteacher), Tom Reed (Clerk)"),
    ("h1", "1. Matters arising and action log"),
    ("table", [["Action", "By whom", "Status"],
               ["Circulate the revised SIP to all governors", "Headteacher", "Completed"],
               ["Publish the pay policy on the website", "Clerk", "Carried forward"]]),
    ("h1", "2. School Improvement Plan"),
    ("para", "Helen presented the final School Improvement Plan. The plan was approved by the board."),
    ("h1", "3. Actions"),
    ("table", [["Action", "By whom", "By when"],
               ["Share the SIP with parents at the summer fair", "Headteacher", "July 2025"],
               ["Audit the phonics reading books", "Head of English", "July 2025"]]),
]
MANIFEST = f"""
[[documents]]
file = "fgb-minutes-14-march-2025.pdf"
title = "FGB minutes 14 March 2025"
organisation = "{OAK}"
type = "minutes"
audience = "governors"

[[documents]]
file = "fgb-minutes-12-may-2025.pdf"
title = "FGB minutes 12 May 2025"
organisation = "{OAK}"
type = "minutes"
audience = "governors"

[[documents]]
file = "fgb-minutes-23-may-2022-final.pdf"
title = "FGB minutes 23 May 2022"
organisation = "{DECOY}"
type = "minutes"
audience = "all"
"""


@pytest.fixture(scope="module")
def minutes_assistant(tmp_path_factory):
    from assistant.knowledge import KnowledgeBase
    from assistant.service import Assistant

    root = tmp_path_factory.mktemp("corpus") / "minutes"
    root.mkdir()
    (root / "fgb-minutes-14-march-2025.pdf").write_bytes(report_pdf_bytes(MARCH))
    (root / "fgb-minutes-12-may-2025.pdf").write_bytes(report_pdf_bytes(MAY))
    shutil.copy(REAL_MINUTES, root / REAL_MINUTES.name)
    (root / "sources.toml").write_text(MANIFEST, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=root, corpus_name="minutes",
                        api_keys={"staff-key": "staff", "gov-key": "governor"}, default_role="staff",
                        llm_base_url=None, llm_gguf_path=None, chroma_host=None)
    kb = KnowledgeBase(settings)
    report = kb.ingest(root, corpus="minutes")
    assert report.count("ingested") == 3, report.files
    return Assistant(settings, kb=kb)


def _rows(a, **fields):
    return list_commitments(a.kb, GOVERNOR, CommitmentFilters(**fields))


# -- ingest: roster, owners' posts, progress words ------------------------------------------------

def test_owners_resolve_to_posts_by_the_minutes_roster():
    people = roster("Present: Jane Carter (Chair), Helen Price (Headteacher), Tom Reed (Clerk)")
    assert people == {"jane carter": "Chair", "helen price": "Headteacher", "tom reed": "Clerk"}
    assert owner_posts("HP", people) == owner_posts("Helen", people) == owner_posts("HT", people) == "Headteacher"
    assert owner_posts("Head of English", people) is None and owner_posts("Amir", people) is None
    assert owner_posts("Jane Carter/ Tom Reed", people) == "Chair, Clerk"
    assert (status_of("Completed"), status_of("Carried forward"), status_of("not yet completed"),
            status_of("ongoing"), status_of("April 2025")) == ("done", "open", "open", "open", None)


def test_owner_spellings_are_counted_as_one():
    from assistant.commitments import _owners_line
    from assistant.tracker import Commitment

    def row(i: int, owner: str | None) -> Commitment:
        return Commitment(id=f"d#1:{i}", text="x", kind="pledge", owner=owner, doc_id="d", title="t", organisation="o",
                          audience="all", page=1, start=i, end=i + 1, section="")
    line = _owners_line([row(0, "SENDCo"), row(1, "SENDCO"), row(2, "SENDCo"), row(3, None)])
    assert line == "Who owns them: 3 name an owner — SENDCo (3); for the other 1 the owner is not stated in the document."


def test_generated_minutes_rows(tmp_path):
    path = tmp_path / "fgb-minutes-12-may-2025.pdf"
    path.write_bytes(report_pdf_bytes(MAY))
    doc = load_document(path, DocumentMeta(doc_id="t/may.pdf", title="May", source_path=str(path), doc_type="minutes"))
    rows = {r["text"]: r for r in extract_minutes(doc)}
    log = rows["Circulate the revised SIP to all governors | Headteacher | Completed"]  # quoted with its status
    assert (log["kind"], log["owner"], log["status"], log["log"]) == ("action", "Headteacher", "done", True)
    assert (rows["Publish the pay policy on the website | Clerk | Carried forward"]["status"]) == "open"
    share = rows["Share the SIP with parents at the summer fair"]
    assert (share["status"], share["log"], share["date"], share["owner_role"]) == (None, False, "2025-07", "Headteacher")
    assert rows["Audit the phonics reading books"]["owner_role"] is None
    assert rows["The plan was approved by the board."]["kind"] == "decision"
    for r in rows.values():
        assert doc.pages[r["page"] - 1].text[r["start"]:r["end"]] == r["text"] and r["meeting_date"] == "2025-05-12"


def test_real_minutes_owners_by_post_and_context():
    doc = load_document(REAL_MINUTES, DocumentMeta(doc_id="r/m.pdf", title="FGB", source_path=str(REAL_MINUTES)))
    rows = {r["text"]: r for r in extract_minutes(doc)}
    assert rows["Heather agreed to discuss this with Simon and Paul. ."]["owner_role"] == "Headteacher"
    assert "School Improvement Plan" in rows["Heather agreed to discuss this with Simon and Paul. ."]["context"]
    assert rows["Minutes to website"]["owner_role"] == "Clerk"
    wrapped = rows["Agree the increase in pay for the caretaker when detailed information is available."]
    assert (wrapped["owner"], wrapped["due_text"]) == ("Heather Poustie/Simon Barnes/Andrew McKenzie", "asap")
    assert all(r["status"] is None and not r["log"] for r in rows.values())  # no action log in these minutes


# -- the tracker: status across meetings -----------------------------------------------------------

def test_a_later_action_log_closes_or_carries_the_earlier_action(minutes_assistant):
    oak = {c.text: c for c in _rows(minutes_assistant, organisation=[OAK], kind=["action"])}
    sip = oak["Circulate the revised SIP to all governors"]
    assert (sip.meeting_date, sip.status, sip.status_meeting, sip.status_text) == (
        "2025-03-14", "done", "2025-05-12", "Circulate the revised SIP to all governors | Headteacher | Completed")
    assert sip.status_evidence is not None and sip.status_evidence.doc_id.endswith("12-may-2025.pdf")
    assert oak["Publish the pay policy on the website"].status == "open"
    assert oak["Arrange safeguarding training for new governors"].status == "unknown"  # May is silent on it
    assert oak["Share the SIP with parents at the summer fair"].status == "open"  # set at the latest meeting
    # the log entries are folded into the actions they report on: each action is listed once
    assert not any(" | " in t for t in oak) and len(oak) == 7


def test_open_actions_for_the_head(minutes_assistant):
    f, _ = question_filters(OPEN_Q)
    assert (f.kind, f.status, f.owner) == (["action"], ["open"], "head")
    rows = list_commitments(minutes_assistant.kb, GOVERNOR, f)
    oak = {c.text for c in rows if c.organisation == OAK}
    assert oak == {"Share the SIP with parents at the summer fair"}  # not Head of English's, not the closed one
    decoy = {c.text for c in rows if c.organisation == DECOY}
    assert "Heather agreed to discuss this with Simon and Paul. ." in decoy  # Heather is the headteacher (roster)
    assert any(t.startswith("The SIP will be reviewed by Heather") for t in decoy)
    assert not any("Clerk" == c.owner for c in rows)
    answer = minutes_assistant.ask(OPEN_Q, GOVERNOR)
    assert answer.answer.startswith(f"The minutes you can read record {len(rows)} open actions for the head")
    assert "status: open (no later minutes record it as done)" in answer.answer
    assert "Not counted above: 1 action done, 2 actions unknown" in answer.answer
    assert {c.quote for c in answer.citations} == {c.text for c in rows}


def test_what_did_the_board_agree_about_the_sip(minutes_assistant):
    answer = minutes_assistant.ask(SIP_Q, GOVERNOR)
    f, _ = question_filters(SIP_Q)
    assert (f.kind, f.q) == (["decision", "action"], "SIP")
    rows = list_commitments(minutes_assistant.kb, GOVERNOR, f)
    decisions = {(c.text, c.meeting_date) for c in rows if c.kind == "decision" and c.organisation == OAK}
    assert decisions == {("It was agreed that reading and attendance be the two priorities of the plan.", "2025-03-14"),
                         ("The plan was approved by the board.", "2025-05-12")}  # found by "School Improvement Plan"
    assert not any("budget" in c.text for c in rows)
    assert answer.answer.startswith(f"The minutes you can read record {len(rows)} decisions and actions about “SIP”")
    n_dec = sum(c.kind == "decision" for c in rows)
    assert f"({n_dec} decision{'s' if n_dec != 1 else ''}, " in answer.answer
    for text, met in decisions:  # each decision is cited to its page with its meeting date
        assert f"- {text} (meeting {met}) · owner: not stated [" in answer.answer
        cite = next(c for c in answer.citations if c.quote == text)
        page = minutes_assistant.kb.page(cite.doc_id, cite.page, GOVERNOR).text
        assert page[cite.start:cite.end] == text
    closed = next(line for line in answer.answer.splitlines() if line.startswith("- Circulate the revised SIP"))
    assert "status: done — recorded at the meeting of 2025-05-12: “Circulate the revised SIP to all governors | " \
        "Headteacher | Completed”" in closed
    assert closed.count("[") == 2  # the action and the later log entry both cited


def test_minutes_audience_and_request_filters(minutes_assistant):
    staff = answer_from_tracker(SIP_Q, minutes_assistant.kb, STAFF)
    assert staff is not None and {c.organisation for c in staff.citations} == {DECOY}
    assert all(c.organisation == DECOY for c in list_commitments(minutes_assistant.kb, STAFF, kind=["action"]))
    from assistant.models import Filters

    only = minutes_assistant.ask(OPEN_Q, GOVERNOR, filters=Filters(organisation=[OAK]))
    assert {c.organisation for c in only.citations} == {OAK}


def test_api_status_and_owner_filters(minutes_assistant):
    from assistant.api import create_app

    with serve(create_app(minutes_assistant.settings, minutes_assistant)) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            params = {"kind": "action", "status": "open", "owner": "head"}
            rows = client.get("/api/commitments", params=params, headers=auth("gov-key")).json()
            chat = client.post("/api/ask", json={"question": OPEN_Q}, headers=auth("gov-key")).json()
            csv_text = client.get("/api/commitments.csv", params=params, headers=auth("gov-key")).text
            bad = client.get("/api/commitments", params={"status": "maybe"}, headers=auth("gov-key"))
    assert rows and all(r["status"] == "open" for r in rows)
    assert chat["answer"].startswith(f"The minutes you can read record {len(rows)} open actions")
    assert csv_text.count("\n") == len(rows) + 1 and "status" in csv_text.splitlines()[0]
    assert bad.status_code == 400


def test_commitments_tab_shows_the_actions_status(minutes_assistant):
    """The tab's Status column: open / done / unknown for minutes' actions, blank for decisions."""
    import gradio as gr

    from ui.commitments_tab import ANY, HEADERS, build_commitments_tab

    with gr.Blocks():
        h = build_commitments_tab(minutes_assistant, minutes_assistant.settings, gr.Textbox())
    col, text = HEADERS.index("Status"), HEADERS.index("Commitment")
    table, *_ = h.table("gov-key", OAK, ANY, ANY, "", "", ["action", "decision"])
    status = {row[text]: row[col] for row in table}
    assert status["Publish the pay policy on the website"] == "open"
    assert status["Arrange safeguarding training for new governors"] == "unknown"  # May's minutes are silent
    assert "done" in {status[t] for t in status if t.startswith("Circulate the revised SIP")}
    kinds = {row[text]: row[HEADERS.index("Kind")] for row in table}
    assert all(status[t] == "" for t, k in kinds.items() if k == "decision") and "decision" in kinds.values()
