"""The OpenAI-compatible endpoints, driven by the real `openai` client against the live server."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import auth

PHASE2 = "demo/phase-2-growth-plan.txt"
QUESTION = "Who will coordinate the sharing of good practice?"


@pytest.fixture(scope="module")
def client(live_server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_server}/v1", api_key="staff-key", timeout=120, max_retries=0)


def test_models_lists_ethos(client):
    assert [m.id for m in client.models.list()] == ["ethos"]


def test_completion_has_sources_and_citations(client, api):
    response = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}]
    )
    assert response.model == "ethos" and response.object == "chat.completion"
    content = response.choices[0].message.content
    assert "Lead of School Improvement" in content and "\n\nSources:\n[1] " in content
    citations = response.model_extra["citations"]
    assert citations and any(c["doc_id"] == PHASE2 for c in citations)
    first = citations[0]
    assert f'[1] {first["title"]} — {first["organisation"]}' in content and f'p. {first["page"]}' in content
    page = api.get(f"/api/documents/{first['doc_id']}/pages/{first['page']}", headers=auth("staff-key")).json()
    assert page["text"][first["start"]:first["end"]] == first["quote"]


def test_streaming_completion(client):
    stream = client.chat.completions.create(model="ethos", messages=[{"role": "user", "content": QUESTION}],
                                            stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Lead of School Improvement" in text and "Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert any(c["doc_id"] == PHASE2 for c in chunks[-1].model_extra["citations"])


def test_follow_up_from_message_history(client):
    q1 = "What are the phases of the improvement model?"
    first = client.chat.completions.create(model="ethos", messages=[{"role": "user", "content": q1}])
    messages = [{"role": "user", "content": q1},
                {"role": "assistant", "content": first.choices[0].message.content},
                {"role": "user", "content": "What does the last one say about safeguarding?"}]
    follow = client.chat.completions.create(model="ethos", messages=messages)
    quotes = [c["quote"] for c in follow.model_extra["citations"]]
    assert any("Safeguarding is woven throughout all practices" in q for q in quotes), quotes


def test_refusal_is_flagged(client):
    response = client.chat.completions.create(
        model="ethos", messages=[{"role": "user", "content": "What is the headteacher's salary?"}])
    assert response.model_extra["refused"] is True
    content = response.choices[0].message.content
    assert "Sources:" not in content and "\n\nClosest passages (none answers the question):\n[1] " in content


def test_errors(live_server):
    bad = openai.OpenAI(base_url=f"{live_server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    r = httpx.post(f"{live_server}/v1/chat/completions", headers=auth("staff-key"),
                   json={"model": "ethos", "messages": [{"role": "assistant", "content": "Hello"}]})
    assert r.status_code == 400 and "last message" in r.json()["detail"]
    r = httpx.post(f"{live_server}/v1/chat/completions", headers=auth("staff-key"), json={"model": "ethos"})
    assert r.status_code == 400 and "messages" in r.json()["detail"]
