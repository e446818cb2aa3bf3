"""The answering service: question (+ history, filters, principal) → evidence → Answer.

One `Assistant` per process: it holds the loaded embedder, index and optional
LLM, and is safe to share between concurrent requests (no per-request state is
stored on it). The API, the chat UI and the evals all call this, so they all
see the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal, TypedDict, Unpack

import numpy as np

from assistant.commitments import answer_from_tracker, is_commitment_question
from assistant.reviews import answer_reviews, is_review_question
from assistant.extractive import answer_scored, score_question
from assistant.followup import condense_without_llm
from assistant.knowledge import KnowledgeBase
from assistant.phrasing import core_question
from assistant.planted import warn_planted
from assistant.models import Answer, Evidence, Filters, Principal, RetrievalResult, Turn
from assistant.retrieval import Mode, Retriever
from assistant.scoring import AnswerParams, Scored
from ingest.embedding import encode
from ingest.settings import Settings

AnswerMode = Literal["auto", "extractive", "generative"]


class AskOptions(TypedDict, total=False):
    """`stream`'s optional arguments, so `ask` takes exactly the same ones."""

    history: list[Turn] | None
    filters: Filters | None
    mode: AnswerMode
    retrieval: Mode


class Assistant:
    def __init__(self, settings: Settings, kb: KnowledgeBase | None = None, llm: Any = None) -> None:
        self.settings = settings
        if kb is None:  # its own knowledge base: files uploaded here go when another server removes them
            from assistant.uploads import forget_removed_uploads

            kb = KnowledgeBase(settings)
            kb.on_foreign_removal.append(lambda removed: forget_removed_uploads(settings, kb.docs, removed))
        self.kb = kb
        self.retriever = Retriever(self.kb, settings)
        if llm is None and (settings.llm_base_url or settings.llm_gguf_path):
            from assistant.llm import build_llm

            llm = build_llm(settings)
        self.llm = llm

    # -- building blocks ----------------------------------------------------------------
    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(encode(self.kb.embedder, texts))

    def condense(self, question: str, history: list[Turn], mode: AnswerMode = "auto") -> str:
        """The follow-up as a stand-alone question, without the chat message's greetings and thanks
        (`assistant.phrasing`). Only generative answers (asked for, or `auto` with an LLM) use the
        LLM here: an extractive answer never waits on a model."""
        question = core_question(question)
        if not history:
            return question
        if self.llm is not None and mode != "extractive":
            from assistant.llm import condense_with_llm

            return condense_with_llm(self.llm, question, history, self.settings.llm_condense_deadline_s)
        return condense_without_llm(question, history)

    def evidence(
        self, query: str, principal: Principal, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> tuple[list[Evidence], dict[str, float]]:
        result = self.retriever.retrieve(query, principal, filters, mode=mode)
        return result.evidence, result.timings

    def answer_from(self, query: str, asked: str, result: RetrievalResult) -> Answer:
        """The extractive answer, or refusal, for what retrieval found: the default answer, and
        the evidence check a generative answer must pass before the LLM is asked."""
        answer = answer_scored(query, result.evidence, self.score(query, result), self.settings.answer_words,
                               outline=self.kb.outline, asked=asked)
        answer.scope = result.scope
        return answer

    def score(self, query: str, result: RetrievalResult, params: AnswerParams | None = None) -> Scored:
        """Every unit and passage of the evidence scored against the query (no embedding here)."""
        keyword, readable = self.kb.keyword, result.readable
        if keyword is None:
            doc_freq, size = (lambda stem: 0), 0
        else:  # only what the asker may read counts as "in the corpus"
            doc_freq = lambda stem: keyword.document_frequency(stem, readable)  # noqa: E731
            size = int(readable.sum()) if readable is not None else keyword.size
        return score_question(query, result.evidence, result.query_vector, self.encode, doc_freq, size, params,
                              blocks=self.kb.block_spans)

    # -- answers ------------------------------------------------------------------------
    def ask(self, question: str, principal: Principal, **options: Unpack[AskOptions]) -> Answer:
        """The whole answer at once: `stream` run to its end."""
        answer: Answer | None = None
        for event in self.stream(question, principal, **options):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        principal: Principal,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        mode: AnswerMode = "auto",
        retrieval: Mode = "hybrid",
    ) -> Iterator[str | Answer]:
        """Yields answer text as it is produced, then the final `Answer` (with citations) last."""
        started = time.perf_counter()
        query = self.condense(question.strip(), history or [], mode)
        condensed = time.perf_counter()
        # the review register and the commitments tracker answer with the request's filters and role
        tracked = answer_reviews(query, self.kb, principal, filters) if is_review_question(query) else None
        if tracked is None and is_commitment_question(query):
            tracked = answer_from_tracker(query, self.kb, principal, filters,
                                          llm=None if mode == "extractive" else self.llm)
        if tracked is not None:
            tracked.query = query  # pledges and deadlines are answered from the tracker, as a list
            tracked.timings = {"total_ms": (time.perf_counter() - started) * 1000}
            yield from _words(tracked.answer)
            yield tracked
            return
        result = self.retriever.retrieve(query, principal, filters, mode=retrieval)
        query = result.query  # as searched: its typos corrected to the documents' words
        evidence, timings = result.evidence, result.timings
        use_llm = mode == "generative" or (mode == "auto" and self.llm is not None)
        if use_llm and self.llm is None:
            raise ValueError("generative mode needs an LLM: set ETHOS_LLM_BASE_URL or ETHOS_LLM_GGUF_PATH")
        answer = self.answer_from(query, question, result)
        if use_llm and not answer.refused:
            from assistant.generative import stream_generative

            # Evidence first: the extractive check above (and its refusal) runs before the LLM is
            # asked; the model only phrases what passed, and the extractive answer is its fallback.
            final: Answer | None = None
            for event in stream_generative(query, evidence, self.llm, self.encode, self.settings, answer):
                if isinstance(event, Answer):
                    final = event
                else:
                    yield event
            assert final is not None
            answer = final
        else:
            if use_llm:
                answer.mode = "generative"  # refused before the model was asked
            for word in _words(answer.answer):
                yield word
        answer.query = query
        answer.timings = {
            "condense_ms": (condensed - started) * 1000,
            **timings,
            "total_ms": (time.perf_counter() - started) * 1000,
        }
        warn_planted(answer)  # a cited passage that addresses an AI gets a visible warning
        yield answer


def _words(text: str) -> Iterator[str]:
    """Extractive answers are complete at once; stream them word by word for a uniform client."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]
