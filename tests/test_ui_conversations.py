"""Regenerate and Edit on the Ask tab (issue 12): the last question asked again, or changed and asked
in its place, its old answer replaced on screen and in the saved conversation, across a reload.

The conversation logic (`ui.conversations.without_last`) is tested directly; the flows run in a
real Chromium against the real app (tests/browser.py)."""

from __future__ import annotations

import pytest

from tests.browser import DONE, ask, browser, page, reopen_conversation, ui_settings, ui_url  # noqa: F401 - fixtures
from ui.chat import user_html
from ui.conversations import ConversationStore, question_of, without_last


def _chat(*questions: str) -> tuple[list, dict]:
    messages, turns = [], {}
    for q in questions:
        messages += [{"role": "user", "content": [{"type": "text", "text": user_html(q)}]},
                     {"role": "assistant", "content": f"<div>answer to {q}</div>"}]
        turns[len(messages) - 1] = {"question": q}
    return messages, turns


def test_without_last_drops_the_last_question_and_everything_after_it() -> None:
    tricky = 'Is <b>"1 & 2"</b> ok?\nsecond line'
    messages, turns = _chat("first", tricky)
    kept, kept_turns, question = without_last(messages, turns)
    assert question == tricky  # exactly as typed, though the message holds it escaped
    assert kept == messages[:2] and kept_turns == {1: {"question": "first"}}
    stopped = messages + [{"role": "user", "content": user_html("third")},
                          {"role": "assistant", "content": "<div>partial"}]  # Stop left no turn state
    assert without_last(stopped, turns)[2] == "third" and without_last(stopped, turns)[0] == messages
    assert without_last([], {}) == ([], {}, None)
    assert question_of(user_html("a < b")) == "a < b"


def test_a_saved_conversation_takes_the_edited_first_question_as_its_title(tmp_path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conv = store.save("me", None, "old question", *_chat("old question"))
    assert store.save("me", conv, "new question", *_chat("new question")) == conv
    assert [label.split(" — ")[0] for label, _ in store.listing("me")] == ["new question"]
    assert store.load("me", conv)[1] == {1: {"question": "new question"}}


def _questions(page) -> list[str]:
    return page.locator("#ethos-chat .ethos-question").all_inner_texts()


def _tag_answers(page) -> None:
    """Mark the answers now on screen, to tell a re-asked answer from the old one."""
    page.evaluate(f"() => document.querySelectorAll({DONE!r}).forEach(a => a.classList.add('ethos-old'))")


@pytest.mark.browser
def test_regenerate_replaces_the_last_answer_and_is_saved(page) -> None:
    first, last = "What does every lesson look like here?", "How do we support staff wellbeing?"
    assert page.locator("#ethos-regenerate").is_hidden()  # nothing asked yet
    ask(page, first)
    ask(page, last)
    _tag_answers(page)
    page.click("#ethos-regenerate")
    page.wait_for_function(f"() => document.querySelector({DONE!r} + ':not(.ethos-old)')")
    assert _questions(page) == [first, last]  # asked again in place, not appended
    assert page.locator(DONE).count() == 2 and page.locator(f"{DONE}.ethos-old").count() == 1
    assert page.locator(DONE).last.locator(".ethos-source").count() >= 1
    assert page.input_value("#ethos-question textarea") == ""

    reopen_conversation(page, first)
    assert _questions(page) == [first, last] and page.locator(DONE).count() == 2
    _tag_answers(page)
    page.wait_for_selector("#ethos-regenerate", state="visible")  # and again, on the reopened conversation
    page.click("#ethos-regenerate")
    page.wait_for_function(f"() => document.querySelector({DONE!r} + ':not(.ethos-old)')")
    assert _questions(page) == [first, last] and page.locator(DONE).count() == 2


@pytest.mark.browser
def test_edit_changes_the_last_question_and_replaces_what_followed(page) -> None:
    first, wrong, right = "What are our values?", "What is the capital of France?", "How do we support staff wellbeing?"
    ask(page, first)
    ask(page, wrong)
    page.click("#ethos-edit")
    page.wait_for_selector("#ethos-edit-note", state="visible")
    assert page.input_value("#ethos-question textarea") == wrong
    assert page.evaluate("document.activeElement === document.querySelector('#ethos-question textarea')")
    page.click("#ethos-edit-cancel")  # changing one's mind changes nothing
    page.wait_for_selector("#ethos-edit-note", state="hidden")
    assert page.input_value("#ethos-question textarea") == "" and _questions(page) == [first, wrong]

    page.click("#ethos-edit")
    page.wait_for_selector("#ethos-edit-note", state="visible")
    page.fill("#ethos-question textarea", right)
    _tag_answers(page)
    page.press("#ethos-question textarea", "Enter")
    page.wait_for_selector("#ethos-edit-note", state="hidden")
    page.wait_for_function(f"() => document.querySelector({DONE!r} + ':not(.ethos-old)')")
    assert _questions(page) == [first, right]
    assert page.locator(DONE).count() == 2 and "ethos-refusal" not in page.locator(DONE).last.get_attribute("class")

    ask(page, "What does every lesson look like here?")  # after an edit, questions append as usual
    assert len(_questions(page)) == 3
    page.click("#ethos-edit")
    page.wait_for_selector("#ethos-edit-note", state="visible")  # the box holds the old question first
    page.fill("#ethos-question textarea", wrong)
    page.press("#ethos-question textarea", "Enter")
    page.wait_for_function("q => [...document.querySelectorAll('#ethos-chat .ethos-question')]"
                           ".map(e => e.textContent).at(-1) === q", arg=wrong)
    page.wait_for_function(f"() => document.querySelectorAll({DONE!r}).length === 3")

    reopen_conversation(page, first)
    assert _questions(page) == [first, right, wrong] and page.locator(DONE).count() == 3
    assert "ethos-refusal" in page.locator(DONE).last.get_attribute("class")  # the edited-in question's answer
