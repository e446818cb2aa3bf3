"""Files are parsed ahead of the embedder (`ingest.parse_worker.prefetch`): order kept, work
overlapped, failures raised in the caller, and a stopped ingest stops the parsing thread."""

from __future__ import annotations

import threading
import time

import pytest

from ingest.parse_worker import prefetch


def test_results_come_in_order_and_the_next_items_are_prepared_while_the_caller_works():
    started: list[int] = []

    def prepare(i: int) -> int:
        started.append(i)
        time.sleep(0.05)
        return i * i

    seen = []
    for i, value in prefetch(range(8), prepare, ahead=3):
        if i == 0:
            time.sleep(0.3)  # the caller "embeds": meanwhile the next items are prepared
            assert len(started) >= 4  # item 0 plus three ahead
        seen.append((i, value))
    assert seen == [(i, i * i) for i in range(8)]


def test_a_failure_is_raised_in_the_caller():
    def prepare(i: int) -> int:
        if i == 2:
            raise RuntimeError("the parse worker process did not start")
        return i

    got = []
    with pytest.raises(RuntimeError, match="did not start"):
        for i, _ in prefetch(range(5), prepare):
            got.append(i)
    assert got == [0, 1]


def test_stopping_early_stops_the_thread():
    calls: list[int] = []
    before = threading.active_count()
    it = prefetch(range(1000), lambda i: calls.append(i) or i, ahead=2)
    assert next(it) == (0, 0)
    it.close()
    time.sleep(0.3)
    assert len(calls) < 10 and threading.active_count() == before
