"""Chat-tab callbacks: ask (streamed, within a chosen scope), regenerate or edit the last question,
suggest follow-ups, rate an answer, comment on it.

Each callback is a few lines around the same domain calls the API makes: the key
typed into the page is turned into a Principal by `principal_for_key` on every call
(so the page enforces nothing itself), `Assistant.stream` answers (with the scope picker's
`Filters`), `assistant.suggest` proposes next questions, and `FeedbackStore` keeps ratings.
Regenerate and Edit drop the last question and answer (`ui.conversations.without_last`) and
ask again through `respond`, so the saved conversation holds the new answer in its place.
Sources open in the shared viewer (`ui.viewer`), which needs nothing from this state.

Answers are computed as the API's are: on the app's answer limiter (`ETHOS_ANSWER_WORKERS`,
`assistant.api.answering.stream_answer`, the same call `POST /api/chat` makes), so chat on the
page and clients of the API take their turn together and Gradio's queue adds no answers of its
own; waiting for a turn holds no thread. The other work of a callback runs on a worker thread too.

Per-session state (`turns`) maps the chat's message index of each answer to what is
needed later: the question, the Answer (for its citations), the role that asked, and
the id of the feedback row once the user rates it.
"""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import anyio.to_thread
import gradio as gr
from anyio import CapacityLimiter

from assistant.access import AuthError
from assistant.api.answering import answer_limiter, stream_answer
from assistant.api.schemas import check_question
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Filters, Principal, Turn
from assistant.service import Assistant
from assistant.suggest import suggest_followups
from ingest.settings import Settings
from ui import render
from ui.conversations import without_last
from ui.handlers import TabHandlers

log = logging.getLogger(__name__)
HISTORY_TURNS = 3  # earlier question/answer pairs sent for follow-up resolution
REDRAW_S = 0.3  # at most ~3 redraws a second while an answer streams
FOLLOWUPS = 3  # suggested next questions under an answer

Messages = list[dict[str, Any]]
Turns = dict[int, dict[str, Any]]


def user_html(question: str) -> str:
    return f'<div class="ethos-question">{render.esc(question)}</div>'


class ChatHandlers(TabHandlers):
    def __init__(self, assistant: Assistant, settings: Settings, feedback: FeedbackStore,
                 limiter: CapacityLimiter | None = None) -> None:
        """`limiter`: the app's answer limiter (`app.state.answer_limiter`); a page on its own gets one."""
        super().__init__(assistant, settings)
        self.feedback = feedback
        self.limiter = limiter if limiter is not None else answer_limiter(settings)

    # -- asking --------------------------------------------------------------------------------
    async def respond(self, question: str, messages: Messages | None, turns: Turns | None, key: str,
                      organisations: list[str] | None = None, doc_ids: list[str] | None = None,
                      box: str = "") -> AsyncIterator[tuple]:
        """Yields (chat, turns, question box, starters, feedback panel, viewer, *follow-ups) as the answer grows.

        The chat is redrawn at most every `REDRAW_S` seconds while text arrives (and once when the
        answer is complete), so a 500-word answer costs the browser a handful of renders, like a
        5-word one, instead of one full re-render of the conversation per word. `box` is what the
        question box shows once the question is taken (Regenerate leaves it alone: `gr.update()`)."""
        messages, turns = list(messages or []), dict(turns or {})
        question = (question or "").strip()
        keep = gr.update()
        if not question:
            yield (messages, turns, keep, keep, keep, keep, *_no_followups(keep))
            return
        messages += [{"role": "user", "content": user_html(question)},
                     {"role": "assistant", "content": render.streaming_html("")}]
        index = len(messages) - 1
        hide = gr.update(visible=False)
        yield (gr.update(value=messages, visible=True), turns, box, hide, hide, render.VIEWER_EMPTY,
               *_no_followups(hide))
        # Later yields leave the other outputs alone: the user may already be typing the next
        # question or rating this answer, and Gradio re-applies the last yield when the stream ends.
        try:
            principal, filters, scope = await anyio.to_thread.run_sync(self._asked, question, key, organisations,
                                                                       doc_ids)
            stream = self.assistant.stream(question, principal, _history(turns), filters=filters)
            text, drawn = "", time.monotonic()
            async with aclosing(stream_answer(self.limiter, stream)) as events:
                async for event in events:
                    if isinstance(event, Answer):
                        turns[index] = {"question": question, "answer": event.model_dump(), "role": principal.role,
                                        "feedback_id": None, "scope": scope}
                        html, followups = await anyio.to_thread.run_sync(self._answered, event, index, scope, principal)
                        messages[index] = {"role": "assistant", "content": html}
                        yield (messages, turns, keep, keep, keep, keep, *followups)
                        return
                    text += event
                    if time.monotonic() - drawn >= REDRAW_S:
                        messages[index] = {"role": "assistant", "content": render.streaming_html(text)}
                        drawn = time.monotonic()
                        yield (messages, turns, keep, keep, keep, keep, *_no_followups(keep))
        except AuthError as exc:
            messages[index] = {"role": "assistant", "content": render.error_html(
                f"{exc}. Check the access key at the top of the page, or clear it to use the default role.")}
            yield (messages, turns, question, keep, keep, keep, *_no_followups(keep))
        except ValueError as exc:
            messages[index] = {"role": "assistant", "content": render.error_html(str(exc))}
            yield (messages, turns, question, keep, keep, keep, *_no_followups(keep))
        except Exception:  # noqa: BLE001 - the user must hear about it; the log gets the detail
            log.exception("answering %r failed", question)
            messages[index] = {"role": "assistant", "content": render.error_html(
                "The answer failed on the server; please try again (details are in the server log).")}
            yield (messages, turns, question, keep, keep, keep, *_no_followups(keep))

    def _asked(self, question: str, key: str, organisations: list[str] | None,
               doc_ids: list[str] | None) -> tuple[Principal, Filters | None, str]:
        """(principal, filters, scope line) for a question; AuthError or ValueError for the asker to read."""
        principal = self.principal(key)
        check_question(question)
        return (principal, *self.scope(principal, organisations, doc_ids))

    def _answered(self, answer: Answer, index: int, scope: str, principal: Principal) -> tuple[str, list]:
        """The finished answer's HTML and its follow-up buttons."""
        return render.answer_html(answer, index, scope), self._followups(answer, principal)

    async def regenerate(self, messages: Messages | None, turns: Turns | None, key: str,
                         organisations: list[str] | None = None,
                         doc_ids: list[str] | None = None) -> AsyncIterator[tuple]:
        """Ask the last question again; the new answer replaces the last one (respond's outputs)."""
        messages, turns, question = without_last(messages, turns)
        async for out in self.respond(question or "", messages, turns, key, organisations, doc_ids, box=gr.update()):
            yield out

    async def ask_edited(self, question: str, messages: Messages | None, turns: Turns | None, key: str,
                         organisations: list[str] | None, doc_ids: list[str] | None,
                         editing: bool) -> AsyncIterator[tuple]:
        """The question box: a new question, or, while editing, the changed last question in its place.
        Yields respond's outputs and then (editing, the edit note), which end once a question is taken."""
        taken = bool((question or "").strip())
        if editing and taken:
            messages, turns, _ = without_last(messages, turns)
        after = (False, gr.update(visible=False)) if taken else (gr.update(), gr.update())
        async for out in self.respond(question, messages, turns, key, organisations, doc_ids):
            yield (*out, *after)

    @staticmethod
    def start_edit(messages: Messages | None) -> tuple:
        """Edit: (question box, editing, edit note) with the last question in the box to change."""
        _, _, question = without_last(messages, {})
        if question is None:
            return gr.update(), False, gr.update(visible=False)
        return question, True, gr.update(visible=True)

    @staticmethod
    def tools(messages: Messages | None) -> tuple:
        """(Regenerate, Edit) shown once something has been asked."""
        asked = any(m.get("role") == "user" for m in messages or [])
        return gr.update(visible=asked), gr.update(visible=asked)

    def scope(self, principal: Principal, organisations: list[str] | None,
              doc_ids: list[str] | None) -> tuple[Filters | None, str]:
        """The picker's choice as retrieval filters, and the line shown on the answer ("" = everything)."""
        organisations, doc_ids = list(organisations or []), list(doc_ids or [])
        if not organisations and not doc_ids:
            return None, ""
        titles = [d.title for d in (self.kb.document(i, principal) for i in doc_ids) if d is not None]
        if doc_ids and not titles:
            raise ValueError("None of the chosen documents is available to your role; change the scope.")
        parts = [", ".join(organisations)] if organisations else []
        parts += [", ".join(titles)] if titles else []
        return Filters(organisation=organisations or None, doc_id=doc_ids or None), "; ".join(parts)

    def scope_choices(self, key: str) -> tuple:
        """(organisations, documents) the key's role may pick from; earlier picks it cannot see are dropped."""
        try:
            docs = self.kb.documents(self.principal(key))
        except AuthError:
            docs = []
        orgs = sorted({d.organisation for d in docs})
        return (gr.update(choices=orgs, value=[]),
                gr.update(choices=[(f"{d.title} ({d.organisation})", d.doc_id) for d in docs], value=[]))

    def _followups(self, answer: Answer, principal: Principal) -> list:
        """Up to FOLLOWUPS questions about neighbouring sections of the answer's sources, as buttons."""
        try:
            found = [] if answer.refused else suggest_followups(answer, self.kb, principal, n=FOLLOWUPS)
        except Exception:  # noqa: BLE001 - suggestions are a courtesy; the answer stands without them
            log.exception("follow-up suggestions failed")
            found = []
        buttons = [gr.update(value=q, visible=True) for q in found[:FOLLOWUPS]]
        buttons += [gr.update(visible=False)] * (FOLLOWUPS - len(buttons))
        return [gr.update(visible=bool(found)), *buttons]

    def clear(self) -> tuple:
        """New chat: empty transcript and state, starters back, viewer, feedback and follow-ups reset;
        then Regenerate, Edit, the editing flag and its note."""
        hide = gr.update(visible=False)
        return (gr.update(value=[], visible=False), {}, gr.update(visible=True), render.VIEWER_EMPTY, hide,
                *_no_followups(hide), hide, hide, False, hide)

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
        asked = turn["question"] if len(turn["question"]) <= 90 else turn["question"][:89] + "…"
        prompt = (f"**{thanks}** About the answer to “{asked}”: add a comment (optional) and press Enter.")
        same = target == turn["feedback_id"]
        return (turns, gr.update(visible=True), turn["feedback_id"], prompt, keep if same else "",
                keep if same else "")

    def comment(self, feedback_id: int | None, text: str) -> tuple:
        if feedback_id is None or not (text or "").strip():
            return gr.update(), "Write a comment first, or just carry on."
        self.feedback.update(int(feedback_id), comment=text)
        return "", "✓ Comment saved. Thank you."


def _no_followups(update: dict) -> list:
    return [update] * (FOLLOWUPS + 1)


def _history(turns: Turns, before: int | None = None) -> list[Turn]:
    """The last few question/answer pairs, oldest first, for resolving follow-up questions."""
    keys = sorted(k for k in turns if before is None or k < before)[-HISTORY_TURNS:]
    out: list[Turn] = []
    for k in keys:
        out += [Turn(role="user", content=turns[k]["question"]),
                Turn(role="assistant", content=turns[k]["answer"]["answer"])]
    return out
