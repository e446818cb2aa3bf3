"""Answering is bounded and cheap reads never queue behind it (issue 10's load target).

A real uvicorn server over the session's demo index, answering through a real (fake-remote)
LLM that stalls, so every answer holds its slot for seconds. The server's default thread
pool is shrunk below the number of waiting answers: if answers ever took (or waited in) that
pool again, `/api/health` and `/api/documents` would wait seconds for a thread. Speed proper
is measured by evals/bench_load.py; the bounds here are loose on purpose (a shared machine).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator

import anyio.to_thread
import httpx
import pytest

from assistant.api import create_app
from assistant.api.answering import stream_answer
from tests.fake_llm import FakeLLM, Stall
from tests.servers import serve

ANSWER_WORKERS = 2
DEFAULT_THREADS = 8  # below the number of answers waiting at once
SLOW_ANSWERS = 12  # asks, streamed chats and OpenAI-style completions
STALL_S = 3.0  # a reply this slow; an answer on the shared pool would hold a cheap read this long
QUESTION = "What will the Trust's reputation be by 2027?"  # passes the evidence check: the LLM is asked


class SmallThreadPool:
    """ASGI wrapper: shrink the server loop's default thread limiter at start-up (test only)."""

    def __init__(self, app, tokens: int) -> None:
        self.app, self.tokens = app, tokens

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.tokens
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[FakeLLM]:
    with FakeLLM(default=Stall(seconds=STALL_S, ping_s=0.2)) as fake:
        yield fake


@pytest.fixture(scope="module")
def slow_server(demo_settings, assistant, slow_llm) -> Iterator[str]:
    from assistant.service import Assistant

    settings = demo_settings.model_copy(update={"llm_base_url": slow_llm.url, "llm_model": "fake",
                                                "llm_context_window": 4096, "answer_workers": ANSWER_WORKERS})
    app = create_app(settings, Assistant(settings, kb=assistant.kb))
    with serve(SmallThreadPool(app, DEFAULT_THREADS), name="ethos-load-test") as base:
        yield base


def test_the_answer_limiter_is_one_per_app_and_sized_as_configured(demo_settings, assistant):
    configured = create_app(demo_settings.model_copy(update={"answer_workers": 3}), assistant)
    assert configured.state.answer_limiter.total_tokens == 3
    default = create_app(demo_settings.model_copy(update={"answer_workers": 0}), assistant)
    assert default.state.answer_limiter.total_tokens == (os.cpu_count() or 1)


def test_cheap_reads_stay_fast_while_answers_are_saturated(slow_server, slow_llm):
    slow_llm.reset()
    results: list[int] = []
    in_flight, done = [0], threading.Event()

    def watch() -> None:  # the LLM's concurrent requests: exactly the answers being computed
        while not done.is_set():
            in_flight[0] = max(in_flight[0], len(slow_llm.requests) - slow_llm.closed)
            time.sleep(0.01)

    def answer(i: int) -> None:
        body = {"question": QUESTION, "mode": "generative"}
        with httpx.Client(base_url=slow_server, timeout=120) as http:
            if i % 3 == 2:  # the OpenAI-compatible surface answers on the same slots
                r = http.post("/v1/chat/completions", json={"model": "ethos", "messages": [
                    {"role": "user", "content": QUESTION}]})
                results.append(r.status_code if r.status_code != 200 or r.json().get("choices") else -3)
            elif i % 3:
                r = http.post("/api/ask", json=body)
                results.append(r.status_code if r.status_code != 200 or "answer" in r.json() else -1)
            else:
                with http.stream("POST", "/api/chat", json=body) as r:
                    text = "".join(r.iter_text())
                results.append(r.status_code if "event: done" in text else -2)

    threads = [threading.Thread(target=watch)] + [threading.Thread(target=answer, args=(i,))
                                                  for i in range(SLOW_ANSWERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(slow_llm.requests) < ANSWER_WORKERS and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(slow_llm.requests) >= ANSWER_WORKERS, "the slow answers never reached the LLM"
    timings: dict[str, list[float]] = {"/api/health": [], "/api/documents": []}
    with httpx.Client(base_url=slow_server, timeout=30) as http:
        for _ in range(5):
            for path, seen in timings.items():
                started = time.perf_counter()
                assert http.get(path).status_code == 200
                seen.append(time.perf_counter() - started)
    waiting = SLOW_ANSWERS - len(slow_llm.requests)
    for t in threads[1:]:
        t.join(timeout=120)
    done.set()
    threads[0].join()
    print({path: [f"{s * 1000:.0f} ms" for s in seen] for path, seen in timings.items()},
          f"answers still waiting for a slot while reads ran: {waiting}, max concurrent at the LLM: {in_flight[0]}")
    assert waiting > 0, "the answers were not saturated while the reads were timed"
    assert max(max(seen) for seen in timings.values()) < 2.0, timings
    assert results == [200] * SLOW_ANSWERS, results
    assert in_flight[0] == ANSWER_WORKERS  # bounded, and the bound is used: all three surfaces share it


def test_stream_answer_yields_events_as_made_and_raises_after_the_events_before_an_error():
    asyncio.run(_stream_answer_checks())


async def _stream_answer_checks() -> None:
    limiter = anyio.CapacityLimiter(1)

    def events() -> Iterator[str]:
        yield from ("a ", "b ", "c")
        raise RuntimeError("model went away")

    seen = []
    with pytest.raises(RuntimeError, match="model went away"):
        async for event in stream_answer(limiter, events()):
            seen.append(event)
    assert seen == ["a ", "b ", "c"]

    def slow() -> Iterator[int]:
        for i in range(3):
            yield i
            time.sleep(0.3)

    started, arrivals = time.perf_counter(), []
    async for event in stream_answer(limiter, slow()):
        arrivals.append((event, time.perf_counter() - started, limiter.borrowed_tokens))
    assert [e for e, _, _ in arrivals] == [0, 1, 2]
    assert arrivals[0][1] < 0.25, arrivals  # each event as soon as it is made, not after the next one
    assert all(tokens == 1 for _, _, tokens in arrivals)  # the stream holds its one answer slot
