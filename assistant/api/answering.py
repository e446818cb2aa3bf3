"""Answering runs on its own small pool, so cheap reads never queue behind it.

Plain `def` routes, their plain `def` dependencies and every step of a sync streaming body
all run on anyio's one default limiter (40 threads). Under 50 clients the CPU-heavy answers
held those threads and `/api/health` or `/api/documents` waited behind them (p95 1.2 s
measured by evals/bench_load.py), while 40 answers at once on 2 cores finish no sooner than
2 at a time. Here answers take a token of a separate `CapacityLimiter` sized to the cores
(`Settings.answer_workers`, 0 → one per core): an answer waiting for a token holds no thread,
so the default pool stays free for cheap reads. Nothing is rejected: a request waits its turn.
The web page's answers take the same tokens (`stream_answer` from the chat, `answer_from_worker`
from the page's other sync callbacks), so Gradio's queue adds no answers beside the API's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import anyio.from_thread
import anyio.to_thread
from anyio import CapacityLimiter, NoEventLoopError

from ingest.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)


def workers(settings: Settings) -> int:
    """How many answers are computed at once: the configured number, else one per core."""
    return settings.answer_workers if settings.answer_workers > 0 else (os.cpu_count() or 1)


def answer_limiter(settings: Settings) -> CapacityLimiter:
    """One per app, shared by every answering route (created outside the loop; anyio binds it lazily)."""
    return CapacityLimiter(workers(settings))


async def run_answer(limiter: CapacityLimiter, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` on a worker thread once one of the limiter's tokens is free."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=limiter)


def answer_from_worker(limiter: CapacityLimiter, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`run_answer` for sync code on a worker thread of the app's event loop (a Gradio callback): this
    thread waits while `func` runs on an answer worker, in turn with the API's answers. Called where
    there is no loop (a handler called directly), `func` just runs here: there is no turn to take."""
    try:
        anyio.from_thread.run_sync(_nothing)  # is there a loop to go back to?
    except NoEventLoopError:
        return func(*args, **kwargs)
    return anyio.from_thread.run(partial(run_answer, limiter, func, *args, **kwargs))


def _nothing() -> None:
    return None


async def stream_answer(limiter: CapacityLimiter, events: Iterator[T]) -> AsyncIterator[T]:
    """Iterate a sync answer stream on one answer worker, yielding its events as they are made.

    One worker thread runs the whole stream (one token of `limiter` for its life, as an ask
    holds one) and hands each event to the loop as soon as it exists: no thread hop per word,
    and an LLM's tokens are not held back. An error raised by the stream is raised here after
    the events before it. If the client goes away, the worker stops at the stream's next event
    and closes it (so an LLM stream is dropped rather than read to its end).
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()
    gone = threading.Event()

    def pump() -> None:
        try:
            for event in events:
                if gone.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, (event, None))
        except Exception as exc:  # noqa: BLE001 - re-raised by the reader, after the events before it
            loop.call_soon_threadsafe(queue.put_nowait, (_END, exc))
            return
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
        loop.call_soon_threadsafe(queue.put_nowait, (_END, None))

    worker = asyncio.ensure_future(anyio.to_thread.run_sync(pump, limiter=limiter))
    worker.add_done_callback(_retrieve)  # it may outlive a reader that went away
    try:
        while True:
            event, error = await queue.get()
            if event is _END:
                if error is not None:
                    raise error
                return
            yield event
    finally:
        gone.set()


_END = object()


def _retrieve(worker: asyncio.Future) -> None:
    if not worker.cancelled() and worker.exception() is not None:  # e.g. the loop closed under it
        log.warning("an answer stream's worker failed", exc_info=worker.exception())
