"""Role-based access: a staff key never sees, quotes or confirms the governors-only paper."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PRIVATE_DOC_ID, auth

STAFF, GOVERNOR, ADMIN = auth("staff-key"), auth("gov-key"), auth("admin-key")
SECRET_WORDS = ("Kestrel", "deficit recovery", "£1.2 million", "catering contract")
STAFF_LIKE = [pytest.param(STAFF, id="staff-key"), pytest.param({}, id="no-key-default-staff")]


def without_echo(text: str, question: str) -> str:
    """A refusal may name the asker's own words as missing (“Kestrel”): that echo is theirs, not the paper's."""
    for word in question.replace("?", " ").split():
        text = text.replace(f"“{word}”", "")
    return text


def leaks(payload: object) -> list[str]:
    text = json.dumps(payload, ensure_ascii=False)
    return [w for w in SECRET_WORDS if w in text] + ([PRIVATE_DOC_ID] if PRIVATE_DOC_ID in text else [])


@pytest.mark.parametrize("headers", STAFF_LIKE)
@pytest.mark.parametrize("body", [
    {"question": "What is Project Kestrel?"},
    {"question": "Kestrel budget deficit recovery plan restructure central team catering contract"},
    {"question": "What is the plan to recover the budget deficit?"},
    {"question": "What is Project Kestrel?", "filters": {"doc_id": PRIVATE_DOC_ID}},
    {"question": "What are the measures?", "filters": {"doc_type": "board paper"}},
], ids=["direct", "keywords", "paraphrase", "doc-id-filter", "type-filter"])
def test_staff_answers_never_use_the_governor_paper(api, headers, body):
    r = api.post("/api/ask", json=body, headers=headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    # a refusal may name the asker's own words (“Kestrel”) as missing; nothing else of the paper may appear
    assert not leaks(answer["citations"]) and not leaks(without_echo(answer["answer"], body["question"])), answer
    # and the refusal must not reveal that a document staff cannot read mentions them
    assert "closest passages don't mention" not in answer["answer"], answer
    if "filters" in body:  # nothing else matches the filter, so nothing may be cited at all
        assert answer["refused"] and answer["citations"] == []


def test_staff_stream_and_openai_paths_do_not_leak(api):
    with api.stream("POST", "/api/chat", json={"question": "What is Project Kestrel?"}, headers=STAFF) as r:
        body = r.read().decode()
    assert r.status_code == 200 and "event: done" in body
    # everything but the echoed question (`query` in the done event) must be free of the paper
    assert not leaks(without_echo(body.replace('"query": "What is Project Kestrel?"', ""), "Kestrel"))
    r = api.post("/v1/chat/completions", headers=STAFF,
                 json={"model": "x", "messages": [{"role": "user", "content": "What is Project Kestrel?"}]})
    assert r.status_code == 200 and not leaks(without_echo(json.dumps(r.json(), ensure_ascii=False), "Kestrel"))


@pytest.mark.parametrize("headers", STAFF_LIKE)
def test_staff_cannot_list_or_open_it(api, headers):
    docs = api.get("/api/documents", headers=headers).json()
    assert docs and PRIVATE_DOC_ID not in {d["doc_id"] for d in docs}
    filtered = api.get("/api/documents", params={"doc_type": "board paper"}, headers=headers).json()
    assert filtered == []
    for path in (f"/api/documents/{PRIVATE_DOC_ID}", f"/api/documents/{PRIVATE_DOC_ID}/pages/1"):
        hidden = api.get(path, headers=headers)
        missing = api.get(path.replace(PRIVATE_DOC_ID, "demo/no-such-file.md"), headers=headers)
        assert hidden.status_code == missing.status_code == 404
        # the same answer as for a document that does not exist: existence is not revealed
        assert hidden.json()["detail"].replace(PRIVATE_DOC_ID, "?") == \
            missing.json()["detail"].replace("demo/no-such-file.md", "?")
    assert api.delete(f"/api/documents/{PRIVATE_DOC_ID}", headers=headers).status_code == 403


@pytest.mark.parametrize("headers", [pytest.param(GOVERNOR, id="governor"), pytest.param(ADMIN, id="admin")])
def test_governors_and_admins_do_see_it(api, headers):
    r = api.post("/api/ask", json={"question": "What is Project Kestrel?"}, headers=headers)
    answer = r.json()
    assert not answer["refused"], answer
    assert any(c["doc_id"] == PRIVATE_DOC_ID and "Kestrel" in c["quote"] for c in answer["citations"])
    docs = {d["doc_id"]: d for d in api.get("/api/documents", headers=headers).json()}
    assert docs[PRIVATE_DOC_ID]["audience"] == "governors"
    page = api.get(f"/api/documents/{PRIVATE_DOC_ID}/pages/1", headers=headers)
    assert page.status_code == 200 and "Project Kestrel" in page.json()["text"]


def test_uploaded_governor_paper_is_hidden_from_staff(api):
    text = b"# Headteacher Appraisal Panel\n\nThe appraisal panel of the Osprey committee meets in March."
    r = api.post("/api/documents", headers=ADMIN, data={"audience": "governors"},
                 files=[("files", ("osprey-appraisal.md", text, "text/markdown"))])
    assert r.status_code == 200 and r.json()[0]["status"] == "ingested", r.text
    doc_id = r.json()[0]["doc_id"]
    assert doc_id not in {d["doc_id"] for d in api.get("/api/documents", headers=STAFF).json()}
    staff = api.post("/api/ask", json={"question": "When does the Osprey committee meet?"}, headers=STAFF).json()
    assert all(c["doc_id"] != doc_id for c in staff["citations"])
    shown = without_echo(json.dumps([staff["answer"], staff["citations"], staff["sentences"]], ensure_ascii=False),
                         "Osprey")
    assert "Osprey" not in shown
    assert "closest passages don't mention" not in staff["answer"]  # nor that a hidden paper does
    gov = api.post("/api/ask", json={"question": "When does the Osprey committee meet?"}, headers=GOVERNOR).json()
    assert any(c["doc_id"] == doc_id for c in gov["citations"])
    assert api.delete(f"/api/documents/{doc_id}", headers=ADMIN).status_code == 204
    r = api.post("/api/documents", headers=ADMIN, data={"audience": "everyone"},
                 files=[("files", ("x.md", b"# X", "text/markdown"))])
    assert r.status_code == 400 and "audience" in r.json()["detail"]


def test_keys_file_roles(demo_settings, assistant, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"file-gov" = "governor"\n"staff-key" = "admin"\n', encoding="utf-8")
    settings = demo_settings.model_copy(update={"api_keys_file": keys})
    with TestClient(create_app(settings, assistant)) as client:
        docs = client.get("/api/documents", headers={"X-API-Key": "file-gov"}).json()
        assert PRIVATE_DOC_ID in {d["doc_id"] for d in docs}
        assert client.get("/api/documents", headers=auth("gov-key")).status_code == 200  # settings keys still work
        assert client.delete("/api/documents/demo/none.md", headers=STAFF).status_code == 404  # file overrides
    keys.write_text('[keys]\n"k" = "superuser"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="superuser"):
        create_app(settings)
