"""Generative answers: an LLM writes from numbered evidence, then every sentence is checked.

The LLM sees only the retrieved evidence (numbered, with title, section and page) and
the question — no history, no other document text — and must cite each sentence with
[n]. Its reply is streamed as it arrives; afterwards it is *grounded*: markers that
point nowhere are dropped, each sentence is compared with the evidence it cites (the
same units, embedder and term overlap as extractive answers) and flagged
`supported=False` when the evidence does not carry it, and each cited passage becomes
a `Citation` with an exact page span. A model that writes fluent nonsense thus cannot
pass it off as sourced: the UI can show which sentences the documents back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pysbd
from llama_index.core.llms import LLM, ChatMessage, MessageRole

from assistant.extractive import OVERLAP_WEIGHT, REFUSAL, Encoder, refusal, score_units
from assistant.models import Answer, Citation, Evidence, Sentence
from assistant.units import BULLET, Unit, citation, overlap, split_units, terms
from ingest.settings import Settings

#: The exact sentence the model must use when the evidence does not answer the question.
NOT_IN_DOCUMENTS = "The documents don't say."
#: Support of a sentence by one passage of the evidence it cites (a sentence, list item or
#: whole bulleted list), measured on the demo corpus with MiniLM: faithful paraphrases score
#: cosine 0.69-1.0 against their source, fabrications that reuse the topic's vocabulary
#: ("the Trust will close all of its schools in Dudley") 0.47-0.63. So a sentence is
#: supported when a passage is close in meaning on its own (cosine ≥ 0.75), or close
#: enough (≥ 0.5) while sharing most of the sentence's content terms (≥ 0.6, stemmed,
#: stopwords removed) — which admits a reordered or shortened quote. What this cannot
#: catch is a fabrication built from the passage's own words ("…will be appointed by the
#: council"): support here means "the cited passage says something this close", not entailment.
SUPPORT_COSINE = 0.75
PARAPHRASE_COSINE = 0.5
PARAPHRASE_OVERLAP = 0.6
#: Uncited sentences are unsupported unless they are connectives ("In summary:",
#: "Here is what the plan says:"): at most this many content terms and words, no digits.
CONNECTIVE_TERMS = 2
CONNECTIVE_WORDS = 8

MARKER_GROUP = re.compile(r"([ \t]*)\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
DIGITS = re.compile(r"\d+")
_segmenter = pysbd.Segmenter(language="en", clean=False)

SYSTEM_PROMPT = """You answer questions about a school trust's documents. Use ONLY the numbered evidence passages in the user's message; never use outside knowledge.
Rules:
- End every sentence with the number of the passage it comes from in square brackets, e.g. [1], or [1][3] when it uses two passages.
- Stay close to the evidence's wording; keep names, numbers and dates exactly as written.
- Write at most {max_sentences} sentences.
- If the evidence does not answer the question, reply with exactly this sentence and nothing else: {refusal}"""


def build_messages(question: str, evidence: list[Evidence], max_sentences: int = 4) -> list[ChatMessage]:
    """The whole prompt: fixed instructions, the numbered evidence, the question. Nothing else."""
    passages = []
    for n, ev in enumerate(evidence, start=1):
        c = ev.chunk
        where = f"{c.title} — {c.section}" if c.section else c.title
        passages.append(f"[{n}] {where}, p. {c.page}:\n{c.text.strip()}")
    user = "Evidence:\n\n" + "\n\n".join(passages) + f"\n\nQuestion: {question.strip()}"
    system = SYSTEM_PROMPT.format(max_sentences=max_sentences, refusal=NOT_IN_DOCUMENTS)
    return [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]


def stream_generative(
    question: str, evidence: list[Evidence], llm: LLM, encode: Encoder, settings: Settings
) -> Iterator[str | Answer]:
    """Yield the LLM's text deltas as they arrive, then the grounded `Answer`."""
    if not evidence:  # nothing the role may read matched: no point asking the model
        yield REFUSAL
        yield _as_generative(refusal([], []))
        return
    parts: list[str] = []
    for response in llm.stream_chat(build_messages(question, evidence, settings.max_answer_sentences)):
        delta = response.delta or ""
        if delta:
            parts.append(delta)
            yield delta
    yield ground(question, "".join(parts), evidence, encode)


def ground(question: str, text: str, evidence: list[Evidence], encode: Encoder) -> Answer:
    """Turn the model's raw reply into an Answer with checked sentences and exact citations."""
    if _is_refusal(text):
        return _as_generative(refusal(evidence, score_units(question, evidence, encode).units))
    order: list[int] = []  # evidence numbers (1-based, as the model wrote them) in order of first use
    for m in MARKER_GROUP.finditer(text):
        for n in _numbers(m.group(2)):
            if 1 <= n <= len(evidence) and n not in order:
                order.append(n)
    renumber = {old: new for new, old in enumerate(order, start=1)}
    raw = _sentences(text)
    cited = [[n for n in _numbers_in(s) if n in renumber] for s in raw]
    plain = [_strip_markers(s) for s in raw]
    keep = [i for i, p in enumerate(plain) if p]
    plain, cited = [plain[i] for i in keep], [cited[i] for i in keep]

    passages = _passages(evidence, set(renumber))
    vectors = np.asarray(encode(plain + [p.text for p in passages])) if plain else np.zeros((0, 1))
    sent_vecs, passage_vecs = vectors[: len(plain)], vectors[len(plain):]

    best: dict[int, tuple[float, Passage | None]] = {n: (-1.0, None) for n in order}
    sentences: list[Sentence] = []
    for i, (sentence, numbers) in enumerate(zip(plain, cited)):
        if not numbers:
            sentences.append(Sentence(text=sentence, citations=[], supported=_is_connective(sentence)))
            continue
        s_terms, close = terms(sentence), False
        for j, passage in enumerate(passages):
            if passage.number not in numbers:
                continue
            cos = float(passage_vecs[j] @ sent_vecs[i])
            ov = overlap(s_terms, passage.text)
            close = close or cos >= SUPPORT_COSINE or (cos >= PARAPHRASE_COSINE and ov >= PARAPHRASE_OVERLAP)
            score = cos + OVERLAP_WEIGHT * ov
            if score > best[passage.number][0]:
                best[passage.number] = (score, passage)
        supported = close and _numbers_found(sentence, [evidence[n - 1] for n in numbers])
        sentences.append(Sentence(text=sentence, citations=[renumber[n] for n in numbers], supported=supported))

    citations: list[Citation] = []
    for old in order:
        ev = evidence[old - 1]
        score, passage = best[old]
        start, end = (passage.start, passage.end) if passage else (ev.chunk.start, ev.chunk.end)
        citations.append(citation(renumber[old], ev, start, end, score if passage else ev.score))
    answer_text = MARKER_GROUP.sub(lambda m: _rewrite(m, renumber), text).strip()
    return Answer(answer=answer_text, citations=citations, refused=False, mode="generative", sentences=sentences)


# -- helpers ---------------------------------------------------------------------------------
@dataclass
class Passage:
    number: int  # 1-based evidence number, as in the prompt
    text: str
    start: int  # page offsets
    end: int


def _passages(evidence: list[Evidence], numbers: set[int]) -> list[Passage]:
    """What a cited sentence is compared with: each unit of the cited chunks, plus each whole
    bulleted list, since "the values are A, B and C" is supported by the list, not by any item."""
    out: list[Passage] = []
    runs: dict[tuple[int, int], list[Unit]] = {}
    for u in split_units(evidence):
        if u.evidence + 1 not in numbers:
            continue
        out.append(Passage(u.evidence + 1, u.text, u.start, u.end))
        if u.run >= 0:
            runs.setdefault((u.evidence, u.run), []).append(u)
    for (idx, _), members in runs.items():
        if sum(m.kind == "item" for m in members) >= 2:
            c = evidence[idx].chunk
            start, end = members[0].start, members[-1].end
            out.append(Passage(idx + 1, c.text[start - c.start : end - c.start], start, end))
    return out


def _as_generative(answer: Answer) -> Answer:
    answer.mode = "generative"
    return answer


def _normalise(text: str) -> str:
    text = MARKER_GROUP.sub("", text).replace("’", "'").replace("‘", "'").lower()
    return " ".join(text.split()).strip(" .!\"'*_")


def _is_refusal(text: str) -> bool:
    """The model's fixed 'not in the documents' sentence (or nothing at all) and no cited claim after it."""
    norm = _normalise(text)
    if not norm:
        return True
    fixed = {_normalise(NOT_IN_DOCUMENTS), "the documents do not say"}
    if norm in fixed:
        return True
    first, *rest = _sentences(text) or [""]
    return _normalise(first) in fixed and not any(MARKER_GROUP.search(r) for r in rest)


def _sentences(text: str) -> list[str]:
    """Sentences and list items of the reply; a marker group that pysbd put at the start of
    the next sentence ("... today. [2] Next ...") is moved back to the sentence it ends."""
    out: list[str] = []
    for line in text.split("\n"):
        bullet = BULLET.match(line)
        body = line[bullet.end():] if bullet else line
        if not body.strip():
            continue
        for segment in _segmenter.segment(body):
            lead = LEADING_MARKERS.match(segment)
            if lead and out:
                out[-1] += lead.group(0)
                segment = segment[lead.end():]
            if segment.strip():
                out.append(segment.strip())
    return out


def _numbers(group: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", group)]


def _numbers_in(sentence: str) -> list[int]:
    seen: list[int] = []
    for m in MARKER_GROUP.finditer(sentence):
        seen += [n for n in _numbers(m.group(2)) if n not in seen]
    return seen


def _strip_markers(sentence: str) -> str:
    text = MARKER_GROUP.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return " ".join(text.split())


def _rewrite(m: re.Match, renumber: dict[int, int]) -> str:
    kept = []
    for n in _numbers(m.group(2)):
        if n in renumber and renumber[n] not in kept:
            kept.append(renumber[n])
    return m.group(1) + "".join(f"[{k}]" for k in kept) if kept else ""


def _is_connective(sentence: str) -> bool:
    return (
        len(terms(sentence)) <= CONNECTIVE_TERMS
        and len(sentence.split()) <= CONNECTIVE_WORDS
        and not DIGITS.search(sentence)
    )


def _numbers_found(sentence: str, cited: list[Evidence]) -> bool:
    """Every number in the sentence (a year, a count, a percentage) appears in what it cites.

    Invented figures are the commonest hallucination and the one an embedding barely
    notices ("by 2030" vs "by 2027"), so they are checked literally."""
    wanted = set(DIGITS.findall(sentence))
    if not wanted:
        return True
    have: set[str] = set()
    for ev in cited:
        c = ev.chunk
        have |= set(DIGITS.findall(f"{c.title} {c.section} {c.page} {c.text}"))
    return wanted <= have
