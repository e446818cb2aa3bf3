"""The HTTP API against a real uvicorn server, real embedder and real index (see conftest)."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import auth

STAFF, ADMIN = auth("staff-key"), auth("admin-key")
ILLUMINATE = "demo/illuminate-minds-school-improvement-strategy.txt"
DUDLEY = "demo/dudley-trust-values-vision-mission.txt"
LILIAN = "demo/lilian-baylis-vision-and-strategy.txt"
PHASE2 = "demo/phase-2-growth-plan.txt"
LUTON = "demo/luton-2040-education-strategy.txt"

# (question, alternatives): the answer is right if, for one alternative (doc, phrases),
# every phrase is inside a citation quote from that document.
ANSWERABLE = [
    ("What are the phases of the improvement model?",
     [(ILLUMINATE, ["PHASE 1: STABILISE", "PHASE 2: REPAIR", "PHASE 3: IMPROVE", "PHASE 4: SUSTAIN"])]),
    ("What are our values?",
     [(DUDLEY, ["Dreaming big", "Rewarding effort", "Leading together", "Respecting each other and our world",
                "Learning that inspires"]),
      (LILIAN, ["Achievement, Aspiration, Resilience, Responsibility and Respect"])]),
    ("Who will coordinate the sharing of good practice?",
     [(PHASE2, ["Lead of School Improvement to coordinate the sharing of good practice"])]),
    ("What is our mission?",
     [(LILIAN, ["Our mission at LBTS is to EMPOWER and EDUCATE students"]),
      (DUDLEY, ["Working together we will develop inspirational schools"])]),
]
OUT_OF_SCOPE = [
    "What are the term dates for next year?",  # refused again since units are read in context
    "What is the headteacher's salary?",
    "Who is our uniform supplier?",  # near miss: the Trust gifts uniform, but names no supplier
]


def ask(api: httpx.Client, question: str, headers=STAFF, **body) -> dict:
    response = api.post("/api/ask", json={"question": question, **body}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_verbatim(api: httpx.Client, answer: dict, headers=STAFF) -> None:
    """Every citation quote is exactly the cited page's text[start:end]."""
    pages: dict[tuple[str, int], str] = {}
    for c in answer["citations"]:
        key = (c["doc_id"], c["page"])
        if key not in pages:
            r = api.get(f"/api/documents/{c['doc_id']}/pages/{c['page']}", headers=headers)
            assert r.status_code == 200, r.text
            pages[key] = r.json()["text"]
        assert pages[key][c["start"]:c["end"]] == c["quote"], c


def cites(answer: dict, doc_id: str, phrase: str) -> bool:
    return any(c["doc_id"] == doc_id and phrase in c["quote"] for c in answer["citations"])


# --- answers -----------------------------------------------------------------------------


def test_health_and_docs(api):
    health = api.get("/api/health").json()
    assert health["status"] == "ok" and health["documents"] >= 5 and health["chunks"] > 5  # staff: not the governors paper
    assert health["embed_model"] == "minilm" and health["llm"] is False
    assert api.get("/docs").status_code == 200
    assert {"/api/ask", "/api/commitments", "/v1/chat/completions"} <= set(api.get("/openapi.json").json()["paths"])
    assert api.get("/api/commitments", headers=STAFF).status_code == 200


@pytest.mark.parametrize("question,alternatives", ANSWERABLE, ids=[q for q, _ in ANSWERABLE])
def test_answer_quotes_the_right_passage(api, question, alternatives):
    answer = ask(api, question)
    assert not answer["refused"], answer["answer"]
    assert answer["citations"] and answer["mode"] == "extractive" and answer["query"]
    assert_verbatim(api, answer)
    assert any(all(cites(answer, doc, p) for p in phrases) for doc, phrases in alternatives), answer["citations"]


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_is_refused(api, question):
    answer = ask(api, question)
    assert answer["refused"] is True, answer["answer"]
    assert_verbatim(api, answer)  # the "closest passages" are real quotes too


def test_follow_up_uses_history(api):
    first = ask(api, "What are the phases of the improvement model?")
    history = [{"role": "user", "content": "What are the phases of the improvement model?"},
               {"role": "assistant", "content": first["answer"]}]
    follow = ask(api, "What does the last one say about safeguarding?", history=history)
    assert not follow["refused"]
    assert cites(follow, ILLUMINATE, "Safeguarding is woven throughout all practices"), follow["citations"]
    assert "SUSTAIN" in follow["query"].upper()


def test_filters_restrict_the_evidence(api):
    answer = ask(api, "What are our values?", filters={"doc_id": LILIAN})
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} == {LILIAN}
    answer = ask(api, "What are our values?", filters={"organisation": ["Luton Borough Council"]})
    assert {c["organisation"] for c in answer["citations"]} <= {"Luton Borough Council"}


def read_sse(response: httpx.Response) -> list[tuple[str, object]]:
    events, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


def test_chat_streams_tokens_then_citations_then_done(api):
    body = {"question": "Who will coordinate the sharing of good practice?"}
    with api.stream("POST", "/api/chat", json=body, headers=STAFF) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_sse(response)
    names = [n for n, _ in events]
    assert names[0] == "token" and names[-2:] == ["citations", "done"]
    assert set(names[:-2]) == {"token"} and len(names) > 3
    done = events[-1][1]
    assert "".join(d["text"] for n, d in events if n == "token") == done["answer"]
    assert events[-2][1] == done["citations"] and cites(done, PHASE2, "Lead of School Improvement")


def test_concurrent_questions_all_succeed(api):
    questions = [q for q, _ in ANSWERABLE] * 2
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda q: api.post("/api/ask", json={"question": q}, headers=STAFF), questions))
    assert [r.status_code for r in answers] == [200] * 8
    assert all(not r.json()["refused"] and r.json()["citations"] for r in answers)


# --- errors and auth -----------------------------------------------------------------------


@pytest.mark.parametrize("content,fragment", [
    (b'{"question": "values?"', "not valid JSON"),
    (b'{"question": "   "}', "empty"),
    (json.dumps({"question": "x" * 2001}).encode(), "2000"),
    (b'{"history": []}', "question"),
    (b'{"question": "values?", "mode": "poetic"}', "mode"),
    (b'{"question": "values?", "mode": "generative"}', "LLM"),
])
def test_bad_input_is_400_with_a_clear_message(api, content, fragment):
    r = api.post("/api/ask", content=content, headers={**STAFF, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert fragment in r.json()["detail"]


def test_keys_and_roles(api):
    assert api.post("/api/ask", json={"question": "What is our mission?"}).status_code == 200  # default role
    r = api.post("/api/ask", json={"question": "What is our mission?"}, headers=auth("nope"))
    assert r.status_code == 401 and "Unknown API key" in r.json()["detail"]
    assert api.get("/api/documents", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api.get("/api/documents", headers={"X-API-Key": "admin-key"}).status_code == 200
    assert api.get("/api/documents/nope/pages/1", headers=STAFF).status_code == 404
    assert api.get(f"/api/documents/{DUDLEY}/pages/99", headers=STAFF).status_code == 404
    assert api.get(f"/api/documents/{DUDLEY}/pages/one", headers=STAFF).status_code == 400


def test_no_default_role_means_401(demo_settings, assistant):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    app = create_app(demo_settings.model_copy(update={"default_role": None}), assistant)
    with TestClient(app) as client:
        r = client.get("/api/documents")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/documents", headers=STAFF).status_code == 200


def test_documents_list_and_filters(api):
    docs = api.get("/api/documents", headers=STAFF).json()
    ids = {d["doc_id"] for d in docs}
    assert {ILLUMINATE, DUDLEY, LILIAN, PHASE2, LUTON} <= ids
    luton = next(d for d in docs if d["doc_id"] == LUTON)
    assert luton["organisation"] == "Luton Borough Council" and luton["chunks"] > 0 and luton["pages"] == 1
    only = api.get("/api/documents", params={"doc_type": "vision"}, headers=STAFF).json()
    assert {d["doc_id"] for d in only} == {DUDLEY, LILIAN}
    one = api.get(f"/api/documents/{LUTON}", headers=STAFF).json()
    assert one == luton


# --- upload and delete ---------------------------------------------------------------------


def make_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 780, "Forest School and Outdoor Learning Policy")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 750, "Every pupil in Year 3 spends Wednesday afternoons at the Hollybank woodland site.")
    pdf.drawString(72, 735, "Waterproof clothing is provided by the school for every forest school session.")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def make_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Staff Travel and Expenses Policy", level=1)
    doc.add_paragraph("Staff travelling to approved training events may claim 45p per mile for mileage.")
    doc.add_paragraph("Claims must be submitted to the finance office within thirty days of travel.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def upload(api, files, headers=ADMIN, **form):
    return api.post("/api/documents", files=files, data=form, headers=headers)


@pytest.fixture
def cleanup(api):
    """Uploads are deleted after the test, so the shared index is the demo corpus again for others."""
    yield
    for doc in api.get("/api/documents", headers=ADMIN).json():
        if doc["doc_id"].startswith("uploads/"):
            assert api.delete(f"/api/documents/{doc['doc_id']}", headers=ADMIN).status_code == 204


def test_upload_pdf_and_docx_then_ask(api, demo_settings, cleanup):
    files = [("files", ("forest-school.pdf", make_pdf(), "application/pdf")),
             ("files", ("travel policy.docx", make_docx(), "application/octet-stream"))]
    r = upload(api, files, organisation="Hollybank Primary", doc_type="policy")
    assert r.status_code == 200, r.text
    results = {x["filename"]: x for x in r.json()}
    assert set(results) == {"forest-school.pdf", "travel-policy.docx"}
    assert all(x["status"] == "ingested" and x["chunks"] > 0 for x in results.values()), results
    docs = {d["doc_id"]: d for d in api.get("/api/documents", headers=STAFF).json()}
    assert docs["uploads/forest-school.pdf"]["organisation"] == "Hollybank Primary"
    assert docs["uploads/travel-policy.docx"]["format"] == "docx"
    assert (demo_settings.data_dir / "uploads" / "sources.toml").read_text().count("Hollybank Primary") == 2

    answer = ask(api, "Where do Year 3 pupils spend Wednesday afternoons?")
    assert cites(answer, "uploads/forest-school.pdf", "Hollybank woodland site"), answer
    assert_verbatim(api, answer)
    answer = ask(api, "How much can staff claim per mile for mileage?")
    assert cites(answer, "uploads/travel-policy.docx", "45p per mile"), answer


def test_upload_is_admin_only(api, cleanup):
    files = [("files", ("note.md", b"# Note\n\nA note.", "text/markdown"))]
    assert upload(api, files, headers=STAFF).status_code == 403
    assert upload(api, files, headers=auth("gov-key")).status_code == 403
    assert upload(api, files, headers={}).status_code == 403  # default role is staff


def test_upload_rejects_unsupported_types(api, cleanup):
    r = upload(api, [("files", ("data.csv", b"a,b\n1,2\n", "text/csv"))])
    assert r.status_code == 415 and ".pdf" in r.json()["detail"]
    r = upload(api, [("files", ("ok.md", b"# Fine", "text/markdown")), ("files", ("x.exe", b"MZ", "x/y"))])
    assert r.status_code == 415  # nothing of a mixed upload is kept
    assert "uploads/ok.md" not in {d["doc_id"] for d in api.get("/api/documents", headers=ADMIN).json()}


def test_upload_too_large_is_413(api, demo_settings, monkeypatch, cleanup):
    monkeypatch.setattr(demo_settings, "max_upload_mb", 1)  # the live app shares this object
    big = b"# Big\n\n" + b"All work and no play makes a dull day. " * 40_000  # ~1.5 MB
    r = upload(api, [("files", ("big.md", big, "text/markdown"))])
    assert r.status_code == 413 and "1 MB" in r.json()["detail"]


def test_upload_that_cannot_be_read_is_reported(api, cleanup):
    r = upload(api, [("files", ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "application/pdf"))])
    assert r.status_code == 422 and "broken.pdf" in r.json()["detail"]
    r = upload(api, [("files", ("broken.pdf", b"not a pdf", "application/pdf")),
                     ("files", ("fine.md", b"# Fine\n\nThe orchard is pruned in February.", "text/markdown"))])
    assert r.status_code == 200
    status = {x["filename"]: x["status"] for x in r.json()}
    assert status == {"broken.pdf": "failed", "fine.md": "ingested"}
    assert "uploads/broken.pdf" not in {d["doc_id"] for d in api.get("/api/documents", headers=ADMIN).json()}


def test_upload_names_cannot_escape(api, demo_settings, cleanup):
    r = upload(api, [("files", ("../../escape attempt.md", b"# Escape\n\nThe kiln is fired on Fridays.", "text/markdown"))])
    assert r.status_code == 200 and r.json()[0]["doc_id"] == "uploads/escape-attempt.md"
    assert (demo_settings.data_dir / "uploads" / "escape-attempt.md").exists()
    assert not list(Path(demo_settings.data_dir).parent.glob("*.md"))


def test_delete_removes_document_from_list_and_answers(api, demo_settings):
    text = b"# Minibus Policy\n\nThe school minibus may only be driven by staff holding a D1 licence."
    assert upload(api, [("files", ("minibus.md", text, "text/markdown"))]).status_code == 200
    assert cites(ask(api, "Who may drive the school minibus?"), "uploads/minibus.md", "D1 licence")

    assert api.delete("/api/documents/uploads/minibus.md", headers=STAFF).status_code == 403
    r = api.delete("/api/documents/uploads/minibus.md", headers=ADMIN)
    assert r.status_code == 204 and r.content == b""
    assert "uploads/minibus.md" not in {d["doc_id"] for d in api.get("/api/documents", headers=ADMIN).json()}
    answer = ask(api, "Who may drive the school minibus?", headers=ADMIN)
    assert all(c["doc_id"] != "uploads/minibus.md" for c in answer["citations"])
    assert not (demo_settings.data_dir / "uploads" / "minibus.md").exists()
    assert "minibus" not in (demo_settings.data_dir / "uploads" / "sources.toml").read_text()
    assert api.delete("/api/documents/uploads/minibus.md", headers=ADMIN).status_code == 404


def test_app_builds_its_assistant_once_at_startup(demo_settings, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    app = create_app(demo_settings.model_copy(update={"data_dir": tmp_path / "empty"}))
    assert app.state.assistant is None
    with TestClient(app) as client:
        built = app.state.assistant
        health = client.get("/api/health").json()
        assert health["documents"] == 0 and health["chunks"] == 0
        assert client.post("/api/ask", json={"question": "What are our values?"}).json()["refused"] is True
        assert app.state.assistant is built
