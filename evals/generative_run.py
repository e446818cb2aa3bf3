"""`ethos eval golden --mode generative`: the golden questions answered by a real LLM, beside extractive.

Each case of the chosen half is answered twice in the same process, on the same index:
extractive, then generative (`Assistant.stream`, the call the API makes), so the two columns
differ only in the answering step. Per answer it records what a user sees and when: the time
to the first streamed piece and to the final answer, and (through `TimedLLM`, a thin wrapper
around the configured LLM) when the model itself wrote its first token, how many it wrote and
how long its prompt was, so reading and writing speed come from the same run. Every answer is
appended to a JSON-lines file as soon as it is scored, so a run cut short still gives figures
and `--resume` carries on where it stopped. Scoring reuses `evals.cases.judge` (containment,
citations on a gold page, words) and `evals.golden.verbatim_citations`; the report
(`evals.generative_report`) aggregates with `evals.cases.summary`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.models import Answer, Principal
from assistant.service import Assistant
from evals.cases import Case, golden_cases, judge
from evals.golden import verbatim_citations

Log = Callable[[str], None]
MODES = ("extractive", "generative")


class TimedLLM:
    """Delegates to the real LLM; records each streamed call's prompt size and token timings.

    `stream_text` (assistant.llm) drives `stream_chat` from a worker thread; the wrapper only
    watches the deltas go by, so the answer is exactly what the unwrapped model gives."""

    def __init__(self, llm: Any) -> None:
        self._llm = llm
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    def prompt_tokens(self, messages: Any) -> tuple[int, bool]:
        """Exact with an in-process GGUF (its own tokenizer and chat template), else the estimate."""
        from assistant.llm import chatml, count_tokens

        model = getattr(self._llm, "_model", None)
        text = chatml(messages)
        if model is not None and hasattr(model, "tokenize"):
            return len(model.tokenize(text.encode("utf-8"), add_bos=False, special=True)), True
        return count_tokens(text), False

    def stream_chat(self, messages: Any, **kwargs: Any) -> Iterator[Any]:
        tokens, exact = self.prompt_tokens(messages)
        call: dict[str, Any] = {"prompt_tokens": tokens, "prompt_exact": exact, "first_s": None, "last_s": None,
                                "deltas": 0, "raw": "",
                                "user": next((m.content for m in messages if m.role.value == "user"), "")}
        self.calls.append(call)
        started = time.monotonic()
        for response in self._llm.stream_chat(messages, **kwargs):
            if response.delta:
                now = time.monotonic() - started
                call["first_s"] = call["first_s"] if call["first_s"] is not None else now
                call["last_s"] = now
                call["deltas"] += 1
                call["raw"] += response.delta
            yield response


def timed_answer(assistant: Assistant, case: Case, principal: Principal, mode: str) -> tuple[Answer, float, float]:
    """The streamed answer with the time (ms) to its first piece and to the final `Answer`."""
    started, first = time.perf_counter(), None
    for event in assistant.stream(case.question, principal, history=case.history, mode=mode):  # type: ignore[arg-type]
        if isinstance(event, Answer):
            total = (time.perf_counter() - started) * 1000
            return event, (first if first is not None else total), total
        if first is None and event:
            first = (time.perf_counter() - started) * 1000
    raise RuntimeError(f"{case.id}: the stream ended without an answer")


def record(assistant: Assistant, case: Case, principal: Principal, mode: str) -> dict[str, Any]:
    """One answer scored and timed, as a JSON-ready row (the model's own timings when it was called)."""
    llm = assistant.llm if isinstance(assistant.llm, TimedLLM) else None
    calls_before = len(llm.calls) if llm else 0
    ans, first_ms, total_ms = timed_answer(assistant, case, principal, mode)
    o = judge(case, ans, total_ms)
    calls = llm.calls[calls_before:] if llm else []
    model = calls[-1] if calls else None
    return {
        "set": case.set, "id": case.id, "half": case.half, "unanswerable": case.unanswerable,
        "question": case.question, "query": ans.query, "mode": mode, "answer_mode": ans.mode,
        "fallback": mode == "generative" and ans.mode == "extractive",
        "refused": o.refused, "containment": o.containment, "on_gold": o.on_gold, "citations": o.citations,
        "verbatim": verbatim_citations(ans, assistant.kb, principal), "words": o.words,
        "first_ms": first_ms, "total_ms": total_ms, "answer": ans.answer,
        "sentences": [s.model_dump() for s in ans.sentences],
        "cited": [{"n": c.n, "doc_id": c.doc_id, "page": c.page, "quote": c.quote} for c in ans.citations],
        "llm_called": bool(calls), "llm": describe(assistant),
        "model": None if model is None else {k: model[k] for k in
                                             ("prompt_tokens", "prompt_exact", "first_s", "last_s", "deltas", "raw")},
        "prompt": None if model is None else model["user"],  # for the hand check of flags; not committed
    }


def describe(assistant: Assistant) -> str:
    """Which model answered: the GGUF file, or the server and model name."""
    s = assistant.settings
    return f"`{s.llm_gguf_path.name}` in process" if s.llm_gguf_path and not s.llm_base_url else \
        f"`{s.llm_model}` at {s.llm_base_url}"


def select(set_name: str, half: str, limit: int | None, ids: list[str] | None = None) -> list[Case]:
    """The set's cases of `half` (`all`: both) in file order, optionally only `ids`, at most `limit`."""
    cases = [c for c in golden_cases(set_name) if half == "all" or c.half == half]
    if ids:
        cases = [c for c in cases if c.id in ids]
    return cases[:limit] if limit else cases


def done_keys(path: Path) -> set[tuple[str, str, str]]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["set"], r["id"], r["mode"]) for r in rows}


def run(assistants: dict[str, Assistant], cases: dict[str, list[Case]], items: Path, principal_for: Callable,
        resume: bool = False, log: Log = print, budget_s: float | None = None) -> int:
    """Answer every case in both modes, appending each scored answer to `items`; returns rows written.

    Stops starting new cases once `budget_s` has passed (the run is bounded; what was written stands)."""
    items.parent.mkdir(parents=True, exist_ok=True)
    if not resume and items.exists():
        items.unlink()
    done = done_keys(items)
    started, written = time.monotonic(), 0
    for set_name, set_cases in cases.items():
        assistant = assistants[set_name]
        principal = principal_for(assistant.settings)
        for case in set_cases:
            if budget_s is not None and time.monotonic() - started > budget_s:
                log(f"time budget of {budget_s:.0f} s reached: stopping before {case.id}")
                return written
            for mode in MODES:
                if (set_name, case.id, mode) in done:
                    continue
                row = record(assistant, case, principal, mode)
                with open(items, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
                log(f"{case.id} {mode:10s} {row['answer_mode']:10s} refused={row['refused']!s:5s} "
                    f"containment={row['containment']:.2f} first={row['first_ms'] / 1000:.1f}s "
                    f"total={row['total_ms'] / 1000:.1f}s")
    return written


def evaluate(sets: list[str], half: str, limit: int | None, items: Path, keep: Path, llm_settings: dict[str, Any],
             resume: bool = False, budget_s: float | None = None, ids: list[str] | None = None,
             log: Log = print) -> int:
    """Open each set's kept index, load the configured LLM once, and answer the chosen cases."""
    from assistant.llm import build_llm
    from evals.corpora import open_corpus, reader
    from ingest.settings import Settings

    base = Settings(llm_base_url=None, llm_gguf_path=None, chroma_host=None).model_copy(update=llm_settings)
    started = time.monotonic()
    llm = TimedLLM(build_llm(base))
    log(f"LLM ready in {time.monotonic() - started:.0f}s: {base.llm_base_url or base.llm_gguf_path}")
    assistants, cases = {}, {}
    for name in sets:
        assistant = open_corpus(name, keep, base.model_copy(update={"llm_base_url": None, "llm_gguf_path": None}))
        assistant.settings = base.model_copy(update={"data_dir": assistant.settings.data_dir})
        assistant.llm = llm
        assistant.ask("warm up", reader(assistant.settings), mode="extractive")
        assistants[name], cases[name] = assistant, select(name, half, limit, ids)
        log(f"{name}: {len(cases[name])} {half} cases")
    return run(assistants, cases, items, reader, resume=resume, log=log, budget_s=budget_s)
