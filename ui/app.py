"""The web chat: a Gradio Blocks page mounted at `/` on the API's FastAPI app.

`ethos serve` runs `mount_ui(create_app(settings, assistant), assistant, settings)`,
so the page, `/api` and `/v1` share one process and one Assistant. The page is a
thin client: its callbacks (`ui.chat`, `ui.library`) call the same domain objects
as the API and resolve the typed-in key with `principal_for_key` on every call.

Layout: a key box and role badge on top; an Ask tab (persona starters on an empty
chat, the streamed conversation with sources under each answer, thumbs and comments,
and a page viewer beside it — below it on a phone); a Library tab (the documents the
role may read, plus upload/remove/re-index for admins). Stable `ethos-*` element ids
are part of the interface: the browser tests and any custom CSS rely on them.

Every event is `api_visibility="private"`: the page's callbacks are not a second API.
Another tab with its own chat can reuse `ui.render.answer_html` and get clickable
sources with a viewer of its own: `gr.HTML(js_on_load=ui.style.bridge_js("#its-chat"))`
and a `.select` handler that reads the "<message>:<n>" index.
"""

import os

import gradio as gr
from fastapi import FastAPI

from assistant.access import AuthError, principal_for_key
from ui.commitments_tab import build_commitments_tab
from ui.reviews_tab import build_reviews_tab
from ui.onboarding_tab import build_onboarding_tab
from assistant.feedback import FeedbackStore
from assistant.service import Assistant
from ingest.manifest import SUPPORTED_SUFFIXES
from ingest.settings import Settings
from ui import render
from ui.chat import ChatHandlers
from ui.library import DOC_HEADERS, RESULT_HEADERS, LibraryHandlers
from ui.style import BRIDGE_JS, CSS

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

PERSONA_LABELS = {"staff": "For staff", "governors": "For governors", "new_hires": "For new staff"}
CONCURRENT_ANSWERS = 8  # the Assistant is thread-safe; Gradio's default would answer one user at a time


def mount_ui(app: FastAPI, assistant: Assistant, settings: Settings) -> FastAPI:
    """Mount the chat page at `/` (API routes registered earlier keep precedence) and return the app."""
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    app.state.feedback = feedback
    blocks = build_blocks(assistant, settings, feedback)
    return gr.mount_gradio_app(
        app, blocks, path="/", css=CSS, theme=gr.themes.Soft(primary_hue="indigo"),
        footer_links=[], run_history=False, show_error=True, max_file_size=f"{settings.max_upload_mb}mb",
    )


def build_blocks(assistant: Assistant, settings: Settings, feedback: FeedbackStore) -> gr.Blocks:
    chat_h = ChatHandlers(assistant, settings, feedback)
    lib_h = LibraryHandlers(assistant, settings)
    starters = assistant.kb.manifest().starters
    try:
        role_badge = render.role_html(principal_for_key(settings, None).role, default=True)
    except AuthError:
        role_badge = render.role_html(None, "Enter your access key to start.")

    with gr.Blocks(title="Ethos", analytics_enabled=False) as blocks:
        with gr.Row(elem_id="ethos-header", equal_height=False):
            gr.HTML('<div class="ethos-brand"><h1>Ethos</h1><p>Answers from your trust’s own documents, '
                    "quoted and cited.</p></div>", elem_id="ethos-brand", min_width=260)
            with gr.Column(scale=0, min_width=260):
                key = gr.Textbox(label="Access key", type="password", elem_id="ethos-key", max_lines=1,
                                 container=False, placeholder="Access key (blank = default role)")
                role = gr.HTML(role_badge, elem_id="ethos-role")

        with gr.Tabs(elem_id="ethos-tabs"):
            with gr.Tab("Ask", id="ask", elem_id="ethos-tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        with gr.Column(elem_id="ethos-starters") as starter_panel:
                            starter_buttons = _starters(starters)
                        chat = gr.Chatbot(  # shown from the first question; starters fill an empty chat
                            label="Conversation", show_label=False, elem_id="ethos-chat", visible=False,
                            height=None, min_height=120, max_height="66vh", latex_delimiters=[],
                            feedback_options=("Like", "Dislike"), buttons=["copy"], layout="bubble",
                        )
                        with gr.Row(elem_id="ethos-ask-row"):
                            question = gr.Textbox(label="Your question", elem_id="ethos-question", lines=1,
                                                  max_lines=4, submit_btn="Ask", scale=5, min_width=240,
                                                  placeholder="Ask about our documents…")
                            new_chat = gr.Button("New chat", elem_id="ethos-new-chat", scale=0, min_width=120)
                        with gr.Group(visible=False, elem_id="ethos-feedback") as fb_panel:
                            fb_prompt = gr.Markdown(elem_id="ethos-feedback-prompt")
                            fb_comment = gr.Textbox(label="Comment (optional)", elem_id="ethos-feedback-comment",
                                                    lines=1, max_lines=4, submit_btn="Send")
                            fb_status = gr.Markdown(elem_id="ethos-feedback-status")
                    with gr.Column(scale=2, min_width=300, elem_id="ethos-viewer-col"):
                        viewer = gr.HTML(render.VIEWER_EMPTY, elem_id="ethos-viewer", js_on_load=BRIDGE_JS,
                                         label="Source")

            with gr.Tab("Library", id="library", elem_id="ethos-tab-library") as lib_tab:
                docs = gr.Dataframe(headers=DOC_HEADERS, label="Documents you can read", elem_id="ethos-library",
                                    interactive=False, wrap=True, show_search="search", pinned_columns=1,
                                    column_widths=["24%", "16%", "9%", "9%", "6%", "7%", "12%", "17%"])
                with gr.Column(visible=False, elem_id="ethos-admin") as admin_panel:
                    gr.Markdown("### Manage the library (admins)")
                    with gr.Row():
                        files = gr.File(label="Upload documents", file_count="multiple", elem_id="ethos-upload",
                                        file_types=sorted(SUPPORTED_SUFFIXES))
                        with gr.Column(min_width=240):
                            audience = gr.Dropdown(lib_h.audience_choices(), value="all", label="Who may read them",
                                                   elem_id="ethos-upload-audience")
                            organisation = gr.Textbox(label="Organisation (optional)", elem_id="ethos-upload-org")
                            upload_btn = gr.Button("Add to library", variant="primary", elem_id="ethos-upload-btn")
                    results = gr.Dataframe(headers=RESULT_HEADERS, label="Results", elem_id="ethos-results",
                                           interactive=False, wrap=True)
                    with gr.Row(equal_height=True):
                        doomed = gr.Dropdown([], label="Remove a document", elem_id="ethos-delete-doc", scale=4)
                        delete_btn = gr.Button("Remove", variant="stop", elem_id="ethos-delete-btn", scale=1)
                    delete_status = gr.Markdown(elem_id="ethos-delete-status")
                    reindex_btn = gr.Button("Re-index the corpus folder", elem_id="ethos-reindex-btn")
                    reindex_status = gr.Markdown(elem_id="ethos-reindex-status")
            with gr.Tab("Commitments", id="commitments", elem_id="ethos-tab-commitments"):
                build_commitments_tab(assistant, settings, key)
            with gr.Tab("Reviews", id="reviews", elem_id="ethos-tab-reviews"):
                build_reviews_tab(assistant, settings, key)
            with gr.Tab("Onboarding", id="onboarding", elem_id="ethos-tab-onboarding"):
                build_onboarding_tab(assistant, settings, key)

        turns = gr.State({})
        fb_target = gr.State(None)

        # -- wiring (private: the page's callbacks are not an API; /api and /v1 are) -------------
        hidden = {"api_visibility": "private"}
        ask_out = [chat, turns, question, starter_panel, fb_panel]
        question.submit(chat_h.respond, [question, chat, turns, key], ask_out, **hidden)
        for button in starter_buttons:
            button.click(chat_h.respond, [button, chat, turns, key], ask_out, **hidden)
        for event in (new_chat.click, chat.clear):  # the button, or the chat's own trash icon
            event(chat_h.clear, None, [chat, turns, starter_panel, viewer, fb_panel], **hidden)
        viewer.select(chat_h.open_source, [turns, key], viewer, **hidden)
        chat.like(chat_h.rate, [turns, fb_target], [turns, fb_panel, fb_target, fb_prompt, fb_comment, fb_status],
                  **hidden)
        fb_comment.submit(chat_h.comment, [fb_target, fb_comment], [fb_comment, fb_status], **hidden)

        refresh_out = [role, docs, admin_panel, doomed]
        for event in (key.submit, key.blur, lib_tab.select, blocks.load):
            event(lib_h.refresh, [key], refresh_out, **hidden)
        upload_btn.click(lib_h.upload, [files, audience, organisation, key], [results, docs, doomed, files], **hidden)
        delete_btn.click(lib_h.delete, [doomed, key], [delete_status, docs, doomed], **hidden)
        reindex_btn.click(lib_h.reindex, [key], [reindex_status, results, docs, doomed], **hidden)

    blocks.queue(default_concurrency_limit=CONCURRENT_ANSWERS)
    return blocks


def _starters(starters: dict[str, list[str]]) -> list[gr.Button]:
    """Example questions by persona, from the corpus manifest; each button asks its own label."""
    buttons: list[gr.Button] = []
    intro = "Ask a question about the trust's documents. Every answer quotes its sources; select one to read the page."
    if starters:
        intro += " **Not sure where to start?** Try one of these:"
    gr.Markdown(intro, elem_id="ethos-starters-intro")
    if not starters:
        return buttons
    with gr.Row():
        for persona, questions in starters.items():
            slug = persona.replace("_", "-")
            with gr.Column(min_width=220, elem_id=f"ethos-starters-{slug}"):
                label = PERSONA_LABELS.get(persona, persona.replace("_", " ").capitalize())
                gr.Markdown(f"**{label}**", elem_classes=["ethos-persona"])
                for q in questions:
                    buttons.append(gr.Button(q, size="sm", variant="secondary",
                                             elem_classes=["ethos-starter", f"ethos-starter-{slug}"]))
    return buttons
