"""Hostile API input (issue 15): every case is a 400/401/403/413 with a reason, never a 500.

Runs against the session's real uvicorn server (default role `staff`), plus a server with a
real Gradio app mounted, to check that Gradio's upload route is only open to admins.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest

from assistant.api.upload_guard import COOKIE
from ingest.store import STALE_TEMP_S, remove_stale_temps
from tests.conftest import auth
from tests.servers import serve

ASK = "/api/ask"


def _raw(api: httpx.Client, path: str, body: str, **kw) -> httpx.Response:
    return api.post(path, content=body.encode(), headers={"content-type": "application/json", **kw})


@pytest.mark.parametrize("body", [
    '{"question": "What are our values? \\ud800"}',  # a lone surrogate
    '{"question": "What are \\u0000 our values?"}',
    '{"question": "What are our values?", "history": [{"role": "user", "content": "hi \\udfff"}]}',
    '{"question": "What are our values?", "filters": {"organisation": "x\\u0007"}}',
], ids=["surrogate", "nul", "history-surrogate", "filter-control"])
def test_unencodable_or_control_characters_are_400(api, body):
    for path in (ASK, "/api/chat"):
        r = _raw(api, path, body)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "not allowed" in r.json()["detail"]


def test_openai_route_refuses_bad_characters_too(api):
    body = json.dumps({"messages": [{"role": "user", "content": "x"}]}).replace('"x"', '"x \\ud800"')
    r = _raw(api, "/v1/chat/completions", body)
    assert r.status_code == 400 and "not allowed" in r.json()["detail"]


def test_history_is_capped_in_turns_and_characters(api, demo_settings):
    turns = [{"role": "user", "content": "hello"}] * (demo_settings.max_history_turns + 1)
    r = api.post(ASK, json={"question": "What are our values?", "history": turns})
    assert r.status_code == 400 and "turns" in r.json()["detail"]
    long = [{"role": "user", "content": "a" * (demo_settings.max_history_chars + 1)}]
    r = api.post(ASK, json={"question": "What are our values?", "history": long})
    assert r.status_code == 400 and "characters" in r.json()["detail"]
    ok = api.post(ASK, json={"question": "What are our values?", "history": turns[:2]})
    assert ok.status_code == 200


def test_request_bodies_are_limited_with_or_without_a_length(api, demo_settings):
    big = json.dumps({"question": "x", "history": [{"role": "user", "content": "a" * (3 << 20)}]})
    r = _raw(api, ASK, big)
    assert r.status_code == 413 and "MB" in r.json()["detail"]

    def chunked():
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536].encode()

    r = api.post(ASK, content=chunked(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert api.get("/api/health").status_code == 200


def test_health_without_a_key_shows_only_what_the_default_role_may_read(api):
    staff = api.get("/api/health").json()
    admin = api.get("/api/health", headers=auth("admin-key")).json()
    assert admin["documents"] == staff["documents"] + 1  # the governors-only paper
    assert admin["chunks"] > staff["chunks"]
    bad = api.get("/api/health", headers=auth("no-such-key"))
    assert bad.status_code == 200 and bad.json()["documents"] is None


def test_upload_names_never_collide_and_keep_the_original(api):
    names = ["../../etc/x.md", "．．／ｘ.md", "x.md"]
    results = []
    try:
        for i, name in enumerate(names):
            files = {"files": (name, io.BytesIO(f"# Note {i}\n\nCollision test note number {i}.\n".encode()))}
            r = api.post("/api/documents", files=files, headers=auth("admin-key"))
            assert r.status_code == 200, r.text
            results.append(r.json()[0])
        assert [r["filename"] for r in results] == ["x.md", "x-2.md", "x-3.md"]
        assert [r["original_name"] for r in results] == names
        listed = {d["doc_id"] for d in api.get("/api/documents", headers=auth("admin-key")).json()}
        assert {"uploads/x.md", "uploads/x-2.md", "uploads/x-3.md"} <= listed
        again = api.post("/api/documents", files={"files": ("x.md", io.BytesIO(b"# Note\n\nA new version.\n"))},
                         headers=auth("admin-key")).json()[0]
        assert again["filename"] == "x-3.md" and "replaced" in again["reason"]
    finally:
        for r in results:
            api.delete(f"/api/documents/{r['doc_id']}", headers=auth("admin-key"))


@pytest.fixture(scope="module")
def gradio_server(demo_settings, assistant):
    from assistant.api import create_app

    with gr.Blocks() as blocks:
        gr.File(label="Upload")
    app = gr.mount_gradio_app(create_app(demo_settings, assistant), blocks, path="/")
    with serve(app, probe="/api/health", name="ethos-gradio-guard") as base:
        yield base


def test_gradio_upload_route_is_for_admins_only(gradio_server):
    def upload(**kw) -> int:
        files = {"files": ("a.txt", io.BytesIO(b"anonymous bytes"))}
        return httpx.post(f"{gradio_server}/gradio_api/upload", files=files, timeout=30, **kw).status_code

    assert upload() == 403  # the default role is staff
    assert upload(headers=auth("staff-key")) == 403
    assert upload(headers=auth("wrong")) == 401
    assert upload(headers=auth("admin-key")) == 200
    assert upload(cookies={COOKIE: "admin-key"}) == 200  # what the chat page's key box sets


def test_stale_temp_folders_of_killed_builds_are_removed(tmp_path: Path):
    dead = tmp_path / ".bm25-999999999-abc"
    old = tmp_path / ".bm25-xyz"
    live = tmp_path / f".bm25-{os.getppid()}-run"  # another live process: never touched
    fresh = tmp_path / ".docstore-new.json"
    for d in (dead, old, live):
        d.mkdir()
    fresh.write_text("{}")
    past = time.time() - STALE_TEMP_S - 5
    os.utime(old, (past, past))
    removed = set(remove_stale_temps(tmp_path))
    assert removed == {dead, old}
    assert live.exists() and fresh.exists()


def test_history_caps_come_from_the_apps_own_settings(demo_settings, assistant):
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    app = create_app(demo_settings.model_copy(update={"max_history_turns": 2, "max_request_mb": 1}), assistant)
    turns = [{"role": "user", "content": "hello"}] * 3
    with TestClient(app) as client:
        r = client.post(ASK, json={"question": "What are our values?", "history": turns})
        assert r.status_code == 400 and "limit is 2" in r.json()["detail"]
        big = client.post(ASK, json={"question": "x", "history": [{"role": "user", "content": "a" * (1 << 20)}]})
        assert big.status_code == 413 and "1 MB" in big.json()["detail"]
