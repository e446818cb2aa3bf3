"""The page's theme, CSS and page-level script (skip link, focus on the question box).

Kept in Python strings so they ship inside the `ui` package with no package-data setup.
Text colours are chosen for at least 4.5:1 contrast on their background (checked by axe-core
in tests/test_ui_a11y.py): the Soft theme's subdued grey and indigo accent are below that on
white, so the theme is darkened where text uses them. The viewer's script is in `ui.viewer`.
"""

import gradio as gr

INK_SUBDUED = "#4b5563"  # 7.6:1 on white
INK_ACCENT = "#4338ca"  # indigo-700, 7.9:1 on white
FOCUS = "#1d4ed8"

THEME = gr.themes.Soft(primary_hue="indigo").set(
    body_text_color_subdued=INK_SUBDUED,
    block_label_text_color=INK_SUBDUED,
    block_info_text_color=INK_SUBDUED,
    input_placeholder_color="#6b7280",  # 4.8:1
    color_accent=INK_ACCENT,
    link_text_color=INK_ACCENT,
    block_title_text_color="*primary_800",  # label chips: indigo-800 on indigo-100
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
)

CSS = """
#ethos-header { align-items: center; gap: 8px 12px; flex-wrap: wrap; }
#ethos-brand { flex: 1 1 200px; min-width: 160px; }
.ethos-brand h1 { margin: 0; font-size: 1.6rem; }
.ethos-brand p { margin: 2px 0 0; color: #4b5563; }
.ethos-role { font-size: .9rem; padding: 2px 0; }
#ethos-key input { border: 1px solid #6b7280 !important; border-radius: 6px; padding: 6px 8px; }  /* 4.8:1: seen as a field */
.ethos-role-error { color: #b42318; font-weight: 600; }

/* focus you can see, on every control */
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible,
[tabindex]:focus-visible, #ethos-question textarea:focus {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
.ethos-skip { position: absolute; left: 8px; top: -60px; z-index: 3000; background: #312e81; color: #fff !important;
  padding: 8px 14px; border-radius: 6px; font-weight: 600; text-decoration: none; }
.ethos-skip:focus { top: 8px; }

#ethos-starters .ethos-starter, .ethos-followup { justify-content: flex-start; text-align: left; white-space: normal;
  height: auto; min-height: 2.4em; }
.ethos-persona { font-weight: 600; margin: 4px 0 2px; }
#ethos-followups { gap: 4px; }
.ethos-followups-title p { margin: 0; font-weight: 600; font-size: .9rem; }

.ethos-question { white-space: pre-wrap; }
#ethos-chat .chatbot.prose, #ethos-onboarding-chat .chatbot.prose { opacity: 1 !important; }  /* dimmed text fails contrast */
.ethos-answer p { margin: 0 0 .5em; }
.ethos-answer ul { margin: 0 0 .5em 1.2em; }
.ethos-answer ul.ethos-numbered { list-style: none !important; margin-left: .4em; }
.ethos-answer ul.ethos-numbered > li::marker { content: none; }
.ethos-answer-scope { font-size: .8rem; color: #4b5563; margin-bottom: 4px; }
.ethos-cursor { animation: ethos-blink 1s steps(1) infinite; }
@keyframes ethos-blink { 50% { opacity: 0; } }
.ethos-cite, .ethos-cite-pending { display: inline; position: relative; border: 0; padding: 0 2px; margin: 0 1px;
  font: inherit; font-size: .9em; font-weight: 600; vertical-align: super; line-height: 1; color: #4338ca;
  background: transparent; border-radius: 3px; }
.ethos-cite { cursor: pointer; text-decoration: underline; }
.ethos-cite:hover, .ethos-cite:focus-visible { background: #e0e7ff; }
.ethos-tip { display: none; position: absolute; z-index: 30; left: -1rem; top: calc(100% + 4px);
  width: max-content; max-width: min(320px, 78vw); padding: 6px 8px; border: 1px solid #c7d2fe; border-radius: 6px;
  background: #fff; color: #111827; box-shadow: 0 4px 14px rgba(0,0,0,.15); font-size: .8rem; font-weight: 400;
  font-style: italic; line-height: 1.35; text-align: left; white-space: normal; vertical-align: baseline; }
.ethos-tip strong { display: block; font-style: normal; }
.ethos-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.ethos-cite:hover .ethos-tip, .ethos-cite:focus-visible .ethos-tip { display: block; }
#ethos-chat .message, #ethos-chat .message-content, #ethos-chat .bubble-wrap,
#ethos-onboarding-chat .message, #ethos-onboarding-chat .message-content { overflow: visible !important; }

.ethos-refusal { border-left: 4px solid #d97706; padding-left: 10px; }
.ethos-refusal-label { display: inline-block; font-weight: 700; font-size: .8rem; text-transform: uppercase;
  letter-spacing: .04em; color: #92400e; background: #fef3c7; border-radius: 4px; padding: 2px 8px;
  margin-bottom: 6px; }
.ethos-unsupported { background: #fee4e2; color: #7a271a; border-bottom: 2px dotted #d92d20; }
.ethos-unsupported-note { font-size: .85rem; color: #b42318; margin: 4px 0; }
.ethos-error { color: #b42318; }

.ethos-sources { margin-top: 8px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.ethos-sources-title { font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: #4b5563; margin-bottom: 4px; }
ol.ethos-source-list { list-style: none; margin: 0 !important; padding: 0 !important; }
.ethos-source-item { margin: 0 0 6px; padding: 0; }
.ethos-source-item::marker { content: none; }
button.ethos-source { display: block; width: 100%; text-align: left; cursor: pointer; font: inherit;
  font-size: .88rem; padding: 6px 8px; border: 1px solid var(--border-color-primary); border-radius: 6px;
  background: #f9fafb; color: #111827; }
button.ethos-source:hover, button.ethos-source:focus-visible { border-color: #4338ca; }
.ethos-source-n { font-weight: 700; color: #4338ca; }
.ethos-source-title { font-weight: 600; }
.ethos-source-org::before { content: " · "; }
.ethos-source-org { color: #4b5563 !important; }
.ethos-source-where { display: block; font-size: .8rem; color: #4b5563 !important; opacity: 1 !important; }
.ethos-source-quote { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;
  font-style: italic; margin-top: 2px; }

/* the one source viewer: a side sheet on a desktop, a bottom sheet on a phone */
#ethos-viewer-panel:not(.ethos-open) { display: none !important; }
#ethos-viewer-panel.ethos-open { display: flex !important; position: fixed; z-index: 1000; top: 0; right: 0;
  bottom: 0; width: min(40vw, 620px); overflow-y: auto; padding: 12px 16px; margin: 0;
  background: var(--background-fill-primary); border-left: 1px solid var(--border-color-primary);
  box-shadow: -6px 0 18px rgba(0,0,0,.12); }
.ethos-viewer-empty { color: #4b5563; font-size: .9rem; }
#ethos-viewer-panel .ethos-viewer-head { position: sticky; top: -12px; z-index: 2; padding-top: 4px;
  background: var(--background-fill-primary); }
.ethos-viewer-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.ethos-viewer-title { flex: 1 1 200px; font-weight: 700; font-size: 1.05rem; margin: 0; }
.ethos-viewer-close { flex: 0 0 auto; cursor: pointer; font: inherit; font-size: .85rem; padding: 4px 10px;
  border: 1px solid #9ca3af; border-radius: 6px; background: #fff; color: #111827; }
.ethos-viewer-where { flex: 1 0 100%; font-size: .85rem; color: #4b5563; margin-bottom: 8px; }
.ethos-page-text { white-space: pre-wrap; overflow-wrap: break-word; font-size: .9rem; line-height: 1.5;
  border-top: 1px solid var(--border-color-primary); padding-top: 8px; margin-top: 4px; }
.ethos-page-text mark { background: #fde68a; color: #111; padding: 1px 0; border-radius: 2px;
  box-shadow: 0 0 0 2px #fde68a; }
.ethos-viewer-missing { color: #b42318; }
.ethos-viewer-note { color: #374151; }

#ethos-feedback { padding: 8px; }
.ethos-status p { margin: 4px 0; font-weight: 600; }
.ethos-confirm { align-items: center; gap: 8px; padding: 8px; border: 1px solid #f59e0b; border-radius: 8px;
  background: #fffbeb; flex-wrap: wrap; }
.ethos-confirm-text { flex: 1 1 240px; }
.ethos-confirm-text p { margin: 0; color: #111827; }

/* tables: whole words, sideways scrolling when wide, cards on a phone */
.ethos-table-wrap { overflow-x: auto; max-width: 100%; border: 1px solid var(--border-color-primary);
  border-radius: 8px; }
.ethos-table { border-collapse: collapse; width: 100%; font-size: .9rem; }
.ethos-table caption { text-align: left; font-weight: 600; padding: 8px; }
.ethos-table th, .ethos-table td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-top: 1px solid var(--border-color-primary); word-break: normal; overflow-wrap: normal; hyphens: none; }
.ethos-table th { white-space: nowrap; background: var(--background-fill-secondary); }
.ethos-docs td:nth-child(n+3):not(:last-child) { white-space: nowrap; }
.ethos-table-empty { padding: 8px; color: #4b5563; }
#ethos-library, #ethos-results, #ethos-commitments, #ethos-reviews { --font-mono: var(--font); }
/* Gradio's Dataframe (Commitments, Reviews) sizes columns in percent: give each a floor wide enough
   for whole words and let the table scroll sideways instead of breaking "Specialist" into "Specialis t" */
#ethos-commitments th, #ethos-commitments .body-cell, #ethos-reviews th, #ethos-reviews .body-cell {
  min-width: 6.5rem !important; }
#ethos-commitments th:nth-child(3), #ethos-commitments .body-cell:nth-child(3) { min-width: 15rem !important; }
#ethos-commitments th:nth-child(5), #ethos-commitments .body-cell:nth-child(5),
#ethos-reviews th:nth-child(2), #ethos-reviews .body-cell:nth-child(2) { min-width: 10rem !important; }
#ethos-commitments th:nth-child(6), #ethos-commitments .body-cell:nth-child(6) { min-width: 12rem !important; }
#ethos-commitments .table-wrap, #ethos-reviews .table-wrap, #ethos-commitments .virtual-table-viewport,
#ethos-reviews .virtual-table-viewport { overflow-x: auto !important; }
#ethos-commitments .text, #ethos-reviews .text, #ethos-commitments th *, #ethos-reviews th * {
  word-break: normal !important; overflow-wrap: break-word !important; hyphens: none !important; }

@media (max-width: 760px) {
  .ethos-brand h1 { font-size: 1.3rem; }
  .ethos-brand p { font-size: .85rem; }
  #ethos-chat { max-height: 60vh; }
  #ethos-chat .message-row.bubble { margin-left: 0 !important; margin-right: 0 !important; max-width: 100% !important; }
  #ethos-viewer-panel.ethos-open { top: auto; left: 0; width: auto; height: 72vh; border-left: 0;
    border-top: 1px solid var(--border-color-primary); border-radius: 14px 14px 0 0;
    box-shadow: 0 -6px 18px rgba(0,0,0,.18); }
  .ethos-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .ethos-table, .ethos-table tbody, .ethos-table tr, .ethos-table td { display: block; width: 100%; }
  .ethos-table tr { border-top: 1px solid var(--border-color-primary); padding: 4px 0; }
  .ethos-table td { display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: 8px; border: 0;
    padding: 2px 8px; white-space: normal !important; overflow-wrap: break-word; }
  .ethos-table td::before { content: attr(data-label); font-weight: 600; color: #4b5563; }
}
"""

# Rules about the page outside Gradio's container: Gradio scopes `css` under its container (and
# drops the unscoped copy inside @media), so these go in a plain <style> in the head.
HEAD = """<style>
@media (min-width: 761px) {
  body.ethos-viewing .gradio-container { padding-right: min(40vw, 620px) !important; }
  body.ethos-viewing #ethos-c-layout { flex-wrap: wrap; }  /* the table keeps the width beside the viewer */
  body.ethos-viewing #ethos-c-layout > * { flex: 1 1 100% !important; min-width: 100% !important; }
}
@media (max-width: 760px) {
  .gradio-container { padding-left: 8px !important; padding-right: 8px !important; }
}
</style>"""

# Runs once when the page loads (`mount_gradio_app(js=...)`): a skip link as the first thing a
# keyboard reaches, and the question box focused (Gradio's autofocus fires before the tab shows).
PAGE_JS = """
() => {
  const skip = document.createElement('a');
  skip.href = '#ethos-question';
  skip.className = 'ethos-skip';
  skip.textContent = 'Skip to the question';
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    document.querySelector('#ethos-tab-ask-button')?.click();
    setTimeout(() => document.querySelector('#ethos-question textarea')?.focus(), 60);
  });
  document.body.prepend(skip);
  let tries = 0;
  const focus = setInterval(() => {
    const box = document.querySelector('#ethos-question textarea');
    if (box && box.offsetParent) { box.focus({preventScroll: true}); clearInterval(focus); }
    if (++tries > 100) clearInterval(focus);
  }, 100);
}
"""
