"""The chat page's answers take their turn on the API's answer limiter (ETHOS_ANSWER_WORKERS).

Real parts: the session's demo index and Assistant (tests/conftest.py), the real app from
`create_app` with the page mounted by `mount_ui`, and the chat callback run on a real event loop
as Gradio runs it. A token of the limiter held elsewhere (as an /api/ask in progress would hold
it) keeps the page's answer waiting; once it is free the answer is computed.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread
import gradio as gr
from anyio import CapacityLimiter

from assistant.api import create_app
from assistant.feedback import FeedbackStore
from ui.app import mount_ui
from ui.chat import ChatHandlers
from ui.onboarding_tab import OnboardingHandlers, build_onboarding_tab


def test_the_mounted_page_answers_on_the_apps_limiter(assistant, demo_settings):
    app = mount_ui(create_app(demo_settings, assistant), assistant, demo_settings)
    blocks = next(route.app.get_blocks() for route in app.routes if hasattr(getattr(route, "app", None), "get_blocks"))
    chat = {fn.fn.__self__ for fn in blocks.fns.values() if isinstance(getattr(fn.fn, "__self__", None), ChatHandlers)}
    assert len(chat) == 1 and next(iter(chat)).limiter is app.state.answer_limiter
    tour = {fn.fn.__self__ for fn in blocks.fns.values()
            if isinstance(getattr(fn.fn, "__self__", None), OnboardingHandlers)}
    assert len(tour) == 1 and next(iter(tour)).limiter is app.state.answer_limiter


def test_a_chat_answer_waits_for_a_token_of_the_limiter(assistant, demo_settings, tmp_path):
    async def scenario() -> tuple[int, int, dict]:
        limiter = CapacityLimiter(1)
        handlers = ChatHandlers(assistant, demo_settings, FeedbackStore(tmp_path / "feedback.sqlite3"), limiter)
        busy = object()  # an API answer holding the only token
        await limiter.acquire_on_behalf_of(busy)
        outputs: list[tuple] = []

        async def chat() -> None:
            async for out in handlers.respond("What are the Dudley trust's values?", [], {}, "staff-key"):
                outputs.append(out)

        task = asyncio.ensure_future(chat())
        await asyncio.sleep(2.0)
        waiting = (len(outputs), limiter.statistics().tasks_waiting)
        limiter.release_on_behalf_of(busy)
        await asyncio.wait_for(task, timeout=120)
        return *waiting, outputs[-1][1]

    shown, waiting, turns = asyncio.run(scenario())
    assert shown == 1 and waiting == 1  # only the question and a placeholder: the answer waits its turn
    [turn] = turns.values()
    assert "demo/dudley-trust-values-vision-mission.txt" in {c["doc_id"] for c in turn["answer"]["citations"]}


def test_an_onboarding_answer_waits_for_a_token_too(assistant, demo_settings):
    """The Onboarding tab's callbacks are sync: Gradio runs them on a worker thread, as here."""
    from assistant import onboarding

    limiter = CapacityLimiter(1)
    with gr.Blocks():
        handlers = build_onboarding_tab(assistant, demo_settings, gr.Textbox(), limiter)
    onboarding.reset(assistant.kb, "staff-key")

    async def scenario() -> tuple[bool, list]:
        busy = object()
        await limiter.acquire_on_behalf_of(busy)
        task = asyncio.ensure_future(anyio.to_thread.run_sync(handlers.start, "staff-key", [], {}))
        await asyncio.sleep(2.0)
        waited = not task.done() and limiter.statistics().tasks_waiting == 1
        limiter.release_on_behalf_of(busy)
        chat, _, _ = await asyncio.wait_for(task, timeout=120)
        return waited, chat

    waited, chat = asyncio.run(scenario())
    assert waited and "Dreaming big" in chat[-1]["content"]
    assert "Dreaming big" in handlers.start("staff-key", [], {})[0][-1]["content"]  # called directly: no loop, no wait
