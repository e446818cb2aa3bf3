"""The generative path against the real local model's recorded replies and real server failures.

The replies in tests/fixtures/llm are what Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, llama-cpp-python)
wrote for Ethos's own prompts on the demo golden questions; tests/fake_llm.py replays them
delta by delta over real HTTP. The failure modes are those of real local servers: an empty
stream after HTTP 200, an error frame, keep-alive pings with no answer.
"""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from assistant.generative import LLM_FAILED, LLM_FAILED_PARTWAY, MODEL_DECLINED, NOT_SUPPORTED, PROMPT_MARGIN
from assistant.llm import count_tokens
from assistant.models import Turn
from assistant.service import Assistant
from tests.fake_llm import EMPTY, ErrorFrame, Stall, load_recording, recorded
from tests.servers import serve
from tests.test_generative import (  # noqa: F401 - module fixtures shared with the scripted tests
    ADMIN, VISION, VISION_Q, _fresh, assert_exact_citations, assistant, fake, kb, number_of, passages, run,
    sentence_with,
)


def ask_recorded(assistant: Assistant, fake, qid: str):
    fake.script(recorded(qid))
    tokens, answer = run(assistant, load_recording(qid)["question"])
    assert "".join(tokens) == answer.answer  # one numbering from the first token to the end
    return tokens, answer


def test_uncited_but_faithful_sentence_is_attached_to_its_passage(assistant, fake, kb):
    _, answer = ask_recorded(assistant, fake, "demo-010")  # '…is "Excellence Every Day."' with no marker
    assert answer.mode == "generative" and not answer.refused
    assert [s.supported for s in answer.sentences] == [True] and answer.sentences[0].citations == [1]
    assert answer.answer.endswith(" [1]") and "Excellence Every Day" in answer.citations[0].quote
    assert_exact_citations(kb, answer)


def test_first_of_two_sentences_without_a_marker_is_attached_too(assistant, fake, kb):
    _, answer = ask_recorded(assistant, fake, "demo-003")  # markers only after the second sentence
    assert len(answer.sentences) == 2 and all(s.supported and s.citations for s in answer.sentences)
    assert_exact_citations(kb, answer)


def test_unmarked_list_items_are_attached_to_the_passages_naming_them(assistant, fake, kb):
    _, answer = ask_recorded(assistant, fake, "demo-005")  # "1. STABILISE\n2. REPAIR…", no markers at all
    items = {s.text: s for s in answer.sentences}
    assert {"STABILISE", "REPAIR", "IMPROVE", "SUSTAIN"} <= set(items)
    assert all(items[k].supported and items[k].citations for k in ("STABILISE", "REPAIR", "IMPROVE", "SUSTAIN"))
    assert "\n1. STABILISE [" in answer.answer  # the model's layout is kept
    assert_exact_citations(kb, answer)


def test_a_real_reply_with_no_markers_is_attached_sentence_by_sentence_and_its_flourish_flagged(assistant, fake, kb):
    _, answer = ask_recorded(assistant, fake, "demo-004-t08")  # six sentences, not one [n]
    verdict = {s.text: s.supported for s in answer.sentences}
    assert verdict["Regular and rigorous identification of priority students is used to better support their "
                   "learning, including the GRADUATED APPROACH."] is True
    closing = "This consistent approach is evident in all lessons, which are designed to inspire and motivate students."
    assert verdict[closing] is False  # the model's own summary: no passage says it
    assert sum(verdict.values()) >= 3 and all(s.citations for s in answer.sentences if s.supported)
    assert_exact_citations(kb, answer)


def test_a_real_three_sentence_reply_without_markers_is_fully_attached(assistant, fake, kb):
    _, answer = ask_recorded(assistant, fake, "demo-003-t08")
    assert len(answer.sentences) == 3 and all(s.supported and s.citations for s in answer.sentences)
    assert "Dreaming big" in answer.answer and answer.answer.count("[") == 3


def test_sentence_citing_two_passages_is_checked_against_both(assistant, fake):
    _, answer = ask_recorded(assistant, fake, "demo-004")  # "…consistency and routine in every lesson [1][3]."
    assert answer.sentences[0].supported and len(answer.sentences[0].citations) == 2
    assert [c.n for c in answer.citations] == [1, 2]


def test_a_reply_that_is_only_a_name_and_a_marker_falls_back_to_the_extractive_answer(assistant, fake):
    _, answer = ask_recorded(assistant, fake, "demo-021")  # "Nelson Mandela [3]"
    assert answer.answer.startswith(NOT_SUPPORTED) and not answer.refused
    assert "Nelson Mandela" not in answer.answer and "PSHE Lead" in answer.answer


@pytest.mark.parametrize("qid", ["demo-001", "demo-007", "demo-013"])
def test_recorded_refusals_of_answerable_questions_fall_back_to_the_extractive_answer(assistant, fake, qid):
    """The real model said "The documents don't say." to questions the evidence check let through."""
    _, answer = ask_recorded(assistant, fake, qid)
    assert len(fake.requests) == 1  # the evidence check passed, so the model was asked
    assert answer.answer.startswith(MODEL_DECLINED) and not answer.refused and answer.mode == "extractive"
    assert answer.citations and "don't say" not in answer.answer


@pytest.mark.parametrize("qid", ["demo-006", "demo-029"])
def test_recorded_cited_answers_are_supported(assistant, fake, kb, qid):
    _, answer = ask_recorded(assistant, fake, qid)
    assert all(s.supported for s in answer.sentences) and answer.citations
    assert_exact_citations(kb, answer)


# -- failures are failures ---------------------------------------------------------------------
@pytest.mark.parametrize("reply,logged", [(EMPTY, "empty reply"), (ErrorFrame(), "exceed context window")])
def test_empty_or_failed_stream_is_reported_as_a_model_failure(assistant, fake, caplog, reply, logged):
    fake.script(reply)
    with caplog.at_level(logging.WARNING, logger="assistant.generative"):
        tokens, answer = run(assistant, VISION_Q)
    assert answer.answer.startswith(LLM_FAILED) and not answer.refused  # never "not in the documents"
    assert "don't cover" not in answer.answer and answer.citations  # the checked extractive answer follows
    assert "".join(tokens) == answer.answer
    assert any(logged in r.getMessage() for r in caplog.records)
    assert len(fake.requests) == 1


def test_failure_after_a_supported_sentence_keeps_it_and_says_so(assistant, fake):
    fake.script(ErrorFrame("connection reset by peer", before=(VISION[:30], VISION[30:] + " Then the", " trust")))
    tokens, answer = run(assistant, VISION_Q)
    assert answer.answer.startswith(VISION + " [1]") and answer.answer.endswith(LLM_FAILED_PARTWAY)
    assert "Then the" not in answer.answer  # an unfinished sentence of a failed reply is not shown
    assert "".join(tokens) == answer.answer and answer.sentences[0].supported


def test_stalling_server_is_cut_off_at_the_deadline_without_retrying(assistant, fake):
    slow = Assistant(assistant.settings.model_copy(update={"llm_deadline_s": 1.5}), kb=assistant.kb)
    fake.script(Stall(seconds=20, ping_s=0.2))  # keep-alive pings, never an answer
    started = time.monotonic()
    _, answer = run(slow, VISION_Q)
    assert time.monotonic() - started < 6 and answer.answer.startswith(LLM_FAILED)
    assert len(fake.requests) == 1  # no retry storm
    until = time.monotonic() + 5
    while fake.closed < 1 and time.monotonic() < until:
        time.sleep(0.05)
    assert fake.closed == 1 and fake.pings < 40  # the connection was closed, so the server stopped


def test_follow_up_rewrite_has_its_own_deadline(assistant, fake):
    quick = Assistant(assistant.settings.model_copy(update={"llm_condense_deadline_s": 1.0}), kb=assistant.kb)
    history = [Turn(role="user", content="What are the trust's values?"),
               Turn(role="assistant", content="- Dreaming big [1]\n- Rewarding effort [1]")]
    fake.script(Stall(seconds=20, ping_s=0.2))
    started = time.monotonic()
    assert "Rewarding effort" in quick.condense("tell me about the second one", history)
    assert time.monotonic() - started < 5 and len(fake.requests) == 1


def test_rewrite_prompt_is_bounded_however_long_the_history(assistant, fake):
    long = "The trust will do many things. " * 300
    history = [Turn(role="user", content="What are the values?"), Turn(role="assistant", content=long)] * 3
    fake.script("What are the trust's values?")
    assistant.condense("and the second one?", history)
    prompt = fake.requests[-1]["messages"][-1]["content"]
    assert count_tokens(prompt) < 800


def test_extractive_mode_never_calls_the_model(assistant, fake):
    history = [Turn(role="user", content="What are the trust's values?"),
               Turn(role="assistant", content="- Dreaming big [1]\n- Rewarding effort [1]")]
    _, answer = run(assistant, "tell me about the second one", history=history, mode="extractive")
    assert fake.requests == [] and answer.mode == "extractive"


def test_prompt_is_trimmed_to_the_context_window(assistant, fake):
    small = Assistant(assistant.settings.model_copy(update={"llm_context_window": 1200, "llm_max_tokens": 200}),
                      kb=assistant.kb)
    small.llm = small.llm.model_copy(update={"context_window": 1200})
    fake.script(lambda msgs: f"{sentence_with(msgs, VISION[:40])} [{number_of(msgs, VISION[:40])}]")
    _, answer = run(small, VISION_Q)
    sent = fake.requests[-1]
    prompt = "".join(m["content"] for m in sent["messages"])
    evidence, _ = assistant.evidence(VISION_Q, ADMIN)
    assert count_tokens(prompt) <= 1200 - 200 - PROMPT_MARGIN and len(passages(sent["messages"])) < len(evidence)
    assert sent["max_tokens"] == 200 and answer.sentences[0].supported


# -- one numbering on the wire -------------------------------------------------------------------
def test_api_chat_tokens_equal_the_done_answer(assistant, fake):
    from assistant.api import create_app

    with serve(create_app(assistant.settings, assistant), name="ethos-generative") as base:
        fake.script(recorded("demo-004"))
        with httpx.stream("POST", f"{base}/api/chat", json={"question": load_recording("demo-004")["question"]},
                          timeout=60) as r:
            events, kind = [], None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
    text = "".join(d["text"] for k, d in events if k == "token")
    done = next(d for k, d in events if k == "done")
    assert text == done["answer"] and "[1][2]" in text and "[3]" not in text
