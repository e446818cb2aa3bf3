"""Browser-test support: a real uvicorn server running `ethos serve`'s app, Debian's Chromium
through Playwright, and page helpers shared by the UI tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.settings import Settings
from tests.servers import serve

PROJECT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = Path(os.environ.get("ETHOS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DONE = "#ethos-chat .ethos-answer:not(.ethos-streaming):not(.ethos-error)"
TIMEOUT_MS = 120_000  # generous: CI machines are slow and shared


# -- servers and browser ---------------------------------------------------------------------------
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _serve(app) -> Iterator[str]:
    with serve(app, probe="/", name="ethos-ui") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}; install it with `make browser` (apt-get install chromium)"
        if _in_ci():
            pytest.fail(message + " — browser tests must run in CI, not skip.", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def ui_settings(demo_settings: Settings, demo_corpus_with_private: Path) -> Settings:
    """demo_settings, with the corpus folder the index was built from (so re-index changes nothing)."""
    return demo_settings.model_copy(update={"corpus_dir": demo_corpus_with_private})


def ui_app(settings: Settings, assistant):
    """What `ethos serve` runs: the API with the chat page mounted on it."""
    from assistant.api.main import create_app
    from ui.app import mount_ui

    return mount_ui(create_app(settings, assistant), assistant, settings)


@pytest.fixture(scope="module")
def ui_url(browser, ui_settings: Settings, assistant) -> Iterator[str]:
    yield from _serve(ui_app(ui_settings, assistant))


@pytest.fixture
def page(browser, ui_url, request):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    open_page(page, ui_url)
    yield page
    # the last state of every test's page, so a failure in CI can be seen, not guessed
    try:
        (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pages" / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


# -- page helpers ------------------------------------------------------------------------------------
PAGE_STATE_JS = """() => {
  const text = sel => (document.querySelector(sel)?.innerText || '').trim().slice(0, 300);
  const shown = sel => { const el = document.querySelector(sel); return !!el && el.offsetParent !== null; };
  return {role: text('#ethos-role'), key_typed: !!document.querySelector('#ethos-key input')?.value,
          tab: text('[role=tab][aria-selected=true]'), admin_panel_shown: shown('#ethos-reindex-btn'),
          statuses: [...document.querySelectorAll('[id$=-status]')]
            .map(el => el.id + ': ' + el.innerText.trim().slice(0, 200)).filter(s => !s.endsWith(': ')),
          answers: document.querySelectorAll('#ethos-chat .ethos-answer').length,
          errors: [...document.querySelectorAll('.toast-body, .error, .ethos-role-error')].map(e => e.innerText.slice(0, 200))};
}"""


def page_state(page) -> str:
    """What the page shows that a timeout does not say (badge, key box, tab, statuses, errors)."""
    try:
        return str(page.evaluate(PAGE_STATE_JS))
    except Exception as exc:  # the page may be gone; the failure itself is already reported
        return f"unavailable: {exc!r}"


READY = "body[data-ethos-ready]"  # set once the page's load has filled its views (ui/app.py)


def open_page(page, url: str | None = None) -> None:
    """Go to `url` (None: reload) and wait until the page's load has filled its views: a key typed
    while they landed could be reset to empty (a flaky 'Signed in as staff (default)' in CI)."""
    page.reload() if url is None else page.goto(url)
    page.wait_for_selector("#ethos-question textarea")
    page.wait_for_selector(READY, state="attached")


def sign_in(page, key: str, role: str) -> None:
    page.fill("#ethos-key input", key)
    if page.input_value("#ethos-key input") != key:  # reset by a re-render as it was typed: type it again
        page.wait_for_timeout(500)
        page.fill("#ethos-key input", key)
    page.press("#ethos-key input", "Enter")
    page.wait_for_function(
        "r => document.querySelector('#ethos-role .ethos-role-name')?.textContent === r", arg=role)


def finished(page) -> int:
    return page.locator(DONE).count()


def wait_answer(page, before: int):
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[DONE, before])
    return page.locator(DONE).last


def ask(page, question: str):
    """Type a question and press Enter (the keyboard path); returns the finished answer element."""
    before = finished(page)
    page.fill("#ethos-question textarea", question)
    page.press("#ethos-question textarea", "Enter")
    return wait_answer(page, before)


def reopen_conversation(page, title: str) -> None:
    """Reload the page and open the saved conversation whose title holds `title`."""
    page.wait_for_timeout(800)  # saved after the answer
    open_page(page)
    page.click("#ethos-convs button, #ethos-convs .label-wrap")
    page.click("#ethos-conv-pick input")
    page.get_by_role("option", name=title, exact=False).first.click()
    page.click("#ethos-conv-open")
    page.wait_for_function("q => (document.querySelector('#ethos-chat')?.textContent || '').includes(q)", arg=title)


def open_source(page, answer, index: int = 0) -> dict:
    """Click a source under an answer; returns the viewer's page text and the <mark> position in it."""
    answer.locator(".ethos-source").nth(index).click()
    page.wait_for_selector("#ethos-viewer mark")
    return page.eval_on_selector("#ethos-viewer .ethos-page-text", """box => {
        const mark = box.querySelector('mark');
        const before = document.createRange();
        before.setStart(box, 0); before.setEndBefore(mark);
        return {text: box.textContent, start: before.toString().length, mark: mark.textContent,
                title: document.querySelector('#ethos-viewer .ethos-viewer-title').textContent};
    }""")


def source_titles(answer) -> list[str]:
    return answer.locator(".ethos-source-title").all_inner_texts()


def library_text(page) -> str:
    """The documents table, once filled (every role can read the public Luton strategy)."""
    page.click("#ethos-tab-library-button")
    page.wait_for_function("() => (document.querySelector('#ethos-library')?.textContent || '').includes('Luton')")
    return page.inner_text("#ethos-library")


def back_to_chat(page) -> None:
    page.click("#ethos-tab-ask-button")
    page.wait_for_selector("#ethos-question textarea", state="visible")


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path




# -- tabs, accessibility, layout ----------------------------------------------------------------------
TABS = {"ask": "Ask", "library": "Library", "commitments": "Commitments", "reviews": "Reviews",
        "onboarding": "Onboarding"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}


def open_tab(page, tab: str) -> None:
    """Select a tab by its id, through Gradio's overflow menu ("⋯") if the button is hidden there."""
    button = page.locator(f"#ethos-tab-{tab}-button")
    if not button.is_visible():
        page.locator(".overflow-menu > button").click()
        page.locator(".overflow-dropdown button", has_text=TABS[tab]).click()
    else:
        button.click()
    page.wait_for_selector(f"#ethos-tab-{tab}", state="visible")
    page.wait_for_timeout(400)  # the tab's load events (tables, chart) land


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of the page as it is now, those of the given impacts, one dict per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"],
             "targets": [n["target"] for n in v["nodes"][:3]],
             "why": [n.get("failureSummary", "")[:300] for n in v["nodes"][:3]]}
            for v in results.response["violations"] if v["impact"] in impacts]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
