"""Generative answers: an LLM phrases what the evidence supports, checked sentence by sentence.

The service runs the extractive evidence check first and only calls this when it passed, so
the model is never asked a question the documents cannot answer. The LLM sees only the
numbered evidence (trimmed to the prompt's token budget) and the question, and is asked to
cite each sentence with [n]. Its reply is checked *as it streams* (`assistant.grounding`):
each finished sentence is judged against the evidence, its markers renumbered in order of
first use, and only then sent on — so the text a client receives token by token is exactly
the final answer, with the same numbers. Until a supported sentence arrives, sentences are
held back: a reply in which nothing is supported is replaced by the extractive answer with a
note, never shown as if it were sourced, and so is a refusal when the evidence check passed
(the extractive answer exists, so "the documents don't say" would be wrong). A failed, empty or overdue reply is reported as
"the language model failed" (the reason logged), never as "not in the documents".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from llama_index.core.llms import LLM, ChatMessage, MessageRole

from assistant.extractive import Encoder, refusal
from assistant.grounding import Grounder, Judged, complete, spans
from assistant.llm import LLMFailure, context_window, count_tokens, stream_text
from assistant.models import Answer, Citation, Evidence, Sentence
from assistant.units import Unit, citation, split_units
from ingest.settings import Settings

log = logging.getLogger(__name__)

#: The exact sentence the model must use when the evidence does not answer the question.
NOT_IN_DOCUMENTS = "The documents don't say."
LLM_FAILED = "The language model failed, so this answer quotes the documents instead:"
LLM_FAILED_PARTWAY = "(The language model failed before finishing; the answer above may be incomplete.)"
NOT_SUPPORTED = "The language model's answer was not supported by the documents, so this answer quotes them instead:"
MODEL_DECLINED = "The language model declined to answer, but the documents do cover this, so this answer quotes them:"
#: Tokens kept free beyond the estimate: chat-template tokens and the estimate's error.
PROMPT_MARGIN = 96

SYSTEM_PROMPT = """You answer questions about a school trust's documents. Use ONLY the numbered evidence passages in the user's message; never use outside knowledge.
Rules:
- End every sentence with the number of the passage it comes from in square brackets, e.g. [1], or [1][3] when it uses two passages.
- Stay close to the evidence's wording; keep names, numbers and dates exactly as written.
- Write at most {max_sentences} sentences.
- If the evidence does not answer the question, reply with exactly this sentence and nothing else: {refusal}"""


class Piece(str):
    """Streamed answer text that knows the sentence it renders (so /v1 can flag it inline)."""

    sentence: Sentence | None = None


def build_messages(
    question: str, evidence: list[Evidence], max_sentences: int = 4, budget: int | None = None
) -> tuple[list[ChatMessage], list[Evidence]]:
    """The whole prompt (instructions, numbered evidence, question) and the evidence it holds.

    With a `budget` (tokens), passages are added in rank order while they fit; the first is
    shortened if even it does not, so the prompt can never exceed the model's window."""
    system = SYSTEM_PROMPT.format(max_sentences=max_sentences, refusal=NOT_IN_DOCUMENTS)
    tail = f"\n\nQuestion: {question.strip()}"
    left = None if budget is None else budget - count_tokens(system) - count_tokens("Evidence:\n\n" + tail)
    passages: list[str] = []
    used: list[Evidence] = []
    for n, ev in enumerate(evidence, start=1):
        c = ev.chunk
        where = f"{c.title} — {c.section}" if c.section else c.title
        text = f"[{n}] {where}, p. {c.page}:\n{c.text.strip()}"
        if left is not None:
            cost = count_tokens(text) + 1
            if cost > left:
                if not used and left > 40:  # not even one whole passage fits: keep its start
                    passages.append(text[: int(left * 3)].rsplit(" ", 1)[0] + " …")
                    used.append(ev)
                break
            left -= cost
        passages.append(text)
        used.append(ev)
    user = "Evidence:\n\n" + "\n\n".join(passages) + tail
    return [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)], used


def stream_generative(
    question: str, evidence: list[Evidence], llm: LLM, encode: Encoder, settings: Settings,
    checked: Answer | None = None,
) -> Iterator[str | Answer]:
    """Yield checked answer text as it is produced, then the final `Answer` (equal to the text).

    `checked` is the extractive answer for the same evidence: the fallback when the model
    fails or says nothing the documents support."""
    if not evidence:  # nothing the role may read matched: no point asking the model
        yield from _finish(_as_generative(refusal([], [])))
        return
    budget = context_window(llm) - settings.llm_max_tokens - PROMPT_MARGIN
    messages, used = build_messages(question, evidence, settings.max_answer_sentences, budget)
    grounder = Grounder(used, encode)
    state = _Answering(used)
    raw, judged_upto = "", 0
    try:
        for delta in stream_text(llm, messages, settings.llm_deadline_s):
            raw += delta
            done, _ = complete(raw)
            for lead, sentence in done[judged_upto:]:
                yield from state.add(grounder.judge(lead, sentence))
            judged_upto = max(judged_upto, len(done))
        if not raw.strip():
            raise LLMFailure("the model returned an empty reply")
    except LLMFailure as exc:
        log.warning("the language model failed: %s", exc)
        if state.answered:
            yield from state.emit(Piece("\n\n" + LLM_FAILED_PARTWAY))
            yield state.answer()
        else:
            yield from _finish(_fallback(LLM_FAILED, checked, used, question, encode))
        return
    for lead, sentence in spans(raw)[judged_upto:]:
        yield from state.add(grounder.judge(lead, sentence))
    if state.answered:
        yield state.answer()
    elif state.refused and checked is not None and not checked.refused:
        # The evidence check passed, so the extractive answer stands; a small model's "the documents
        # don't say" here is over-caution (issue 14's benchmark: 33 of 36 such refusals were answerable).
        yield from _finish(_fallback(MODEL_DECLINED, checked, used, question, encode))
    elif state.refused:  # the model read the evidence and said it does not answer this
        yield from _finish(_as_generative(refusal(used, _scored_units(question, used, encode))))
    else:
        yield from _finish(_fallback(NOT_SUPPORTED, checked, used, question, encode))


class _Answering:
    """The answer so far: what was sent, the numbering, and sentences held back until one is supported."""

    def __init__(self, evidence: list[Evidence]) -> None:
        self.evidence = evidence
        self.renumber: dict[int, int] = {}
        self.best: dict[int, tuple[float, object]] = {}
        self.held: list[Judged] = []
        self.sent: list[str] = []
        self.sentences: list[Sentence] = []
        self.answered = False
        self.refused = False

    def add(self, j: Judged) -> Iterator[Piece]:
        if j.kind == "refusal":
            self.refused = True
        if not self.answered and not (j.kind == "claim" and j.supported):
            self.held.append(j)
            return
        self.answered = True
        for held in self.held:
            yield from self._render(held)
        self.held = []
        yield from self._render(j)

    def _render(self, j: Judged) -> Iterator[Piece]:
        numbers = j.numbers if j.kind == "claim" else []
        for n in numbers:
            self.renumber.setdefault(n, len(self.renumber) + 1)
            if n in j.best and j.best[n][0] > self.best.get(n, (-9.0, None))[0]:
                self.best[n] = j.best[n]
        cites = [self.renumber[n] for n in numbers]
        sentence = Sentence(text=j.text, citations=cites, supported=j.supported)
        self.sentences.append(sentence)
        lead = j.lead if self.sent else j.lead.lstrip()
        yield from self.emit(Piece(lead + j.text + ("".join(f" [{c}]" for c in cites[:1])
                                                     + "".join(f"[{c}]" for c in cites[1:]))), sentence)

    def emit(self, piece: Piece, sentence: Sentence | None = None) -> Iterator[Piece]:
        piece.sentence = sentence
        self.sent.append(piece)
        yield piece

    def answer(self) -> Answer:
        citations: list[Citation] = []
        for old, new in self.renumber.items():
            ev = self.evidence[old - 1]
            score, passage = self.best.get(old, (ev.score, None))
            start, end = (passage.start, passage.end) if passage else (ev.chunk.start, ev.chunk.end)
            citations.append(citation(new, ev, start, end, score))
        return Answer(answer="".join(self.sent), citations=citations, refused=False, mode="generative",
                      sentences=self.sentences)


def _fallback(note: str, checked: Answer | None, evidence: list[Evidence], question: str, encode: Encoder) -> Answer:
    """The extractive answer, introduced by why it replaces the model's."""
    if checked is None or checked.refused:
        return _as_generative(refusal(evidence, _scored_units(question, evidence, encode)))
    return checked.model_copy(update={
        "answer": f"{note}\n\n{checked.answer}",
        "sentences": [Sentence(text=note, citations=[]), *checked.sentences],
        "mode": "extractive",
    })


def _scored_units(question: str, evidence: list[Evidence], encode: Encoder) -> list[Unit]:
    """The evidence's units scored by closeness to the question: a refusal quotes the closest."""
    units = split_units(evidence)
    if units:
        vectors = encode([question] + [u.text for u in units])
        for unit, sim in zip(units, vectors[1:] @ vectors[0]):
            unit.score = float(sim)
    return units


def _finish(answer: Answer) -> Iterator[str | Answer]:
    """A whole answer at once: its text as one piece (so streamed text equals it), then it."""
    yield Piece(answer.answer)
    yield answer


def _as_generative(answer: Answer) -> Answer:
    answer.mode = "generative"
    return answer
