"""The generative path end to end: real embedder, real Chroma index of the demo corpus,
the real OpenAILike client talking HTTP to an OpenAI-protocol server that replays the real
local model's recorded replies (tests/fixtures/llm) or scripted ones."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from assistant.followup import condense_without_llm
from assistant.generative import MODEL_DECLINED, NOT_IN_DOCUMENTS, NOT_SUPPORTED, stream_generative
from assistant.knowledge import KnowledgeBase
from assistant.llm import CONDENSE_STOP, build_llm, condense_with_llm
from assistant.models import Answer, Filters, Principal, Turn
from assistant.service import Assistant
from ingest.settings import Settings
from tests.fake_llm import FakeLLM

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
ADMIN = Principal("admin", ("all", "staff", "governors"))
PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*, p\. \d+:\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.M | re.S)
VISION_Q = "What will the Trust's reputation be by 2027?"
VISION = "By 2027 the Trust’s excellent reputation will reach beyond Dudley and the West Midlands."


@pytest.fixture(scope="module")
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake):
    fake.reset()
    yield
    assert not fake.errors, f"a scripted reply raised: {fake.errors!r}"


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    data = tmp_path_factory.mktemp("generative-data")
    base = KnowledgeBase(Settings(data_dir=data, corpus_dir=DEMO, corpus_name="demo"))
    report = base.ingest(DEMO, corpus="demo")
    assert report.count("ingested") == 5
    return base


@pytest.fixture(scope="module")
def assistant(kb, fake) -> Assistant:
    settings = kb.settings.model_copy(update={"llm_base_url": fake.url, "llm_model": "fake-model"})
    return Assistant(settings, kb=kb)


def passages(messages: list[dict]) -> dict[int, str]:
    """The numbered evidence as the model received it."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    return {int(n): text for n, text in PASSAGE.findall(user)}


def number_of(messages: list[dict], needle: str) -> int:
    found = [n for n, text in passages(messages).items() if needle in text]
    assert found, f"no passage contains {needle!r}"
    return found[0]


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if len(s.split()) >= 6]


def sentence_with(messages: list[dict], needle: str) -> str:
    """The evidence sentence containing `needle`, copied verbatim (a perfectly faithful reply)."""
    return next(s for s in sentences_of(passages(messages)[number_of(messages, needle)]) if needle in s)


def run(assistant: Assistant, question: str, **kw) -> tuple[list[str], Answer]:
    events = list(assistant.stream(question, ADMIN, **kw))
    assert isinstance(events[-1], Answer) and all(isinstance(e, str) for e in events[:-1])
    return events[:-1], events[-1]


def assert_exact_citations(kb: KnowledgeBase, answer: Answer) -> None:
    for c in answer.citations:
        page = kb.page(c.doc_id, c.page, ADMIN)
        assert page is not None and page.text[c.start : c.end] == c.quote and c.quote.strip()


# -- streaming & grounding -------------------------------------------------------------------
def test_streams_tokens_then_a_grounded_generative_answer(assistant, fake, kb):
    fake.script(lambda msgs: f"{sentence_with(msgs, VISION[:40])} [{number_of(msgs, VISION[:40])}]")
    tokens, answer = run(assistant, VISION_Q)
    assert "".join(tokens) == answer.answer  # the streamed text is the final answer, same numbers
    assert fake.requests[-1]["stream"] is True
    assert fake.requests[-1]["max_tokens"] == assistant.settings.llm_max_tokens
    assert answer.mode == "generative" and not answer.refused
    assert answer.answer == VISION + " [1]"  # renumbered to 1 whatever the evidence number was
    assert [s.model_dump() for s in answer.sentences] == [{"text": VISION, "citations": [1], "supported": True}]
    assert len(answer.citations) == 1 and answer.citations[0].n == 1
    assert answer.citations[0].quote == VISION  # the best unit of the cited chunk, verbatim
    assert answer.citations[0].title == "Values, Vision and Mission"
    assert_exact_citations(kb, answer)


def test_citations_renumbered_in_order_of_first_use(assistant, fake, kb):
    chosen = {}

    def reply(msgs):
        vision = number_of(msgs, VISION[:40])
        last = max(n for n in passages(msgs) if n != vision)
        chosen["other"] = sentences_of(passages(msgs)[last])[0]
        # cites the last passage first; the marker after the full stop must stay with its sentence
        return f"{chosen['other']} [{last}] {VISION.rstrip('.')}. [{vision}]"

    fake.script(reply)
    tokens, answer = run(assistant, VISION_Q)
    assert "".join(tokens) == answer.answer and len(tokens) == 2  # one piece per checked sentence
    assert [c.n for c in answer.citations] == [1, 2]
    first = answer.citations[0].quote
    assert (first in chosen["other"] or chosen["other"] in first) and answer.citations[1].quote == VISION
    assert [s.text for s in answer.sentences] == [chosen["other"], VISION]
    assert [s.citations for s in answer.sentences] == [[1], [2]]
    assert all(s.supported for s in answer.sentences)
    assert re.findall(r"\[(\d+)\]", answer.answer) == ["1", "2"]
    assert_exact_citations(kb, answer)


def test_markers_pointing_nowhere_are_dropped(assistant, fake):
    def reply(msgs):
        beyond = len(passages(msgs)) + 1
        return f"{sentence_with(msgs, VISION[:40])} [{number_of(msgs, VISION[:40])}][{beyond}] [0]"

    fake.script(reply)
    _, answer = run(assistant, VISION_Q)
    assert re.findall(r"\[(\d+)\]", answer.answer) == ["1"]
    assert [c.n for c in answer.citations] == [1]
    assert answer.sentences[0].citations == [1] and answer.sentences[0].supported


def test_unsupported_sentences_are_flagged(assistant, fake):
    def reply(msgs):
        n = number_of(msgs, VISION[:40])
        return (
            f"Here is what the plan says:\n{sentence_with(msgs, VISION[:40])} [{n}] "
            f"The trust will open a school on the Moon in 2030 [{n}]. "
            f"The trust will open a school on the Moon [{n}]. "
            f"Every pupil will learn to pilot a spacecraft before secondary school [{n}]. "
            "Staff are paid double during the summer holidays."
        )

    fake.script(reply)
    _, answer = run(assistant, VISION_Q)
    verdict = {s.text: s.supported for s in answer.sentences}
    assert verdict == {
        "Here is what the plan says:": True,  # uncited connective
        VISION: True,
        "The trust will open a school on the Moon in 2030.": False,  # invented figure
        "The trust will open a school on the Moon.": False,  # on topic, but nothing says it
        "Every pupil will learn to pilot a spacecraft before secondary school.": False,  # no similar unit
        "Staff are paid double during the summer holidays.": False,  # a claim with no citation
    }
    assert [c.n for c in answer.citations] == [1] and answer.citations[0].quote == VISION


@pytest.mark.parametrize("reply", [
    NOT_IN_DOCUMENTS,
    "The provided passages do not explicitly mention this.",  # reworded, as the real model does
    "I'm sorry, but the information about this is not explicitly mentioned in the documents.",
    "There is no information about that in the evidence provided.",
])
def test_not_in_documents_however_worded_is_a_refusal(assistant, fake, kb, reply):
    """Without an extractive answer to fall back on, the model's refusal stands."""
    fake.script(reply)
    evidence, _ = assistant.evidence(VISION_Q, ADMIN)
    events = list(stream_generative(VISION_Q, evidence, assistant.llm, assistant.encode, assistant.settings, None))
    tokens, answer = events[:-1], events[-1]
    assert answer.refused and answer.mode == "generative" and "won't guess" in answer.answer
    assert "".join(tokens) == answer.answer
    assert 1 <= len(answer.citations) <= 3  # the closest passages, shown as such
    assert_exact_citations(kb, answer)


@pytest.mark.parametrize("reply", [NOT_IN_DOCUMENTS, "The provided passages do not explicitly mention this."])
def test_model_declining_an_answerable_question_gets_the_extractive_answer(assistant, fake, kb, reply):
    """The issue's benchmark: 33 of the small model's 36 refusals came after the evidence check had
    passed. The extractive answer is shown instead, introduced by a note saying the model declined."""
    fake.script(reply)
    tokens, answer = run(assistant, VISION_Q)
    extractive = run(assistant, VISION_Q, mode="extractive")[1]
    assert len(fake.requests) == 1 and not extractive.refused
    assert not answer.refused and answer.mode == "extractive"
    assert answer.answer == f"{MODEL_DECLINED}\n\n{extractive.answer}"
    assert answer.sentences[0].text == MODEL_DECLINED and answer.sentences[0].citations == []
    assert "don't say" not in answer.answer and "won't guess" not in answer.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in extractive.citations]
    assert "".join(tokens) == answer.answer
    assert_exact_citations(kb, answer)


def test_a_question_the_evidence_check_refuses_never_reaches_the_model(assistant, fake):
    fake.script("The school day starts at 8.45am [1].")
    tokens, answer = run(assistant, "What time does the school day start?")
    assert answer.refused and fake.requests == []  # refused before the LLM was called
    assert answer.mode == "generative" and "".join(tokens) == answer.answer and "8.45" not in answer.answer


def test_invented_term_dates_are_never_passed_off_as_sourced(assistant, fake):
    """The issue's case: dates read off a strategy timeline. The evidence check should refuse
    before the model is asked; where it lets the question through, the dates must not survive."""
    fake.script("The autumn term runs from Sept 2024 to Aug 2025 [1]. The spring term starts in January 2026 [2].")
    tokens, answer = run(assistant, "What are the term dates for next year?")
    assert "".join(tokens) == answer.answer
    if fake.requests:
        assert not any(s.supported and re.search(r"\bterms?\b", s.text, re.I) for s in answer.sentences)
        assert "January 2026" not in answer.answer and "autumn term" not in answer.answer
    else:
        assert answer.refused


def test_no_evidence_refuses_without_asking_the_model(assistant, fake):
    _, answer = run(assistant, VISION_Q, filters=Filters(doc_id=["no-such-document"]))
    assert answer.refused and answer.mode == "generative" and answer.citations == []
    assert fake.requests == []


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


def test_markers_used_as_the_content_are_not_an_answer(assistant, fake):
    """The issue's "Every lesson looks like this: [1][3]": a connective with markers says nothing."""
    fake.script("Every lesson looks like this: [1][3]")
    tokens, answer = run(assistant, "What does every lesson look like here?")
    assert answer.answer.startswith(NOT_SUPPORTED) and "looks like this" not in answer.answer
    assert "".join(tokens) == answer.answer and answer.citations


def test_a_sentence_drawing_on_two_passages_is_checked_against_them_together(assistant, fake, monkeypatch):
    def reply(msgs):
        values = number_of(msgs, "Dreaming big")
        mission = number_of(msgs, "Working together we will develop inspirational schools")
        return (f"Dreaming big and Rewarding effort are our values, and we will develop inspirational schools "
                f"which widen horizons and open minds [{values}][{mission}].")  # half from each

    fake.script(reply)
    _, answer = run(assistant, "What are our values?")
    assert answer.sentences[0].supported and answer.sentences[0].citations == [1, 2]
    from assistant.grounding import Grounder

    monkeypatch.setattr(Grounder, "_together", lambda *a: False)  # each passage alone does not carry it
    fake.script(reply)
    _, alone = run(assistant, "What are our values?")
    assert alone.answer.startswith(NOT_SUPPORTED)  # judged passage by passage it is unsupported
