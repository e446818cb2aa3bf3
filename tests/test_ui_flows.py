"""The chat page's flows in a real Chromium (issue 12): confirmation before anything destructive,
errors beside the control that caused them, the one source viewer opened from every tab with the
quote in view, citations named and previewed, the scope picker, and the phone layout."""

from __future__ import annotations

import pytest

from assistant.models import Principal
from tests.browser import (  # noqa: F401 - fixtures
    DONE, PHONE, ask, browser, open_page, open_tab, page, reopen_conversation, sign_in, source_titles, ui_settings, ui_url,
)

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }"""
OPEN = "#ethos-viewer-panel.ethos-open #ethos-viewer mark"


def _text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


@pytest.mark.browser
def test_library_changes_ask_first_and_errors_stay_beside_the_controls(page) -> None:
    sign_in(page, "admin-key", "admin")
    open_tab(page, "library")
    page.wait_for_selector("#ethos-admin", state="visible")
    table = page.locator("#ethos-library table")

    page.click("#ethos-delete-btn")  # nothing chosen
    page.wait_for_function("() => document.querySelector('#ethos-delete-status').textContent.includes('Choose')")
    page.click("#ethos-upload-btn")  # no files
    page.wait_for_function("() => document.querySelector('#ethos-upload-status').textContent.includes('No files')")
    assert table.is_visible() and "Luton" in table.inner_text()  # the table stays, no overlay over it
    assert page.locator("#ethos-library .error, #ethos-admin .error").count() == 0
    page.click("#ethos-delete-doc input")  # and the controls still work
    page.keyboard.type("phase-2")
    page.get_by_role("option", name="phase-2", exact=False).first.click()

    page.click("#ethos-delete-btn")  # asks; removes nothing yet
    page.wait_for_selector("#ethos-delete-confirm", state="visible")
    assert "Remove" in _text(page, "#ethos-delete-confirm") and "phase-2" in _text(page, "#ethos-delete-confirm")
    page.click("#ethos-delete-no")
    page.wait_for_selector("#ethos-delete-confirm", state="hidden")
    assert "phase-2" in table.inner_text()

    page.click("#ethos-reindex-btn")
    page.wait_for_selector("#ethos-reindex-confirm", state="visible")
    page.click("#ethos-reindex-no")
    page.wait_for_selector("#ethos-reindex-confirm", state="hidden")
    assert _text(page, "#ethos-reindex-status").strip() == ""  # nothing ran


@pytest.mark.browser
def test_onboarding_sources_open_the_viewer_and_start_over_asks_first(page, assistant) -> None:
    from assistant import onboarding

    onboarding.reset(assistant.kb, "staff-key")
    sign_in(page, "staff-key", "staff")
    open_tab(page, "onboarding")
    page.click("#ethos-onboarding-start")
    cite = page.locator("#ethos-onboarding-chat .ethos-cite").first
    cite.wait_for()
    cite.click()
    page.wait_for_selector(OPEN)
    assert page.locator("#ethos-viewer mark").evaluate(IN_VIEW)
    assert "Values" in _text(page, "#ethos-viewer .ethos-viewer-title")
    page.click(".ethos-viewer-close")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")

    page.click("#ethos-onboarding-reset")
    page.wait_for_selector("#ethos-onboarding-confirm", state="visible")
    page.click("#ethos-onboarding-reset-no")
    page.wait_for_selector("#ethos-onboarding-confirm", state="hidden")
    assert page.locator("#ethos-onboarding-chat .ethos-answer").count() >= 1  # nothing was cleared
    page.click("#ethos-onboarding-reset")
    page.click("#ethos-onboarding-reset-yes")
    page.wait_for_function("() => !document.querySelector('#ethos-onboarding-chat .ethos-answer')")


def _open_row(page, table: str, row: int, column: int) -> str:
    """Click a cell of a Dataframe row; returns that cell's text once the shared viewer shows a page for it."""
    cell = page.locator(f"{table} .virtual-row").nth(row).locator(".body-cell").nth(column)
    text = cell.inner_text().strip()
    cell.click()
    page.wait_for_selector("#ethos-viewer-panel.ethos-open #ethos-viewer .ethos-viewer")
    page.wait_for_timeout(300)  # the scroll to the quote
    return text


@pytest.mark.browser
def test_commitments_rows_open_the_shared_viewer_with_the_quote_in_view(page) -> None:
    open_tab(page, "commitments")
    page.wait_for_function("() => (document.querySelector('#ethos-c-status')?.textContent || '').includes('commitments')")
    page.wait_for_selector("#ethos-commitments .virtual-row .body-cell")
    assert page.locator("#ethos-c-viewer").count() == 0  # no viewer of its own any more
    rows = page.locator("#ethos-commitments .virtual-row").count()
    quote = _open_row(page, "#ethos-commitments", min(rows - 1, 3), 2)
    mark = page.locator(OPEN)
    assert " ".join(mark.inner_text().split()) == " ".join(quote.split())  # the row's own words, highlighted
    assert mark.evaluate(IN_VIEW)  # inside the panel's scroll box and on screen
    assert _text(page, "#ethos-viewer .ethos-viewer-title").startswith("Commitment:")
    page.keyboard.press("Escape")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")

    again = _open_row(page, "#ethos-commitments", min(rows - 1, 3), 2)  # the same row again: no new value,
    assert again == quote and page.locator(OPEN).evaluate(IN_VIEW)     # the panel still reopens on it
    other = _open_row(page, "#ethos-commitments", 0, 0)  # any cell of a row opens that row's commitment
    page.wait_for_function("q => document.querySelector('#ethos-viewer mark')?.textContent !== q", arg=quote)
    assert page.locator(OPEN).evaluate(IN_VIEW) and other

    shown = page.locator(OPEN).inner_text()  # the keyboard: Escape returns to the cell, arrows + Enter open another
    page.keyboard.press("Escape")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")
    assert page.evaluate("document.activeElement.closest('#ethos-commitments') !== null")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(OPEN)
    page.wait_for_function("q => document.querySelector('#ethos-viewer mark')?.textContent !== q", arg=shown)


@pytest.fixture
def reviewed_policy(assistant, tmp_path):
    """A policy whose cover states its review dates, in the running app's index for one test."""
    from tests.docgen import report_pdf_bytes

    folder = tmp_path / "uireviews"
    folder.mkdir()
    (folder / "safeguarding-policy.pdf").write_bytes(report_pdf_bytes([
        ("title", "Child Protection and Safeguarding Policy"), ("lines", REVIEW_COVER), ("page", None),
        ("h1", "1. Introduction"), ("para", "Every member of staff knows how to raise a concern about a child."),
    ]))
    report = assistant.kb.ingest(folder, corpus="uireviews")
    assert report.count("ingested") == 1, report
    staff = Principal("staff", ("all", "staff"))
    yield next(d.title for d in assistant.kb.documents(staff) if d.doc_id == "uireviews/safeguarding-policy.pdf")
    assert assistant.kb.delete("uireviews/safeguarding-policy.pdf")


REVIEW_COVER = ["DATE: October 2019", "DATE OF NEXT REVIEW: September 2020",
                "TO BE REVIEWED BY: Learning and Well-being Committee"]


@pytest.mark.browser
def test_reviews_rows_open_their_cover_line_in_the_shared_viewer(reviewed_policy, page) -> None:
    open_tab(page, "reviews")
    page.wait_for_function("t => (document.querySelector('#ethos-reviews')?.textContent || '').includes(t)",
                           arg=reviewed_policy)
    titles = page.locator("#ethos-reviews .virtual-row").evaluate_all(
        "rows => rows.map(r => r.querySelectorAll('.body-cell')[1]?.textContent.trim())")
    row = titles.index(reviewed_policy)
    _open_row(page, "#ethos-reviews", row, 0)
    mark = page.locator(OPEN)
    assert mark.inner_text() == "DATE OF NEXT REVIEW: September 2020"  # the line the date was read from
    assert mark.evaluate(IN_VIEW)
    assert _text(page, "#ethos-viewer .ethos-viewer-title") == f"Next review: {reviewed_policy}"
    page.keyboard.press("Escape")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")

    bare = next(i for i, t in enumerate(titles) if t != reviewed_policy)  # a demo document: no dates anywhere
    _open_row(page, "#ethos-reviews", bare, 1)
    assert "states no review dates" in _text(page, "#ethos-viewer .ethos-viewer-note")
    assert page.locator("#ethos-viewer mark").count() == 0


@pytest.mark.browser
def test_citations_are_named_previewed_and_open_from_the_keyboard(page) -> None:
    answer = ask(page, "What are our values?")
    cite = answer.locator(".ethos-cite").first
    name = cite.get_attribute("aria-label")
    title = answer.locator(".ethos-source-title").first.inner_text()
    assert name.startswith(f"Source 1: {title}, page "), name
    cite.hover()
    tip = cite.locator(".ethos-tip")
    assert tip.is_visible() and "Dreaming big" in tip.inner_text()  # the quote, before any click

    cite.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(OPEN)
    assert page.evaluate("document.activeElement.classList.contains('ethos-viewer-title')")
    assert page.locator("#ethos-viewer mark").evaluate(IN_VIEW)
    page.keyboard.press("Escape")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('ethos-cite')")  # focus goes back

    cite.click()
    page.wait_for_selector(OPEN)
    ask(page, "How do we support staff wellbeing?")  # a new question clears the viewer
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")
    assert page.locator("#ethos-viewer mark").count() == 0


@pytest.mark.browser
def test_scope_picker_limits_the_sources(page, assistant) -> None:
    question = "What are our values?"
    target = "Luton 2040 Education and Learning Strategy"
    everywhere = set(source_titles(ask(page, question)))
    assert everywhere and target not in everywhere, everywhere  # so the scoped answer below can differ

    page.click("#ethos-scope button, #ethos-scope .label-wrap")
    page.click("#ethos-scope-docs input")
    page.keyboard.type("Luton 2040")
    page.get_by_role("option", name=target, exact=False).first.click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#ethos-scope').textContent.includes('1 document')")
    scoped = ask(page, question)
    titles = set(source_titles(scoped))
    assert titles == {target}, titles
    assert f"Searched: {target}" in scoped.locator(".ethos-answer-scope").inner_text()


@pytest.mark.browser
def test_phone_first_screen_has_the_question_and_every_tab(browser, ui_url) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        open_page(page, ui_url)
        box = page.locator("#ethos-question textarea")
        page.wait_for_timeout(600)
        assert box.evaluate(IN_VIEW)  # no scrolling to find the question box
        assert page.evaluate("document.activeElement === document.querySelector('#ethos-question textarea')")
        for tab in ("ask", "library", "commitments", "reviews", "onboarding"):  # none hidden behind "⋯"
            assert page.locator(f"#ethos-tab-{tab}-button").is_visible(), tab
        first = page.evaluate("document.querySelector('a[href], button, input, textarea, [tabindex]').className")
        assert first == "ethos-skip"  # the first stop for the keyboard
        page.focus(".ethos-skip")
        assert page.locator(".ethos-skip").evaluate(IN_VIEW)  # shown when focused
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement === document.querySelector('#ethos-question textarea')")

        open_tab(page, "commitments")
        page.wait_for_function("() => document.querySelector('#ethos-commitments tbody tr')")
        broken = page.evaluate("""() => [...document.querySelectorAll('#ethos-commitments th, .ethos-table th')]
            .filter(th => th.textContent.trim() && !th.textContent.trim().includes(' '))
            .filter(th => { const r = document.createRange(); r.selectNodeContents(th);
                            const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                            return lines.size > 1; })
            .map(th => th.textContent.trim())""")
        assert broken == [], f"one-word headers broken across lines: {broken}"
        open_tab(page, "library")
        assert page.locator("#ethos-library td").first.evaluate("td => getComputedStyle(td).display") == "grid"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_streaming_text_is_laid_out_like_the_finished_answer() -> None:
    from ui.render import streaming_html

    out = streaming_html("Our values:\n- Dreaming big [1]\n- Rewarding eff")
    assert "<ul><li>Dreaming big" in out and "<li>Rewarding eff" in out  # a list already, no reflow later
    assert "- Dreaming" not in out and "ethos-cite-pending" in out and "\n" not in out


@pytest.mark.browser
def test_a_conversation_survives_a_reload_and_can_be_deleted(page, browser, ui_url) -> None:
    question = "What does every lesson look like here?"
    ask(page, question)
    reopen_conversation(page, question)
    assert page.locator(DONE).count() == 1  # the answer, with its sources, is back
    page.locator(f"{DONE} .ethos-source").first.click()
    page.wait_for_selector(OPEN)
    page.keyboard.press("Escape")

    other = browser.new_context()  # another browser with no key sees none of it
    try:
        p2 = other.new_page()
        open_page(p2, ui_url)
        p2.click("#ethos-convs button, #ethos-convs .label-wrap")
        p2.click("#ethos-conv-pick input")
        p2.wait_for_timeout(500)
        assert p2.get_by_role("option", name=question, exact=False).count() == 0
    finally:
        other.close()

    page.click("#ethos-conv-delete")
    page.wait_for_selector("#ethos-conv-confirm", state="visible")
    page.click("#ethos-conv-delete-yes")
    page.wait_for_function("() => document.querySelector('#ethos-conv-status').textContent.includes('deleted')")
    page.click("#ethos-conv-pick input")
    page.wait_for_timeout(500)
    assert page.get_by_role("option", name=question, exact=False).count() == 0


@pytest.mark.browser
def test_another_key_clears_the_previous_readers_answers(page) -> None:
    sign_in(page, "gov-key", "governor")
    answer = ask(page, "What is Project Kestrel?")
    answer.locator(".ethos-source").first.click()
    page.wait_for_selector(OPEN)
    page.keyboard.press("Escape")
    sign_in(page, "staff-key", "staff")
    page.wait_for_selector("#ethos-chat", state="hidden")
    assert page.locator("#ethos-viewer mark").count() == 0 and page.locator("#ethos-starters").is_visible()
    page.fill("#ethos-key input", "staff-key")  # the same key again changes nothing
    page.press("#ethos-key input", "Enter")
    ask(page, "What are our values?")
    page.locator("#ethos-key input").blur()
    page.wait_for_timeout(500)
    assert page.locator(DONE).count() == 1


def test_numbered_list_items_show_their_number_without_a_bullet() -> None:
    from ui.render import _blocks

    assert _blocks("Aims:\n- 1. Curriculum\n- 2. Teaching") == (
        '<p>Aims:</p><ul class="ethos-numbered"><li>1. Curriculum</li><li>2. Teaching</li></ul>')
    assert _blocks("- values\n- vision") == "<ul><li>values</li><li>vision</li></ul>"  # plain bullets stay


@pytest.mark.browser
def test_marked_lines_and_passage_labels_show_as_emphasis_not_asterisks(page) -> None:
    # the composer marks the answering line **…** and labels each of two passages *Title (Section):*;
    # the answer is an HTML block the widget does not run Markdown over, so users read raw asterisks
    answer = ask(page, "What's our SEND non-negotiable?")
    text = answer.locator(".ethos-answer-text")
    assert "*" not in text.inner_text()
    assert "Inclusive approaches are valued" in " ".join(text.locator("strong").all_inner_texts())
    assert any(label.endswith("):") for label in text.locator("em").all_inner_texts())


def test_a_quote_of_a_whole_list_stays_inside_its_markers_tooltip() -> None:
    """The marker after a list's last item cites the whole list: its line breaks must not cut the
    tooltip out of the button (its text leaked onto the page as loose paragraphs)."""
    from assistant.models import Answer, Citation
    from ui.render import answer_html

    quote = "Staff development is planned.\nMonitoring schedule is in place.\nStructured conversations."
    c = Citation(n=1, doc_id="d", title="Plan", organisation="O", section="S", page=1, quote=quote, start=0,
                 end=len(quote), chunk_id="d#1", score=1.0)
    out = answer_html(Answer(answer="*Plan (S):*\n- **Staff development is planned.**\n- Monitoring schedule is in "
                                    "place.\n- Structured conversations. [1]", citations=[c]))
    assert out.count("<li>") == 3 and out.count("<p>") == 1  # the label, then the list: nothing loose
    assert "“Staff development is planned. Monitoring schedule is in place. Structured conversations.”</span>" \
           "</button></li></ul>" in out

