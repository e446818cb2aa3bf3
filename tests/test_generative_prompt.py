"""The generative path's prompt, follow-up rewriting and LLM client: what the model is shown (only
the evidence and the question), how a follow-up is condensed into a standalone search query (and
falls back when the model fails or echoes its template), and how the client is built.

Same real parts as tests/test_generative.py, whose module fixtures this reuses: the real embedder,
a real Chroma index of the demo corpus, the real OpenAILike client over HTTP to tests/fake_llm.py."""

from __future__ import annotations

import re
import sys

import pytest

from assistant.followup import condense_without_llm
from assistant.generative import NOT_IN_DOCUMENTS
from assistant.llm import CONDENSE_STOP, build_llm, condense_with_llm
from assistant.models import Turn
from ingest.settings import Settings
from tests.test_generative import (  # noqa: F401 - module fixtures shared with the grounding tests
    ADMIN, DEMO, VISION, VISION_Q, _fresh, assistant, fake, kb, number_of, passages, run,
)


# -- the prompt --------------------------------------------------------------------------------
def test_prompt_holds_only_the_evidence_and_the_question(assistant, fake):
    history = [Turn(role="user", content="What are our values?"),
               Turn(role="assistant", content="Dreaming big [1]. SECRET-HISTORY-MARKER")]
    fake.script(VISION_Q, NOT_IN_DOCUMENTS)  # condense reply, then the answer
    run(assistant, "and the reputation by 2027?", history=history)
    evidence, _ = assistant.evidence(VISION_Q, ADMIN)
    messages = fake.prompts[-1]
    assert [m["role"] for m in messages] == ["system", "user"]
    prompt = "\n".join(m["content"] for m in messages)
    assert f"Question: {VISION_Q}" in prompt and "SECRET-HISTORY-MARKER" not in prompt
    assert sorted(passages(messages)) == list(range(1, len(evidence) + 1))
    for n, ev in enumerate(evidence, start=1):
        assert passages(messages)[n] == ev.chunk.text.strip()
    # No document text beyond the evidence: every substantial corpus line is either inside
    # an evidence chunk or absent from the prompt.
    inside = "\n".join(ev.chunk.text for ev in evidence)
    lines = [ln.strip() for f in DEMO.glob("*.txt") for ln in f.read_text().splitlines() if len(ln.strip()) > 60]
    leaked = [ln for ln in lines if ln in prompt and ln not in inside]
    assert lines and not leaked


# -- follow-ups --------------------------------------------------------------------------------
def test_condense_uses_the_model_reply_as_the_search_query(assistant, fake):
    history = [Turn(role="user", content="What are the Dudley trust's values?"),
               Turn(role="assistant", content="- Dreaming big [1]\n- Rewarding effort [1]")]
    fake.script(VISION_Q, lambda msgs: f"{VISION} [{number_of(msgs, VISION[:40])}]")
    _, answer = run(assistant, "and its reputation in 2027?", history=history)
    condense, generate = fake.requests
    assert condense["stream"] is False or "stream" not in condense
    assert "and its reputation in 2027?" in condense["messages"][-1]["content"]
    assert "Dreaming big" in condense["messages"][-1]["content"]  # the history went to the rewriter
    assert answer.query == VISION_Q
    assert f"Question: {VISION_Q}" in generate["messages"][-1]["content"]
    assert answer.sentences[0].supported and answer.citations[0].quote == VISION


def test_condense_falls_back_when_the_model_fails(assistant, fake):
    history = [Turn(role="user", content="What are the values?"),
               Turn(role="assistant", content="- Dreaming big [1]\n- Rewarding effort [1]")]
    fake.script(503, 503)
    condensed = condense_with_llm(assistant.llm, "tell me about the second one", history)
    assert len(fake.requests) == 1  # a local server is never retried: a retry queues behind itself
    assert condensed == condense_without_llm("tell me about the second one", history)
    assert '"Rewarding effort"' in condensed


ECHOES = [  # what a small model (issue 14) wrote instead of one question
    "<Chat History>\nHuman: What are the values?\nAssistant: - Dreaming big [1]\n- Rewarding effort [1]",
    "To rewrite the follow-up message to be a standalone question, we need the conversation.",
    "assistant\nWhat is the second value?",
    "Human: tell me about the second one",
    "What " + "is the second value and " * 20 + "why?",  # one line of 400+ characters
    "\n \n",
]


@pytest.mark.parametrize("reply", ECHOES)
def test_a_rewrite_that_echoes_the_template_falls_back_to_the_resolver(assistant, fake, reply):
    history = [Turn(role="user", content="What are the values?"),
               Turn(role="assistant", content="- Dreaming big [1]\n- Rewarding effort [1]")]
    fake.script(reply, NOT_IN_DOCUMENTS)  # the rewrite, then the answer
    _, answer = run(assistant, "tell me about the second one", history=history)
    fallback = condense_without_llm("tell me about the second one", history)
    assert answer.query == fallback and '"Rewarding effort"' in fallback
    assert "Chat History" not in fake.prompts[-1][-1]["content"].split("Question: ")[-1]
    assert fake.requests[0]["stop"] == list(CONDENSE_STOP)  # the server stops it where it can


@pytest.mark.parametrize("reply,query", [
    ("Standalone question: What is the value Rewarding effort?\n\n<Chat History>\nHuman: hi", "What is the value Rewarding effort?"),
    ("<Standalone question>\n\"What is the value Rewarding effort?\"\nassistant", "What is the value Rewarding effort?"),
    ("What does the teaching assistant do?", "What does the teaching assistant do?"),
])
def test_a_rewrite_keeps_only_its_first_question(assistant, fake, reply, query):
    history = [Turn(role="user", content="What are the values?"), Turn(role="assistant", content="- Rewarding effort [1]")]
    fake.script(reply)
    assert condense_with_llm(assistant.llm, "tell me about it", history) == query


# -- building the LLM --------------------------------------------------------------------------
def test_build_llm_points_at_the_configured_server_only(fake):
    import llama_index.core

    llm = build_llm(Settings(llm_base_url=fake.url, llm_model="fake-model", llm_timeout_s=7, llm_max_tokens=123))
    assert llm.api_base == fake.url and llm.model == "fake-model" and llm.timeout == 7
    assert llm.metadata.is_chat_model and llm.max_retries == 0 and llm.max_tokens == 123
    assert llm.metadata.context_window == 4096  # the fake server reports none
    assert llama_index.core.Settings._llm is None  # never installed as a global default
    remote = build_llm(Settings(llm_base_url="https://llm.example.org/v1", llm_context_window=32768))
    assert remote.max_retries == 1 and remote.metadata.context_window == 32768


def test_build_llm_gguf_without_the_extra_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", None)  # as if not installed
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(RuntimeError, match=re.escape("pip install 'ethos[gguf]'")):
        build_llm(Settings(llm_gguf_path=model))
