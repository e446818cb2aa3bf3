"""The chat UI in a real Chromium against a real uvicorn server running exactly what `ethos serve`
runs: `mount_ui(create_app(settings, assistant), assistant, settings)` over the demo corpus plus a
governors-only paper (fixtures in conftest).

Chromium is Debian's (/usr/bin/chromium; `make browser` installs it). Without it these tests skip
locally but FAIL under CI=true, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.models import Answer, Citation, Sentence
from ingest.settings import Settings
from tests.browser import ARTIFACTS, DONE, TIMEOUT_MS, _in_ci, _serve, browser, ui_settings, ui_url, ui_app, page, open_page, sign_in, finished, wait_answer, ask, open_source, source_titles, library_text, back_to_chat, shoot  # noqa: F401 - fixtures
from tests.conftest import PRIVATE_DOC_ID

PROJECT = Path(__file__).resolve().parents[1]
README_SHOT = PROJECT / "docs" / "screenshot-chat.png"
PHONE_SHOT = PROJECT / "docs" / "screenshot-phone.png"
KESTREL_TITLE = "Project Kestrel"
ORCHARD_FACT = "Every pupil in Year 5 plants a pear tree in the trust orchard each March."


# -- tests -----------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_page_loads_with_starters_and_api_still_served(page, ui_url, assistant) -> None:
    assert page.title() == "Ethos"
    starters = assistant.kb.manifest().starters
    expected = [q for qs in starters.values() for q in qs]
    assert page.locator(".ethos-starter").all_inner_texts() == expected
    for persona in starters:
        group = page.locator(f"#ethos-starters-{persona.replace('_', '-')} .ethos-starter")
        assert group.count() == len(starters[persona])
    assert page.locator("#ethos-key input").get_attribute("type") == "password"
    assert page.inner_text("#ethos-role .ethos-role-name") == "staff"  # demo_settings.default_role
    for label in ("Access key", "Your question"):  # controls are labelled (accessible names)
        assert page.get_by_label(label).count() == 1
    # mounting the page at / must not shadow the API
    assert httpx.get(f"{ui_url}/api/health", timeout=10).status_code == 200
    assert httpx.get(f"{ui_url}/v1/models", timeout=10).status_code == 200


@pytest.mark.browser
def test_starter_answers_with_sources_and_viewer_marks_the_exact_quote(page, assistant) -> None:
    question = "What are the phases of the improvement model?"  # a list answer: several sources to show
    assert question in assistant.kb.manifest().starters["new_hires"]
    page.locator(".ethos-starter", has_text=question).click()
    answer = wait_answer(page, 0)
    assert page.locator("#ethos-starters").is_hidden()  # starters only on an empty chat
    assert page.locator("#ethos-chat .ethos-question").last.inner_text() == question
    assert answer.locator(".ethos-source").count() >= 1
    assert answer.locator(".ethos-cite").count() >= 1  # inline [n] markers are clickable
    preview = answer.locator(".ethos-source-quote").first.inner_text().strip("“”…")

    seen = open_source(page, answer)
    # the highlight sits at the citation's exact offsets into the real page text
    assert seen["text"][seen["start"]:seen["start"] + len(seen["mark"])] == seen["mark"]
    assert seen["mark"] and " ".join(seen["mark"].split()).startswith(" ".join(preview.split()))
    title = answer.locator(".ethos-source-title").first.inner_text()
    assert title in seen["title"]
    doc = next(d for d in assistant.kb.documents(_principal(assistant, "staff")) if d.title == title)
    pages = [assistant.kb.page(doc.doc_id, n, _principal(assistant, "staff")) for n in range(1, doc.pages + 1)]
    assert seen["text"] in [p.text for p in pages if p]
    page.wait_for_timeout(400)  # let the viewer finish scrolling to the mark
    shot = shoot(page, "chat.png")
    if os.environ.get("ETHOS_UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        README_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, README_SHOT)

    # a phone-width screen: everything reachable without sideways scrolling
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#ethos-viewer mark").evaluate(
        "m => { const r = m.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    shoot(page, "chat-phone-viewer.png")  # the bottom sheet, quote in view
    page.keyboard.press("Escape")
    page.wait_for_selector("#ethos-viewer-panel", state="hidden")
    answer.locator(".ethos-answer-text").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -120)")
    page.evaluate("document.activeElement?.blur()")  # the picture shows the answer, not a focus ring
    phone = shoot(page, "chat-phone.png")
    if os.environ.get("ETHOS_UPDATE_SCREENSHOT"):
        shutil.copyfile(phone, PHONE_SHOT)
    page.screenshot(path=str(ARTIFACTS / "chat-phone-full.png"), full_page=True)


@pytest.mark.browser
def test_out_of_scope_question_is_a_distinct_refusal(page) -> None:
    answer = ask(page, "What is the capital of France?")
    assert "ethos-refusal" in answer.get_attribute("class")
    assert answer.locator(".ethos-refusal-label").inner_text().strip().lower() == "not in the documents"
    assert "none of them answers" in answer.locator(".ethos-sources-title").inner_text().lower()
    assert answer.locator(".ethos-source").count() >= 1  # the closest passages are listed
    shoot(page, "refusal.png")


@pytest.mark.browser
def test_thumbs_down_with_comment_is_stored_in_sqlite(page, demo_settings: Settings) -> None:
    answer = ask(page, "How do we support staff wellbeing?")
    assert answer.locator(".ethos-source").count() >= 1
    page.locator("#ethos-chat button[aria-label='Dislike']").last.click()
    page.wait_for_selector("#ethos-feedback-comment textarea", state="visible")
    comment = f"Missed the wellbeing survey ({uuid.uuid4().hex[:8]})"
    page.fill("#ethos-feedback-comment textarea", comment)
    page.press("#ethos-feedback-comment textarea", "Enter")
    page.wait_for_function(
        "() => (document.querySelector('#ethos-feedback-status')?.textContent || '').includes('saved')")

    with sqlite3.connect(demo_settings.data_dir / "feedback.sqlite3") as db:
        rows = db.execute("SELECT question, rating, role, comment, answer_json FROM feedback WHERE comment = ?",
                          (comment,)).fetchall()
    assert len(rows) == 1
    question, rating, role, _, answer_json = rows[0]
    assert (question, rating, role) == ("How do we support staff wellbeing?", "down", "staff")
    assert Answer.model_validate_json(answer_json).citations  # what the user saw, with its sources


@pytest.mark.browser
def test_admin_uploads_a_pdf_then_gets_it_cited_and_removes_it(page, assistant, tmp_path: Path) -> None:
    pdf = _orchard_pdf(tmp_path / "orchard-programme.pdf")
    assert "Orchard" not in library_text(page)
    assert page.locator("#ethos-admin").is_hidden()  # staff (the default role) has no admin controls
    sign_in(page, "admin-key", "admin")
    library_text(page)
    page.wait_for_selector("#ethos-admin", state="visible")
    page.set_input_files("#ethos-upload input[type=file]", str(pdf))
    page.wait_for_selector("#ethos-upload [data-testid=download-link]")  # uploaded, not just listed
    page.wait_for_function(  # the title the PDF gives itself, offered for editing before anything is ingested
        "() => (document.querySelector('#ethos-upload-meta')?.textContent || '').includes('Orchard Programme')")
    page.click("#ethos-upload-btn")
    page.wait_for_function("() => document.querySelector('#ethos-results')?.textContent.includes('ingested')")
    assert "orchard-programme.pdf" in page.inner_text("#ethos-results")
    assert "uploads/orchard-programme.pdf" in library_text(page)

    try:
        back_to_chat(page)
        answer = ask(page, "When do Year 5 pupils plant pear trees in the orchard?")
        assert "ethos-answered" in answer.get_attribute("class")
        titles = source_titles(answer)
        hit = next(i for i, t in enumerate(titles) if "orchard" in t.lower())
        seen = open_source(page, answer, hit)
        assert "pear tree" in seen["mark"]
        assert ORCHARD_FACT.split(" plants")[0] in seen["text"]
    finally:
        page.click("#ethos-tab-library-button")
        page.click("#ethos-delete-doc input")
        page.keyboard.type("orchard")
        page.get_by_role("option", name=re.compile("orchard", re.I)).first.click()
        page.click("#ethos-delete-btn")
        page.click("#ethos-delete-yes")  # removing asks first
        page.wait_for_function(
            "() => (document.querySelector('#ethos-delete-status')?.textContent || '').includes('Removed')")
    assert "orchard" not in library_text(page).lower()
    assert not [d for d in assistant.kb.documents(_principal(assistant, "admin")) if "orchard" in d.doc_id]


@pytest.mark.browser
def test_admin_reindexes_the_corpus_folder(page) -> None:
    assert page.locator("#ethos-reindex-btn").is_hidden()
    sign_in(page, "admin-key", "admin")
    library_text(page)
    page.click("#ethos-reindex-btn")
    page.click("#ethos-reindex-yes")  # re-indexing asks first
    page.wait_for_function(
        "() => (document.querySelector('#ethos-reindex-status')?.textContent || '').includes('Re-indexed')")
    status = page.inner_text("#ethos-reindex-status")
    assert "0 ingested, 6 unchanged, 0 removed, 0 failed" in status, status
    assert "governors-confidential.md" in page.inner_text("#ethos-results")


@pytest.mark.browser
def test_staff_never_sees_the_governors_only_paper(page, assistant) -> None:
    question = "What is Project Kestrel and how will the budget deficit be recovered?"
    sign_in(page, "staff-key", "staff")
    assert KESTREL_TITLE not in library_text(page)
    back_to_chat(page)
    answer = ask(page, question)
    assert not [t for t in source_titles(answer) if KESTREL_TITLE in t]
    # a refusal may name the asker's own word (“Kestrel”) as missing, never the paper's content
    assert "Kestrel" not in answer.inner_text().replace("“Kestrel”", "")
    assert "closest passages don't mention" not in answer.inner_text()

    # the same page with a governor's key: the paper is listed and cited (so the check above can fail)
    sign_in(page, "gov-key", "governor")
    assert KESTREL_TITLE in library_text(page)
    back_to_chat(page)
    answer = ask(page, question)
    assert [t for t in source_titles(answer) if KESTREL_TITLE in t]
    assert page.locator("#ethos-admin").is_hidden()
    assert assistant.kb.document(PRIVATE_DOC_ID, _principal(assistant, "staff")) is None


@pytest.mark.browser
def test_unsupported_sentences_are_marked_in_generative_answers(browser, demo_settings, assistant) -> None:
    """A real OpenAI-compatible server (scripted) behind the same UI: the invented sentence gets ⚠."""
    from assistant.llm import build_llm
    from assistant.service import Assistant
    from tests.fake_llm import FakeLLM

    invented = "The trust also runs a fleet of research submarines"

    def reply(messages) -> str:
        """One sentence copied from passage [1] (supported), then one invented (unsupported)."""
        passage = re.search(r"\[1\][^\n]*:\n(.*?)(?:\n\n\[2\]|\n\nQuestion:)", messages[-1]["content"], re.S)
        line = max(passage.group(1).splitlines(), key=len).split(". ")[0].rstrip(".")
        return f"{line} [1]. {invented} [1]."

    with FakeLLM(default=reply) as fake:
        settings = demo_settings.model_copy(update={"llm_base_url": fake.url})
        generative = Assistant(settings, kb=assistant.kb, llm=build_llm(settings))
        server = _serve(ui_app(settings, generative))
        url = next(server)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            open_page(page, url)
            answer = ask(page, "What are our values?")
            flagged = answer.locator(".ethos-unsupported")
            assert flagged.count() == 1
            assert invented in flagged.inner_text() and "⚠" in flagged.inner_text()
            assert answer.locator(".ethos-answer-text").inner_text().index(invented) > 0  # a sentence before it…
            assert answer.locator(".ethos-unsupported-note").is_visible()
            shoot(page, "generative-unsupported.png")
        finally:
            context.close()
            next(server, None)


# -- without a browser ---------------------------------------------------------------------------------------
def test_library_changes_recheck_the_role_on_the_server(ui_settings: Settings, assistant, tmp_path: Path) -> None:
    """Hidden buttons are a courtesy: a staff or unknown key calling the callbacks directly is refused,
    with the reason as the message shown beside the button."""
    from ui.library import LibraryHandlers

    lib = LibraryHandlers(assistant, ui_settings)
    before = [d.doc_id for d in assistant.kb.documents(_principal(assistant, "admin"))]
    pdf = _orchard_pdf(tmp_path / "sneaky.pdf")
    for key in ("staff-key", "gov-key", "not-a-key"):
        refusals = [lib.upload([str(pdf)], "all", "", key)[0], lib.delete("demo/phase-2-growth-plan.txt", key)[0],
                    lib.reindex(key)[0], lib.confirm_delete("demo/phase-2-growth-plan.txt", key)[0],
                    lib.confirm_reindex(key)[0]]
        for message in refusals:
            assert message.startswith("⚠") and ("Only an admin" in message or "key" in message.lower()), message
    assert [d.doc_id for d in assistant.kb.documents(_principal(assistant, "admin"))] == before
    assert not (ui_settings.data_dir / "uploads" / "sneaky.pdf").exists()


def test_answer_html_escapes_document_text_and_locates_unsupported_sentences() -> None:
    from ui.render import answer_html, parse_token, source_token

    nasty = '<img src=x onerror="alert(1)"> & **bold**'
    c = Citation(n=1, doc_id="d", title=nasty, organisation="O", section="S", page=1, quote=nasty, start=0,
                 end=len(nasty), chunk_id="d#1", score=1.0)
    answer = Answer(answer=f"Fine [1]. Made up,\r\n\r\nreally [1].\n- {nasty} [1]", citations=[c], mode="generative",
                    sentences=[Sentence(text="Fine.", citations=[1]),
                               Sentence(text="Made up, really.", citations=[1], supported=False)])
    out = answer_html(answer, 7)
    assert "<img" not in out and "&lt;img" in out
    assert "\n" not in out and "\r" not in out  # one line: Markdown never touches it
    # the flagged sentence spans a paragraph break: flagged on both sides, and the tags still nest
    assert re.search(r'"ethos-unsupported"[^>]*>⚠ Made up,</span></p><p><span class="ethos-unsupported"[^>]*>really',
                     out)
    assert out.count("<span") == out.count("</span>") and out.count("<p>") == out.count("</p>")
    assert "Fine" not in "".join(re.findall(r'"ethos-unsupported"[^>]*>(.*?)</span>', out))
    assert out.count(f"ethos-ref-{source_token(c)}") == 4  # three markers and one source button
    assert out.count("Source 1: &lt;img") == 4  # each is named "Source n: <title>, page N"
    assert parse_token(source_token(c)) == {"n": 1, "doc_id": "d", "page": 1, "start": 0, "end": len(nasty),
                                            "section": "S", "crc": parse_token(source_token(c))["crc"]}
    assert parse_token("not-a-token") is None and parse_token("") is None


def _principal(assistant, role: str):
    from assistant.access import principal_for_key

    key = {"staff": "staff-key", "governor": "gov-key", "admin": "admin-key"}[role]
    return principal_for_key(assistant.settings, key)


def _orchard_pdf(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = [
        Paragraph("Orchard Programme", styles["Title"]),
        Paragraph("Purpose", styles["Heading2"]),
        Paragraph("The Orchard Programme connects every primary school in the trust with the outdoors "
                  "and with the seasons.", styles["BodyText"]),
        PageBreak(),
        Paragraph("Planting", styles["Heading2"]),
        Paragraph(ORCHARD_FACT + " Teachers record each tree on the orchard map.", styles["BodyText"]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, title="Orchard Programme").build(story)
    return path


@pytest.mark.browser
def test_onboarding_path_runs_end_to_end(page, assistant) -> None:
    """A new hire starts onboarding, gets the first topic answered with a citation, asks for
    more, moves on, and the progress survives a reload of the page."""
    from assistant import onboarding

    onboarding.reset(assistant.kb, "staff-key")
    sign_in(page, "staff-key", "staff")
    page.click("#ethos-tab-onboarding-button")
    chat = "#ethos-onboarding-chat"
    status = "#ethos-onboarding-status"

    def bubbles() -> int:
        return page.locator(f"{chat} .message").count()

    before = bubbles()
    page.click("#ethos-onboarding-start")
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length > n", arg=[f"{chat} .message", before])
    page.wait_for_function("s => (document.querySelector(s)?.textContent || '').includes('Dreaming big')", arg=chat)
    assert "Our values" in page.inner_text(status)

    before = bubbles()
    page.click("#ethos-onboarding-more")
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length > n", arg=[f"{chat} .message", before])

    page.click("#ethos-onboarding-next")
    page.wait_for_function("s => (document.querySelector(s)?.textContent || '').includes('1 of 5')", arg=status)
    shoot(page, "onboarding.png")

    open_page(page)
    assert onboarding.next_topic(assistant.kb, "staff-key").topic == "Our mission and vision"  # remembered
