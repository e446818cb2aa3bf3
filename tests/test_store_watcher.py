"""The store watcher (KnowledgeBase._watch) logs a store outage once, and its end, not every tick."""

from __future__ import annotations

import logging
import threading
import time
from types import SimpleNamespace

from assistant.knowledge import KnowledgeBase


def test_an_outage_is_logged_once_and_its_end_once(caplog) -> None:
    down = threading.Event()
    down.set()
    polls: list[float] = []

    def poll() -> bool:
        polls.append(time.monotonic())
        if down.is_set():
            raise ConnectionError("Chroma is restarting")
        return False

    watcher = SimpleNamespace(_stop=threading.Event(), settings=SimpleNamespace(refresh_s=0.01), poll=poll)
    with caplog.at_level(logging.WARNING, logger="assistant.knowledge"):
        thread = threading.Thread(target=KnowledgeBase._watch, args=(watcher,), daemon=True)
        thread.start()
        while len(polls) < 10:
            time.sleep(0.01)
        down.clear()
        seen = len(polls)
        while len(polls) < seen + 5:
            time.sleep(0.01)
        watcher._stop.set()
        thread.join(2)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if m.startswith("could not check the store")]) == 1  # not once a tick
    assert messages.count("the store answers again") == 1
    assert not thread.is_alive()
