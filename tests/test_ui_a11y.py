"""Accessibility, phone layout and render time of the chat page in a real Chromium.

axe-core (through `axe-playwright-python`) runs on every tab at a desktop (1366×800) and a
phone (390×844) width; a serious or critical violation fails. The longest demo answer's
time from submit to complete render is printed (and kept in test-artifacts/ui-timing.json)
and asserted only loosely, since this machine is shared and timings are noisy.
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from tests.browser import (  # noqa: F401 - fixtures
    ARTIFACTS, DESKTOP, DONE, PHONE, TABS, axe_violations, browser, finished, horizontal_overflow, open_page, open_tab, page,
    ui_settings, ui_url,
)

LONGEST = "What have we committed to by 2027?"
RUNS = 3  # the tracker's list: the longest answer the demo corpus gives


def _record(name: str, data: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(json.dumps(data, indent=2), encoding="utf-8")


def _timed_answer(page, question: str) -> tuple[float, int]:
    """Seconds from pressing Enter to the finished answer in the DOM, and its length in characters."""
    before = finished(page)
    page.fill("#ethos-question textarea", question)
    started = time.perf_counter()
    page.press("#ethos-question textarea", "Enter")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[DONE, before],
                           polling=50)
    seconds = time.perf_counter() - started
    return seconds, len(page.locator(DONE).last.inner_text())


@pytest.mark.browser
def test_longest_answer_renders_within_seconds(page, assistant) -> None:
    """Benchmark, asserted loosely: submit → complete render in Chromium, against the server's own
    time to compute the same answer, median of RUNS (each in a fresh chat, so runs are alike)."""
    from assistant.models import Principal

    staff = Principal("staff", ("all", "staff"))
    short_s, short_len = _timed_answer(page, "What are our values?")
    ui_runs, server_runs, long_len = [], [], 0
    for _ in range(RUNS):
        page.click("#ethos-new-chat")
        page.wait_for_selector("#ethos-chat", state="hidden")
        seconds, long_len = _timed_answer(page, LONGEST)
        ui_runs.append(seconds)
        started = time.perf_counter()
        list(assistant.stream(LONGEST, staff, []))  # what the page's callback waits for
        server_runs.append(time.perf_counter() - started)
    ui_s, server_s = statistics.median(ui_runs), statistics.median(server_runs)
    figures = {"short": {"question": "What are our values?", "seconds": round(short_s, 3), "chars": short_len},
               "longest": {"question": LONGEST, "seconds": round(ui_s, 3), "chars": long_len,
                           "runs_s": [round(r, 3) for r in ui_runs],
                           "server_compute_s": round(server_s, 3),
                           "render_overhead_s": round(ui_s - server_s, 3)}}
    _record("ui-timing.json", figures)
    print(f"\nrender time: {figures}")
    assert long_len > 1000, "the longest demo answer is a long list"
    assert ui_s < 10, figures


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_tab_passes_axe_and_fits_the_screen(browser, ui_url, viewport) -> None:
    context = browser.new_context(viewport=viewport)
    report: dict[str, list[dict]] = {}
    overflow: dict[str, int] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        open_page(page, ui_url)
        for tab in TABS:
            open_tab(page, tab)
            if tab == "commitments":
                page.wait_for_function("() => (document.querySelector('#ethos-c-status')?.textContent || '')"
                                       ".includes('commitments')")
            report[tab] = axe_violations(page)
            overflow[tab] = horizontal_overflow(page)
        open_tab(page, "ask")
        page.fill("#ethos-question textarea", "How do we support staff wellbeing?")
        page.press("#ethos-question textarea", "Enter")
        page.wait_for_selector(DONE)
        report["ask with an answer"] = axe_violations(page)
        overflow["ask with an answer"] = horizontal_overflow(page)
        page.click("#ethos-edit")  # Regenerate / Edit shown, and the edit note
        page.wait_for_selector("#ethos-edit-note", state="visible")
        report["ask while editing"] = axe_violations(page)
        overflow["ask while editing"] = horizontal_overflow(page)
        page.click("#ethos-edit-cancel")
        for tab, table in (("commitments", "#ethos-commitments"), ("reviews", "#ethos-reviews")):
            open_tab(page, tab)  # a row opened in the shared viewer
            page.locator(f"{table} .virtual-row .body-cell").first.click()
            page.wait_for_selector("#ethos-viewer-panel.ethos-open")
            report[f"{tab} with the viewer open"] = axe_violations(page)
            overflow[f"{tab} with the viewer open"] = horizontal_overflow(page)
            page.keyboard.press("Escape")
            page.wait_for_selector("#ethos-viewer-panel", state="hidden")
    finally:
        context.close()
    name = "phone" if viewport == PHONE else "desktop"
    _record(f"axe-{name}.json", {"violations": report, "overflow_px": overflow})
    print(f"\naxe {name}: " + json.dumps({t: [(v['id'], v['impact'], v['nodes']) for v in vs]
                                          for t, vs in report.items()}))
    print(f"overflow {name}: {overflow}")
    assert not any(report.values()), report
    if viewport == PHONE:
        assert not any(overflow.values()), overflow
