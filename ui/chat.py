"""Chat-tab callbacks: ask (streamed), open a source, rate an answer, comment on it.

Each callback is a few lines around the same domain calls the API makes: the key
typed into the page is turned into a Principal by `principal_for_key` on every call
(so the page enforces nothing itself), `Assistant.stream` answers, `KnowledgeBase.page`
serves the viewer under the same audience check, and `FeedbackStore` keeps ratings.

Per-session state (`turns`) maps the chat's message index of each answer to what is
needed later: the question, the Answer (for its citations), the role that asked, and
the id of the feedback row once the user rates it.
"""

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.access import AuthError
from assistant.api.schemas import check_question
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation, Turn
from assistant.service import Assistant
from ingest.settings import Settings
from ui import render
from ui.handlers import TabHandlers

log = logging.getLogger(__name__)
HISTORY_TURNS = 3  # earlier question/answer pairs sent for follow-up resolution

Messages = list[dict[str, Any]]
Turns = dict[int, dict[str, Any]]


def user_html(question: str) -> str:
    return f'<div class="ethos-question">{render.esc(question)}</div>'


class ChatHandlers(TabHandlers):
    def __init__(self, assistant: Assistant, settings: Settings, feedback: FeedbackStore) -> None:
        super().__init__(assistant, settings)
        self.feedback = feedback

    # -- asking --------------------------------------------------------------------------------
    def respond(self, question: str, messages: Messages | None, turns: Turns | None, key: str) -> Iterator[tuple]:
        """Yields (chat, turns, question box, starters, feedback panel) as the answer grows."""
        messages, turns = list(messages or []), dict(turns or {})
        question = (question or "").strip()
        if not question:
            yield messages, turns, gr.update(), gr.update(), gr.update()
            return
        messages += [{"role": "user", "content": user_html(question)},
                     {"role": "assistant", "content": render.streaming_html("")}]
        index = len(messages) - 1
        hide = gr.update(visible=False)
        yield gr.update(value=messages, visible=True), turns, "", hide, hide
        # Later yields leave the other outputs alone: the user may already be typing the next
        # question or rating this answer, and Gradio re-applies the last yield when the stream ends.
        keep = gr.update()
        try:
            principal = self.principal(key)
            check_question(question)
            history = _history(turns)
            text = ""
            for event in self.assistant.stream(question, principal, history):
                if isinstance(event, Answer):
                    turns[index] = {"question": question, "answer": event.model_dump(), "role": principal.role,
                                    "feedback_id": None}
                    messages[index] = {"role": "assistant", "content": render.answer_html(event, index)}
                else:
                    text += event
                    messages[index] = {"role": "assistant", "content": render.streaming_html(text)}
                yield messages, turns, keep, keep, keep
        except AuthError as exc:
            messages[index] = {"role": "assistant", "content": render.error_html(
                f"{exc}. Check the access key at the top of the page, or clear it to use the default role.")}
            yield messages, turns, question, keep, keep
        except ValueError as exc:
            messages[index] = {"role": "assistant", "content": render.error_html(str(exc))}
            yield messages, turns, question, keep, keep
        except Exception:  # noqa: BLE001 - the user must hear about it; the log gets the detail
            log.exception("answering %r failed", question)
            messages[index] = {"role": "assistant", "content": render.error_html(
                "The answer failed on the server; please try again (details are in the server log).")}
            yield messages, turns, question, keep, keep

    def clear(self) -> tuple:
        """New chat: empty transcript and state, starters back, viewer and feedback reset."""
        return (gr.update(value=[], visible=False), {}, gr.update(visible=True), render.VIEWER_EMPTY,
                gr.update(visible=False))

    # -- the source viewer ---------------------------------------------------------------------
    def open_source(self, turns: Turns | None, key: str, evt: gr.SelectData) -> str:
        ref = render.parse_ref(str(evt.index))
        turn = (turns or {}).get(ref[0]) if ref else None
        if turn is None:
            return render.VIEWER_EMPTY
        cites = [Citation(**c) for c in turn["answer"]["citations"] if c["n"] == ref[1]]
        if not cites:
            return render.VIEWER_EMPTY
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return render.error_html(str(exc))
        page = self.assistant.kb.page(cites[0].doc_id, cites[0].page, principal)
        return render.viewer_html(cites[0], page)

    # -- feedback ------------------------------------------------------------------------------
    def rate(self, turns: Turns | None, target: int | None, evt: gr.LikeData) -> tuple:
        """Store 👍/👎 at once (durable even if no comment follows) and offer a comment box.

        Returns (turns, panel, feedback id, prompt, comment box, status). The comment box is
        emptied only when the rating is for another answer, in this same event — a chained
        event could wipe a comment the user has started typing in the meantime.
        """
        turns = dict(turns or {})
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = turns.get(index)
        keep = gr.update()
        if turn is None or not isinstance(evt.liked, bool):  # an error message, or a rating withdrawn
            return turns, keep, keep, keep, keep, keep
        rating = "up" if evt.liked else "down"
        if turn["feedback_id"] is None:
            answer = Answer(**turn["answer"])
            turn["feedback_id"] = self.feedback.add(
                question=turn["question"], answer_json=answer.model_dump_json(), citations=answer.citations,
                role=turn["role"], rating=rating, history=[t.model_dump() for t in _history(turns, before=index)],
            )
        else:
            self.feedback.update(turn["feedback_id"], rating=rating)
        turns[index] = turn
        thanks = "Thanks, noted 👍." if rating == "up" else "Thanks, noted 👎. What was wrong or missing?"
        prompt = f"**{thanks}** Add a comment about this answer (optional) and press Enter."
        same = target == turn["feedback_id"]
        return (turns, gr.update(visible=True), turn["feedback_id"], prompt, keep if same else "",
                keep if same else "")

    def comment(self, feedback_id: int | None, text: str) -> tuple:
        if feedback_id is None or not (text or "").strip():
            return gr.update(), "Write a comment first, or just carry on."
        self.feedback.update(int(feedback_id), comment=text)
        return "", "✓ Comment saved. Thank you."


def _history(turns: Turns, before: int | None = None) -> list[Turn]:
    """The last few question/answer pairs, oldest first, for resolving follow-up questions."""
    keys = sorted(k for k in turns if before is None or k < before)[-HISTORY_TURNS:]
    out: list[Turn] = []
    for k in keys:
        out += [Turn(role="user", content=turns[k]["question"]),
                Turn(role="assistant", content=turns[k]["answer"]["answer"])]
    return out
