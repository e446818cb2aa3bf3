"""Answering runs on its own small pool, so cheap reads never queue behind it.

Plain `def` routes, their plain `def` dependencies and every step of a sync streaming body
all run on anyio's one default limiter (40 threads). Under 50 clients the CPU-heavy answers
held those threads and `/api/health` or `/api/documents` waited behind them (p95 1.2 s
measured by evals/bench_load.py), while 40 answers at once on 2 cores finish no sooner than
2 at a time. Here answers take a token of a separate `CapacityLimiter` sized to the cores
(`Settings.answer_workers`, 0 → one per core): an answer waiting for a token holds no thread,
so the default pool stays free for cheap reads. Nothing is rejected: a request waits its turn.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from ingest.settings import Settings

T = TypeVar("T")
BATCH_S = 0.02  # a streamed step returns what its answer produced within this long of the step's first event


def workers(settings: Settings) -> int:
    """How many answers are computed at once: the configured number, else one per core."""
    return settings.answer_workers if settings.answer_workers > 0 else (os.cpu_count() or 1)


def answer_limiter(settings: Settings) -> CapacityLimiter:
    """One per app, shared by every answering route (created outside the loop; anyio binds it lazily)."""
    return CapacityLimiter(workers(settings))


async def run_answer(limiter: CapacityLimiter, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` on a worker thread once one of the limiter's tokens is free."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=limiter)


async def stream_answer(limiter: CapacityLimiter, events: Iterator[T], batch_s: float = BATCH_S) -> AsyncIterator[T]:
    """Iterate a sync answer stream on answer workers, yielding its events in order.

    Each step takes a token and returns every event produced within `batch_s` of its first, so
    an extractive answer (its words all ready together) costs one step rather than one thread
    hop per word, while an LLM's tokens still reach the client within `batch_s`. An error
    raised by the stream is raised here after the events produced before it.
    """
    while True:
        batch, done, error = await anyio.to_thread.run_sync(_next_batch, events, batch_s, limiter=limiter)
        for event in batch:
            yield event
        if error is not None:
            raise error
        if done:
            return


def _next_batch(events: Iterator[T], batch_s: float) -> tuple[list[T], bool, BaseException | None]:
    batch: list[T] = []
    deadline = None
    try:
        for event in events:
            batch.append(event)
            deadline = deadline or time.monotonic() + batch_s
            if time.monotonic() >= deadline:
                return batch, False, None
    except Exception as exc:  # noqa: BLE001 - re-raised by stream_answer after the events before it
        return batch, True, exc
    return batch, True, None
