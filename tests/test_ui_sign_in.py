"""Signing in on the chat page in a real Chromium: the page's own load must not undo a sign-in."""

from __future__ import annotations

import threading
import time

import pytest

from tests.browser import browser, sign_in, ui_app, ui_settings  # noqa: F401 - fixtures
from tests.servers import serve


@pytest.mark.browser
def test_a_slow_page_load_cannot_put_the_default_reader_back_after_sign_in(
        browser, ui_settings, assistant, monkeypatch) -> None:
    """The page's load refreshes the role badge with an empty key; a sign-in typed while that load is
    still running used to finish first, and the load's answer then showed the default role again
    (a flaky CI failure: the badge never said "governor")."""
    from ui.library import LibraryHandlers

    started, finished_load = threading.Event(), threading.Event()
    refresh = LibraryHandlers.refresh

    def slow_for_the_empty_key(self, key: str, q: str = "") -> tuple:
        if (key or "").strip():
            return refresh(self, key, q)
        started.set()
        time.sleep(2.0)
        try:
            return refresh(self, key, q)
        finally:
            finished_load.set()

    monkeypatch.setattr(LibraryHandlers, "refresh", slow_for_the_empty_key)
    with serve(ui_app(ui_settings, assistant), probe="/") as base:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(base)  # not open_page: the sign-in must race the (slowed) load
            page.wait_for_selector("#ethos-key input")
            assert started.wait(60), "the page's load never asked for the default reader's view"
            sign_in(page, "gov-key", "governor")
            assert finished_load.wait(60)
            page.wait_for_timeout(1500)  # the load's answer, had it come last, is on the page by now
            assert page.locator("#ethos-role .ethos-role-name").inner_text() == "governor"
        finally:
            context.close()
