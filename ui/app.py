"""The web chat: a Gradio Blocks page mounted at `/` on the API's FastAPI app.

`ethos serve` runs `mount_ui(create_app(settings, assistant), assistant, settings)`,
so the page, `/api` and `/v1` share one process and one Assistant. The page is a
thin client: its callbacks (`ui.chat`, `ui.library`) call the same domain objects
as the API and resolve the typed-in key with `principal_for_key` on every call.

Layout: a key box and role badge on top; tabs that wrap rather than hide on a phone. The Ask
tab puts the question box first (focused on load, behind a skip link), the conversation above
it once there is one, Stop / Regenerate / Edit last question under it, feedback and suggested
next questions right under the answers, a scope
picker (organisations, documents), the user's saved conversations (`ui.conversations`) and the
persona starters below. The Library tab lists the
documents the role may read as a table that scrolls or turns into cards on a phone, with
upload / remove / re-index for admins (messages beside each control, confirmation before any
removal). One source viewer (`ui.viewer`), outside the tabs, opens every tab's sources (the Ask and
Onboarding answers' markers and cards, the Commitments and Reviews rows): a side sheet on a desktop,
a bottom sheet on a phone. Stable `ethos-*` element ids are part of the
interface: the browser tests and any custom CSS rely on them, as on `body[data-ethos-ready]`, set
once the page's load has filled the views a key changes (type into the page after it).

Every event is `api_visibility="private"`: the page's callbacks are not a second API.
Another tab gets clickable sources by showing `ui.render.answer_html` (or any element with the
`ethos-source`/`ethos-cite` classes and a `ui.render.ref_class`): the viewer's script finds them.
"""

import os

import gradio as gr
from anyio import CapacityLimiter
from fastapi import FastAPI

from assistant.access import AuthError, principal_for_key
from assistant.api.answering import answer_limiter
from ui.commitments_tab import build_commitments_tab
from ui.reviews_tab import build_reviews_tab
from ui.onboarding_tab import build_onboarding_tab
from assistant.feedback import FeedbackStore
from assistant.service import Assistant
from ingest.manifest import SUPPORTED_SUFFIXES
from ingest.settings import Settings
from ui import render
from ui.chat import FOLLOWUPS, ChatHandlers
from ui.conversations import ConversationStore, build_conversations
from ui.library import META_HEADERS, LibraryHandlers
from ui.style import CSS, HEAD, PAGE_JS, THEME
from ui.viewer import SourceViewer, build_viewer, place_viewer

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

PERSONA_LABELS = {"staff": "For staff", "governors": "For governors", "new_hires": "For new staff"}
# Chat events Gradio runs at once (its default would serve one user at a time); the answers in
# them are computed on the app's answer limiter (ETHOS_ANSWER_WORKERS), shared with the API.
CONCURRENT_ANSWERS = 8


def mount_ui(app: FastAPI, assistant: Assistant, settings: Settings) -> FastAPI:
    """Mount the chat page at `/` (API routes registered earlier keep precedence) and return the app."""
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    app.state.feedback = feedback
    blocks = build_blocks(assistant, settings, feedback, getattr(app.state, "answer_limiter", None))
    return gr.mount_gradio_app(
        app, blocks, path="/", css=CSS, theme=THEME, js=PAGE_JS, head=HEAD,
        footer_links=[], run_history=False, show_error=True, max_file_size=f"{settings.max_upload_mb}mb",
    )


def build_blocks(assistant: Assistant, settings: Settings, feedback: FeedbackStore,
                 limiter: CapacityLimiter | None = None) -> gr.Blocks:
    """The page; chat answers take tokens of `limiter`, the API's answer limiter when mounted on it."""
    limiter = limiter if limiter is not None else answer_limiter(settings)  # one for the page's tabs
    chat_h = ChatHandlers(assistant, settings, feedback, limiter)
    lib_h = LibraryHandlers(assistant, settings)
    view_h = SourceViewer(assistant, settings)
    conv_store = ConversationStore(settings.data_dir / "conversations.sqlite3")
    starters = assistant.kb.manifest().starters
    try:
        role_badge = render.role_html(principal_for_key(settings, None).role, default=True)
    except AuthError:
        role_badge = render.role_html(None, "Enter your access key to start.")

    with gr.Blocks(title="Ethos", analytics_enabled=False) as blocks:
        with gr.Row(elem_id="ethos-header", equal_height=False):
            gr.HTML('<div class="ethos-brand"><h1>Ethos</h1><p>Answers from your trust’s own documents, '
                    "quoted and cited.</p></div>", elem_id="ethos-brand", min_width=160)
            with gr.Column(scale=0, min_width=240, elem_id="ethos-key-col"):
                key = gr.Textbox(label="Access key", type="password", elem_id="ethos-key", max_lines=1,
                                 container=False, placeholder="Access key (optional)")
                role = gr.HTML(role_badge, elem_id="ethos-role")

        viewer = build_viewer(view_h, key)  # placed below the tabs; built first so their rows can open it
        with gr.Tabs(elem_id="ethos-tabs", overflow_behavior="wrap"):  # every tab reachable on a phone
            with gr.Tab("Ask", id="ask", elem_id="ethos-tab-ask"):
                chat = gr.Chatbot(  # shown from the first question; starters fill an empty chat
                    label="Conversation", show_label=False, elem_id="ethos-chat", visible=False,
                    height=None, min_height=120, max_height="66vh", latex_delimiters=[],
                    feedback_options=("Like", "Dislike"), buttons=["copy"], layout="bubble",
                )
                with gr.Group(visible=False, elem_id="ethos-feedback") as fb_panel:  # right under the answers
                    fb_prompt = gr.Markdown(elem_id="ethos-feedback-prompt")
                    fb_comment = gr.Textbox(label="Comment (optional)", elem_id="ethos-feedback-comment",
                                            lines=1, max_lines=4, submit_btn="Send")
                    fb_status = gr.Markdown(elem_id="ethos-feedback-status")
                with gr.Column(visible=False, elem_id="ethos-followups") as followup_panel:
                    gr.Markdown("Ask next:", elem_classes=["ethos-followups-title"])
                    followups = [gr.Button("", size="sm", variant="secondary", visible=False,
                                           elem_classes=["ethos-followup"]) for _ in range(FOLLOWUPS)]
                question = gr.Textbox(label="Your question", elem_id="ethos-question", lines=1, max_lines=4,
                                      submit_btn="Ask", autofocus=True, placeholder="Ask about our documents…")
                with gr.Row(visible=False, elem_id="ethos-edit-note", elem_classes=["ethos-confirm"]) as edit_note:
                    gr.Markdown("**Editing your last question.** Change it and press Enter: its answer is "
                                "replaced.", elem_classes=["ethos-confirm-text"])
                    edit_cancel = gr.Button("Cancel edit", size="sm", elem_id="ethos-edit-cancel", scale=0,
                                            min_width=110)
                with gr.Row(elem_id="ethos-ask-tools"):
                    stop = gr.Button("Stop", size="sm", variant="stop", visible=False, elem_id="ethos-stop",
                                     scale=0, min_width=80)
                    regen = gr.Button("↻ Regenerate", size="sm", visible=False, elem_id="ethos-regenerate", scale=0,
                                      min_width=120)
                    edit = gr.Button("✎ Edit last question", size="sm", visible=False, elem_id="ethos-edit", scale=0,
                                     min_width=150)
                    new_chat = gr.Button("New chat", size="sm", elem_id="ethos-new-chat", scale=0, min_width=100)
                with gr.Accordion("Ask within: all documents you can read", open=False, elem_id="ethos-scope") as scope_box:
                    scope_orgs = gr.Dropdown([], value=[], multiselect=True, label="Organisations",
                                             elem_id="ethos-scope-orgs",
                                             info="Leave empty for every organisation.")
                    scope_docs = gr.Dropdown([], value=[], multiselect=True, label="Documents",
                                             elem_id="ethos-scope-docs", info="Leave empty for every document.")
                convs = build_conversations(conv_store)
                with gr.Column(elem_id="ethos-starters") as starter_panel:
                    starter_buttons = _starters(starters)

            with gr.Tab("Library", id="library", elem_id="ethos-tab-library") as lib_tab:
                doc_search = gr.Textbox(label="Find a document", elem_id="ethos-library-search", max_lines=1,
                                        placeholder="title, organisation, type…")
                docs = gr.HTML(lib_h.docs_html([]), elem_id="ethos-library")
                with gr.Column(visible=False, elem_id="ethos-admin") as admin_panel:
                    gr.Markdown("### Manage the library (admins)")
                    with gr.Row():
                        with gr.Column(min_width=240):
                            files = gr.File(label="Upload documents", file_count="multiple", elem_id="ethos-upload",
                                            file_types=sorted(SUPPORTED_SUFFIXES))
                            meta_table = gr.Dataframe(headers=META_HEADERS, type="array", interactive=True,
                                                      visible=False, elem_id="ethos-upload-meta", wrap=True,
                                                      label="Titles and types, from the documents (edit them)")
                        with gr.Column(min_width=240):
                            audience = gr.Dropdown(lib_h.audience_choices(), value="all", label="Who may read them",
                                                   elem_id="ethos-upload-audience")
                            organisation = gr.Textbox(label="Organisation (optional)", elem_id="ethos-upload-org")
                            upload_btn = gr.Button("Add to library", variant="primary", elem_id="ethos-upload-btn")
                            upload_status = gr.Markdown(elem_id="ethos-upload-status", elem_classes=["ethos-status"])
                    results = gr.HTML("", elem_id="ethos-results")
                    with gr.Row(equal_height=True):
                        doomed = gr.Dropdown([], label="Remove a document", elem_id="ethos-delete-doc", scale=4)
                        delete_btn = gr.Button("Remove…", variant="stop", elem_id="ethos-delete-btn", scale=1)
                    delete_status = gr.Markdown(elem_id="ethos-delete-status", elem_classes=["ethos-status"])
                    with gr.Row(visible=False, elem_id="ethos-delete-confirm", elem_classes=["ethos-confirm"]) as del_row:
                        del_question = gr.Markdown(elem_classes=["ethos-confirm-text"])
                        del_yes = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="ethos-delete-yes")
                        del_no = gr.Button("Cancel", size="sm", elem_id="ethos-delete-no")
                    reindex_btn = gr.Button("Re-index the corpus folder…", elem_id="ethos-reindex-btn")
                    reindex_status = gr.Markdown(elem_id="ethos-reindex-status", elem_classes=["ethos-status"])
                    with gr.Row(visible=False, elem_id="ethos-reindex-confirm", elem_classes=["ethos-confirm"]) as re_row:
                        gr.Markdown(f"**Re-index {settings.corpus_dir}?** Changed files are read again and "
                                    "documents whose files are gone are removed.", elem_classes=["ethos-confirm-text"])
                        re_yes = gr.Button("Yes, re-index", variant="stop", size="sm", elem_id="ethos-reindex-yes")
                        re_no = gr.Button("Cancel", size="sm", elem_id="ethos-reindex-no")
            with gr.Tab("Commitments", id="commitments", elem_id="ethos-tab-commitments"):
                build_commitments_tab(assistant, settings, key, viewer)
            with gr.Tab("Reviews", id="reviews", elem_id="ethos-tab-reviews"):
                build_reviews_tab(assistant, settings, key, viewer)
            with gr.Tab("Onboarding", id="onboarding", elem_id="ethos-tab-onboarding"):
                build_onboarding_tab(assistant, settings, key, limiter)

        place_viewer(viewer)  # one viewer for every tab's sources, outside the tabs
        turns = gr.State({})
        fb_target = gr.State(None)
        conv_id = gr.State(None)  # the saved conversation on screen
        editing = gr.State(False)  # the question box holds the last question, to replace it
        browser_id = gr.BrowserState("", storage_key="ethos-browser-id", secret="ethos-conversations")
        conv_h = convs["handlers"]

        # -- wiring (private: the page's callbacks are not an API; /api and /v1 are) -------------
        hidden = {"api_visibility": "private"}
        ask_in = [chat, turns, key, scope_orgs, scope_docs]
        ask_out = [chat, turns, question, starter_panel, fb_panel, viewer, followup_panel, *followups]
        shown, gone = gr.update(visible=True), gr.update(visible=False)
        tools = [regen, edit]
        asking = []  # each: show Stop (tools hidden), answer (streamed), hide Stop, save; Stop cancels the answer
        answers = [(question.submit, chat_h.ask_edited, [question, *ask_in, editing], [*ask_out, editing, edit_note])]
        answers += [(b.click, chat_h.respond, [b, *ask_in], ask_out) for b in starter_buttons + followups]
        answers += [(regen.click, chat_h.regenerate, ask_in, ask_out)]
        for trigger, fn, inputs, outputs in answers:
            answering = trigger(lambda: (shown, gone, gone), None, [stop, *tools], **hidden).then(
                fn, inputs, outputs, **hidden)
            answering.then(lambda m: (gone, *chat_h.tools(m)), chat, [stop, *tools], **hidden).then(
                conv_h.save, [conv_id, chat, turns, key, browser_id], [conv_id, convs["pick"]], **hidden)
            asking.append(answering)
        for b in starter_buttons + followups:  # another question asked: the edit is abandoned
            b.click(lambda: (False, gone), None, [editing, edit_note], **hidden)
        stop.click(lambda m: (gone, *chat_h.tools(m)), chat, [stop, *tools], cancels=asking, **hidden)
        edit.click(chat_h.start_edit, chat, [question, editing, edit_note], **hidden).then(
            None, js="() => document.querySelector('#ethos-question textarea')?.focus()", **hidden)
        edit_cancel.click(lambda: ("", False, gone), None, [question, editing, edit_note], **hidden)
        cleared = [chat, turns, starter_panel, viewer, fb_panel, followup_panel, *followups, *tools, editing,
                   edit_note]
        for event in (new_chat.click, chat.clear):  # the button, or the chat's own trash icon
            event(chat_h.clear, None, cleared, **hidden)
        new_chat.click(lambda: None, None, conv_id, **hidden)
        last_key = gr.State("")

        def key_changed(typed: str, last: str) -> tuple:
            """Another key is another reader: the previous role's answers and sources leave the screen."""
            if (typed or "").strip() == (last or "").strip():
                return (*[gr.update()] * len(cleared), gr.update(), last)
            return (*chat_h.clear(), None, typed)

        for event in (key.submit, key.blur):
            event(key_changed, [key, last_key], [*cleared, conv_id, last_key], **hidden)
        # What a key shows (role badge, documents, scope choices, saved conversations) is computed by
        # the page's load and by every key change. Gradio runs separate listeners side by side, so a
        # slow load (empty key) could finish after a quick sign-in and put the previous reader's view
        # back. Each output's refreshes therefore share one first-in-first-out group.
        def in_order(group: str) -> dict:
            return {**hidden, "concurrency_id": f"ethos-reader-{group}", "concurrency_limit": 1}

        for event in (key.submit, key.blur):
            event(conv_h.choices, [key, browser_id], convs["pick"], **in_order("conversations"))
        convs["open"].click(conv_h.reopen, [convs["pick"], key, browser_id],
                            [chat, turns, conv_id, starter_panel, convs["status"]], **hidden).then(
            lambda m: (*chat_h.tools(m), False, gone), chat, [*tools, editing, edit_note], **hidden)
        convs["delete"].click(lambda c: (gr.update(visible=bool(c)), "" if c else "⚠ Choose a conversation first."),
                              convs["pick"], [convs["confirm"], convs["status"]], **hidden)
        convs["no"].click(lambda: gr.update(visible=False), None, convs["confirm"], **hidden)
        convs["yes"].click(conv_h.delete, [convs["pick"], conv_id, key, browser_id],
                           [convs["pick"], convs["status"], conv_id, convs["confirm"]], **hidden)
        chat.like(chat_h.rate, [turns, fb_target], [turns, fb_panel, fb_target, fb_prompt, fb_comment, fb_status],
                  **hidden)
        fb_comment.submit(chat_h.comment, [fb_target, fb_comment], [fb_comment, fb_status], **hidden)
        for picker in (scope_orgs, scope_docs):
            picker.change(_scope_label, [scope_orgs, scope_docs], scope_box, **hidden)

        refresh_out = [role, docs, admin_panel, doomed]
        for event in (key.submit, key.blur, lib_tab.select):
            event(lib_h.refresh, [key, doc_search], refresh_out, **in_order("library"))
        for event in (key.submit, key.blur):
            event(chat_h.scope_choices, [key], [scope_orgs, scope_docs], **in_order("scope"))
        # The page's load fills the same views one after another, then marks the page ready: text typed
        # into the key box while those updates land can be reset by Gradio's re-render (seen in CI as a
        # sign-in that never happened), so scripts and the browser tests wait for the mark.
        loaded = blocks.load(lib_h.refresh, [key, doc_search], refresh_out, **in_order("library"))
        loaded = loaded.then(chat_h.scope_choices, [key], [scope_orgs, scope_docs], **in_order("scope"))
        loaded = loaded.then(conv_h.start, [browser_id, key], [browser_id, convs["pick"]], **in_order("conversations"))
        loaded.then(None, js="() => { document.body.dataset.ethosReady = 'true'; }", **hidden)
        for event in (key.submit, key.blur):  # Gradio's upload request carries it (assistant/api/upload_guard.py)
            event(None, [key], None, js="(k) => { document.cookie = 'ethos_key=' + encodeURIComponent(k || '')"
                                        " + '; path=/; SameSite=Strict'; }", **hidden)
        doc_search.change(lib_h.search, [key, doc_search], docs, **in_order("library"))
        files.change(lib_h.guess_meta, files, meta_table, **hidden)
        upload_btn.click(lib_h.upload, [files, audience, organisation, key, meta_table],
                         [upload_status, results, docs, doomed, files], **hidden)
        delete_btn.click(lib_h.confirm_delete, [doomed, key], [delete_status, del_row, del_question], **hidden)
        del_yes.click(lib_h.delete, [doomed, key], [delete_status, docs, doomed, del_row], **hidden)
        reindex_btn.click(lib_h.confirm_reindex, [key], [reindex_status, re_row], **hidden)
        re_yes.click(lib_h.reindex, [key], [reindex_status, results, docs, doomed, re_row], **hidden)
        for no, row in ((del_no, del_row), (re_no, re_row)):
            no.click(lambda: gr.update(visible=False), None, row, **hidden)

    blocks.queue(default_concurrency_limit=CONCURRENT_ANSWERS)
    return blocks


def _scope_label(orgs: list[str] | None, docs: list[str] | None) -> dict:
    """The scope accordion's title says what the next question will search, even when it is closed."""
    parts = [f"{len(orgs)} organisation{'s' if len(orgs) != 1 else ''}"] if orgs else []
    parts += [f"{len(docs)} document{'s' if len(docs) != 1 else ''}"] if docs else []
    return gr.update(label="Ask within: " + (" and ".join(parts) if parts else "all documents you can read"))
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
