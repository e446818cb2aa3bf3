"""The Onboarding tab: a new member of staff walks the trust's onboarding path with the assistant.

"Start" asks the first topic they have not finished; "Next topic" marks it done and asks
the next; "Tell me more" asks a follow-up on the same topic (about a neighbouring section
of the cited document, from `assistant.suggest`); a question box takes anything at any
point. Answers come from `Assistant.ask` with the key's principal, as in the Ask tab,
and progress is remembered per access key (`assistant.onboarding`), across sessions.
Sources open in the page's one viewer; "Start over" asks for confirmation before it forgets.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from anyio import CapacityLimiter

from assistant import onboarding
from assistant.access import AuthError
from assistant.api.answering import answer_from_worker, answer_limiter
from assistant.models import Answer, Turn
from assistant.service import Assistant
from assistant.suggest import followups, section_answer
from ingest.settings import Settings
from ui import render
from ui.handlers import TabHandlers

log = logging.getLogger(__name__)
State = dict[str, Any]
Messages = list[dict[str, str]]


def static_answer_html(answer: Answer, index: int) -> str:
    """The Ask tab's answer HTML: its markers and sources open the shared viewer (`ui.viewer`)."""
    return render.answer_html(answer, index)


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": f'<div class="ethos-question">{render.esc(text)}</div>'}


class OnboardingHandlers(TabHandlers):
    def __init__(self, assistant: Assistant, settings: Settings, limiter: CapacityLimiter | None = None) -> None:
        """`limiter`: the app's answer limiter (the chat's); a tab on its own gets one."""
        super().__init__(assistant, settings)
        self.limiter = limiter if limiter is not None else answer_limiter(settings)

    def status(self, key: str | None) -> str:
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return f"⚠ {exc}"
        done, total = onboarding.progress(self.kb, key, principal)
        upcoming = onboarding.next_topic(self.kb, key, principal)
        path = onboarding.onboarding_path(self.kb, principal)
        done_topics = onboarding.progress_store(self.kb).done(onboarding.user_id(key))
        steps = " → ".join(("✓ " if t.topic in done_topics else "") + t.topic for t in path)
        nxt = f" Next: **{upcoming.topic}**." if upcoming else " You have finished the path."
        return f"**Onboarding: {done} of {total} topics done.**{nxt}\n\n{steps}"

    def _answer(self, question: str, key: str | None, history: list[Turn], messages: Messages,
                state: State) -> tuple[Messages, State]:
        messages = messages + [_user(question)]
        try:
            answer = answer_from_worker(self.limiter, self.assistant.ask, question, self.principal(key),
                                        history=history)  # in turn with the API's answers
        except AuthError as exc:
            return messages + [{"role": "assistant", "content": render.error_html(str(exc))}], state
        except Exception:  # noqa: BLE001 - the user must hear about it; the log has the detail
            log.exception("onboarding question %r failed", question)
            return messages + [{"role": "assistant", "content": render.error_html(
                "Something went wrong while answering; please try again.")}], state
        return self._show(question, answer, messages[:-1], state)

    def _show(self, question: str, answer: Answer, messages: Messages, state: State) -> tuple[Messages, State]:
        messages = messages + [_user(question)]
        messages = messages + [{"role": "assistant", "content": static_answer_html(answer, len(messages))}]
        state = {**state, "history": (state.get("history") or []) + [[question, answer.answer]],
                 "asked": (state.get("asked") or []) + [question], "last": answer.model_dump()}
        return messages, state

    def start(self, key: str | None, messages: Messages | None, state: State | None) -> tuple:
        """Ask the first unfinished topic: (chat, state, status)."""
        messages, state = list(messages or []), dict(state or {})
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return messages + [{"role": "assistant", "content": render.error_html(str(exc))}], state, f"⚠ {exc}"
        topic = onboarding.next_topic(self.kb, key, principal)
        if topic is None:
            note = ('<div class="ethos-answer"><p>You have finished the onboarding path. Ask anything below, '
                    "or choose <em>Start over</em> to walk it again.</p></div>")
            return messages + [{"role": "assistant", "content": note}], {**state, "topic": None}, self.status(key)
        state = {"topic": topic.topic, "history": [], "asked": []}
        messages = messages + [{"role": "assistant", "content":
                                f'<div class="ethos-onboarding-topic"><strong>{render.esc(topic.topic)}</strong></div>'}]
        messages, state = self._answer(topic.question, key, [], messages, state)
        return messages, state, self.status(key)

    def next(self, key: str | None, messages: Messages | None, state: State | None) -> tuple:
        """Mark the current topic done and ask the next one."""
        state = dict(state or {})
        if state.get("topic"):
            onboarding.mark_done(self.kb, key, state["topic"])
        return self.start(key, messages, state)

    def more(self, key: str | None, messages: Messages | None, state: State | None) -> tuple:
        """A follow-up on the current topic: a neighbouring section of what was cited, else "tell me more"."""
        messages, state = list(messages or []), dict(state or {})
        if not state.get("topic") or not state.get("last"):
            return self.start(key, messages, state)
        question = f"Tell me more about {state['topic'].lower()}"
        try:
            principal = self.principal(key)
            last = Answer.model_validate(state["last"])
            asked = set(state.get("asked") or [])
            for f in followups(last, self.kb, principal, n=5):
                # the next section of a cited document, quoted from the section itself
                section = section_answer(self.kb, principal, f.doc_id, f.path) if f.question not in asked else None
                if section is not None:
                    messages, state = self._show(f.question, section, messages, state)
                    return messages, state, self.status(key)
        except AuthError:
            pass
        messages, state = self._answer(question, key, _turns(state), messages, state)
        return messages, state, self.status(key)

    def ask(self, question: str, key: str | None, messages: Messages | None, state: State | None) -> tuple:
        """A free question at any point, answered in the light of this topic's conversation."""
        messages, state = list(messages or []), dict(state or {})
        question = (question or "").strip()
        if not question:
            return messages, state, gr.update(), self.status(key)
        messages, state = self._answer(question, key, _turns(state), messages, state)
        return messages, state, "", self.status(key)

    def reset(self, key: str | None) -> tuple:
        onboarding.reset(self.kb, key)
        return [], {}, self.status(key)


def _turns(state: State, keep: int = 3) -> list[Turn]:
    turns: list[Turn] = []
    for q, a in (state.get("history") or [])[-keep:]:
        turns += [Turn(role="user", content=q), Turn(role="assistant", content=a)]
    return turns


def build_onboarding_tab(assistant: Assistant, settings: Settings, key_box: gr.Textbox,
                         limiter: CapacityLimiter | None = None) -> OnboardingHandlers:
    """Lay out the tab in the current Blocks context and wire it; returns its handlers (for tests)."""
    h = OnboardingHandlers(assistant, settings, limiter)
    status = gr.Markdown(elem_id="ethos-onboarding-status")
    with gr.Row(elem_id="ethos-onboarding-buttons"):
        start = gr.Button("Start onboarding", variant="primary", elem_id="ethos-onboarding-start")
        nxt = gr.Button("Next topic", elem_id="ethos-onboarding-next")
        more = gr.Button("Tell me more", elem_id="ethos-onboarding-more")
        again = gr.Button("Start over", variant="stop", size="sm", elem_id="ethos-onboarding-reset")
    with gr.Row(visible=False, elem_id="ethos-onboarding-confirm", elem_classes=["ethos-confirm"]) as confirm:
        gr.Markdown("**Start over?** Your progress through the topics is forgotten and this conversation is "
                    "cleared.", elem_classes=["ethos-confirm-text"])
        yes = gr.Button("Yes, start over", variant="stop", size="sm", elem_id="ethos-onboarding-reset-yes")
        no = gr.Button("Cancel", size="sm", elem_id="ethos-onboarding-reset-no")
    chat = gr.Chatbot(label="Onboarding", show_label=False, elem_id="ethos-onboarding-chat", height="56vh",
                      latex_delimiters=[], feedback_options=None, layout="panel",
                      placeholder="Choose Start onboarding: the assistant walks you through the trust's "
                                  "key documents one topic at a time, quoting its sources.")
    question = gr.Textbox(label="Ask anything", elem_id="ethos-onboarding-question", lines=1, max_lines=4,
                          submit_btn="Ask", placeholder="e.g. Who do I talk to about a safeguarding concern?")
    state = gr.State({})
    gr.on(triggers=None, fn=h.status, inputs=[key_box], outputs=status, trigger_mode="always_last")
    start.click(h.start, [key_box, chat, state], [chat, state, status])
    nxt.click(h.next, [key_box, chat, state], [chat, state, status])
    more.click(h.more, [key_box, chat, state], [chat, state, status])
    question.submit(h.ask, [question, key_box, chat, state], [chat, state, question, status])
    show, hide = gr.update(visible=True), gr.update(visible=False)
    again.click(lambda: show, None, confirm, api_visibility="private")
    no.click(lambda: hide, None, confirm, api_visibility="private")
    yes.click(h.reset, [key_box], [chat, state, status]).then(lambda: hide, None, confirm,
                                                              api_visibility="private")
    return h
