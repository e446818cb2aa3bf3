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


# -- a generative server: the checking reaches OpenAI clients ---------------------------------------
INVENTED = "Every pupil will learn to pilot a spacecraft before secondary school"


@pytest.fixture(scope="module")
def generative_v1(demo_settings, assistant):
    """The same index behind a generative Assistant whose model replays a faithful sentence and an
    invented one; `ETHOS_LOCAL_BEARER_TOKEN` set as a single-user install would."""
    from assistant.api import create_app
    from assistant.service import Assistant
    from tests.fake_llm import FakeLLM, prompt_passages
    from tests.servers import serve

    def reply(messages):
        n, text = next((n, t) for n, t in prompt_passages(messages).items() if "Lead of School Improvement" in t)
        sentence = next(s.strip() for s in text.replace("\n", " ").split(". ") if "Lead of School Improvement" in s)
        return f"{sentence.rstrip('.')}. [{n}] {INVENTED} [{n}]."

    with FakeLLM(default=reply) as fake:
        settings = demo_settings.model_copy(update={"llm_base_url": fake.url, "llm_model": "fake",
                                                    "local_bearer_token": "sk-local-laptop"})
        generative = Assistant(settings, kb=assistant.kb)
        with serve(create_app(settings, generative), name="ethos-v1-generative") as base:
            yield base


def test_v1_content_flags_unsupported_sentences(generative_v1):
    client = openai.OpenAI(base_url=f"{generative_v1}/v1", api_key="staff-key", max_retries=0, timeout=60)
    response = client.chat.completions.create(model="ethos", messages=[{"role": "user", "content": QUESTION}])
    content = response.choices[0].message.content
    assert f"{INVENTED}. [1] ⚠ not supported by the sources" in content
    assert content.count("⚠ not supported by the sources") == 1  # the faithful sentence is not flagged
    sentences = response.model_extra["sentences"]
    assert [s["supported"] for s in sentences] == [True, False] and response.model_extra["llm_failed"] is False


def test_v1_stream_has_the_same_text_and_numbers_as_the_final_answer(generative_v1):
    client = openai.OpenAI(base_url=f"{generative_v1}/v1", api_key="staff-key", max_retries=0, timeout=60)
    whole = client.chat.completions.create(model="ethos", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(client.chat.completions.create(model="ethos", messages=[{"role": "user", "content": QUESTION}],
                                                 stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content  # markers, flags and sources alike
    assert [s["supported"] for s in chunks[-1].model_extra["sentences"]] == [True, False]


def test_v1_accepts_the_configured_local_bearer_token_only(generative_v1):
    local = openai.OpenAI(base_url=f"{generative_v1}/v1", api_key="sk-local-laptop", max_retries=0)
    assert [m.id for m in local.models.list()] == ["ethos"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{generative_v1}/v1", api_key="sk-anything-else", max_retries=0).models.list()
