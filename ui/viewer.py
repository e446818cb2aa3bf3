"""The one source viewer: every tab's [n] markers and source cards open the cited page here.

A marker or card carries its passage's address in a class (`ui.render.source_token`), so
opening it needs no per-tab state: `SourceViewer.open` decodes the token, re-checks the
reader's access with `KnowledgeBase.page` (a forged token shows nothing the role could not
read anyway) and returns the page with the quote marked. The page-side script (`VIEWER_JS`,
the viewer's `js_on_load`) listens for clicks on any marker in the document, opens the panel
— a side sheet on a desktop, a bottom sheet on a phone — moves focus to its title, scrolls the
quote into view, and gives focus back to the marker on Close or Escape.

Tables open it too: `wire_rows` sends a row's page (Commitments: the commitment; Reviews: the
cover line its review date was read from) into the same viewer, then `REOPEN_JS` opens the
panel and scrolls to the quote, even when the row chosen is the one already shown.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.access import AuthError
from assistant.models import Citation, Principal
from ui import render
from ui.handlers import TabHandlers

VIEWER_JS = """
const open = () => element.querySelector('.ethos-viewer') !== null;
window.__ethosViewer = trigger;
if (!window.__ethosViewerWired) {
  window.__ethosViewerWired = true;
  document.addEventListener('click', (e) => {
    const row = e.target.closest && e.target.closest('.ethos-opens-viewer td, .ethos-opens-viewer .body-cell');
    if (row) { window.__ethosOpener = row; window.__ethosShown = null; return; }  // the server fills the viewer
    const el = e.target.closest && e.target.closest('.ethos-source, .ethos-cite');
    if (el) {
      const m = (el.getAttribute('class') || '').match(/ethos-ref-([A-Za-z0-9_-]+)/);
      if (!m) return;
      e.preventDefault();
      window.__ethosOpener = el;
      if (m[1] === window.__ethosShown && window.__ethosReopen) window.__ethosReopen();  // same page: no round trip
      else window.__ethosViewer('select', {index: m[1], value: m[1]});
      window.__ethosShown = m[1];
      return;
    }
    if (e.target.closest && e.target.closest('.ethos-viewer-close')) window.__ethosCloseViewer();
  }, true);
  // the chat's sanitiser drops aria-* attributes: name each marker from its hidden label here
  const name = () => {
    for (const el of document.querySelectorAll('.ethos-cite:not([aria-label]), .ethos-source:not([aria-label])')) {
      const label = el.querySelector('.ethos-sr');
      if (!label) continue;
      el.setAttribute('aria-label', label.textContent);
      el.querySelector('.ethos-tip')?.setAttribute('aria-hidden', 'true');
    }
  };
  name();
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('ethos-viewing')) window.__ethosCloseViewer();
  });
  window.__ethosCloseViewer = () => {
    document.body.classList.remove('ethos-viewing');
    document.getElementById('ethos-viewer-panel')?.classList.remove('ethos-open');
    const back = window.__ethosOpener;
    if (back && back.isConnected) back.focus({preventScroll: true});
  };
  // bring a newly shown quote into view, wherever the page text sits
  const seen = new WeakSet();
  new MutationObserver(() => {
    for (const mark of document.querySelectorAll('.ethos-page-text mark')) {
      if (seen.has(mark) || !mark.offsetParent) continue;
      seen.add(mark);
      mark.scrollIntoView({block: 'center', inline: 'nearest'});
    }
  }).observe(document.body, {childList: true, subtree: true});
}
const show = () => {
  document.body.classList.toggle('ethos-viewing', open());
  document.getElementById('ethos-viewer-panel')?.classList.toggle('ethos-open', open());
  if (!open()) { window.__ethosShown = null; return; }
  element.querySelector('.ethos-viewer-title')?.focus({preventScroll: true});
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
};
window.__ethosReopen = show;
let resized = null;  // a rotated phone or resized window: keep the quote in view
window.addEventListener('resize', () => {
  clearTimeout(resized);
  resized = setTimeout(() => { if (open()) element.querySelector('mark')?.scrollIntoView({block: 'center'}); }, 150);
});
watch('value', show);
"""


# After a table row's page is sent to the viewer: open the panel on it (a re-chosen row leaves the
# viewer's value unchanged, so the value watcher alone would not reopen a closed panel).
ROWS_CLASS = "ethos-opens-viewer"
REOPEN_JS = "() => { window.__ethosShown = null; if (window.__ethosReopen) window.__ethosReopen(); }"


class SourceViewer(TabHandlers):
    def open(self, key: str, evt: gr.SelectData) -> str:
        return self.open_token(str(evt.index), key)

    def open_token(self, token: str, key: str | None) -> str:
        """The viewer's HTML for a marker's token, under the access of the key's role."""
        ref = render.parse_token(token)
        if ref is None:
            return render.VIEWER_EMPTY
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return render.viewer_error_html(f"{exc}. Check the access key at the top of the page.")
        doc = self.kb.document(ref["doc_id"], principal)
        page = self.kb.page(ref["doc_id"], ref["page"], principal) if doc else None
        quote = page.text[ref["start"]:ref["end"]] if page else ""
        if zlib.crc32(quote.encode()) != ref["crc"]:  # the document changed since the answer
            quote = ""
        cite = Citation(n=ref["n"], doc_id=ref["doc_id"], title=doc.title if doc else "Source unavailable",
                        organisation=doc.organisation if doc else "", section=ref["section"], page=ref["page"],
                        quote=quote, start=ref["start"] if quote else 0, end=ref["end"] if quote else 0,
                        chunk_id="", score=0.0)
        return render.viewer_html(cite, page)


class RowViewer(TabHandlers):
    """A tab whose table rows open in the shared viewer: one guard for every such tab.

    `view`/`view_row` turn a selected row into (row id, the key's principal), or into what the viewer
    shows instead (nothing for a row that is not there, the key's error); `row_page` says the rest."""

    def view(self, ids: list[str], key: str, evt: gr.SelectData) -> str:
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return self.view_row(ids, key, int(row))

    def view_row(self, ids: list[str], key: str, row: int) -> str:
        """The shared viewer's HTML for row `row` of a table whose row ids are `ids`."""
        if not 0 <= row < len(ids or []):
            return render.VIEWER_EMPTY
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return render.viewer_error_html(str(exc))
        return self.row_page(ids[row], principal)

    def row_page(self, row_id: str, principal: Principal) -> str:
        """The viewer's HTML for the row with id `row_id`, read as `principal` (re-checked, never cached)."""
        raise NotImplementedError


def build_viewer(handlers: SourceViewer, key_box: gr.Textbox) -> gr.HTML:
    """The viewer, wired to open whatever marker the script reports. Not yet on the page, so tabs
    built before it can send rows to it (`wire_rows`); `place_viewer` puts it in once, outside the tabs."""
    viewer = gr.HTML(render.VIEWER_EMPTY, elem_id="ethos-viewer", js_on_load=VIEWER_JS, label="Source", render=False)
    viewer.select(handlers.open, [key_box], viewer, api_visibility="private")
    return viewer


def place_viewer(viewer: gr.HTML) -> None:
    """The panel (a side or bottom sheet, by CSS), in the current layout context."""
    with gr.Column(elem_id="ethos-viewer-panel"):
        viewer.render()


def wire_rows(table: gr.Dataframe, fn: Callable[..., str], inputs: list[Any], viewer: gr.HTML | None) -> None:
    """Selecting a table row shows `fn`'s page in the shared viewer, opened and scrolled to the quote.

    Give the table the `ROWS_CLASS` class: the script then gives focus back to the row's cell on Close."""
    if viewer is None:  # a tab built on its own (tests): nothing to open
        return
    table.select(fn, inputs, viewer, api_visibility="private").then(None, None, None, js=REOPEN_JS,
                                                                   api_visibility="private")
