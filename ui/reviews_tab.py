"""The Reviews tab: the policy review register as a table, a chart of due dates, and a CSV download.

`build_reviews_tab(assistant, settings, key_box, viewer)` is called by `ui.app` inside a `gr.Tab`.
Callbacks resolve the typed-in key on every call and read `assistant.reviews.list_reviews`
with the same `ReviewFilters` as `GET /api/reviews`, so the tab, the API and chat agree.
Selecting a row opens, in the page's one viewer (`ui.viewer`), the cover line its dates were
read from, highlighted on its page; a row whose dates come only from sources.toml says so there.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
from matplotlib.figure import Figure

from assistant.access import AuthError
from assistant.reviews import STATUSES, ReviewFilters, ReviewRow, due_date, list_reviews, to_csv
from assistant.models import Citation, Principal
from assistant.service import Assistant
from ingest.settings import Settings
from ui import render
from ui.viewer import ROWS_CLASS, RowViewer, wire_rows

HEADERS = ["Status", "Document", "Organisation", "Next review", "Last reviewed", "Cycle", "Reviewed by"]
ANY = "Any"
EVIDENCE_ORDER = ("next_review", "last_reviewed", "reviewer", "cycle")  # which cover line a row opens
FIELD_LABELS = {"next_review": "Next review", "last_reviewed": "Last reviewed", "reviewer": "Reviewed by",
                "cycle": "Review cycle"}
COLOURS = {"overdue": "#c0392b", "due within 90 days": "#e67e22", "current": "#27ae60", "unknown": "#7f8c8d"}


def chart(rows: list[ReviewRow], today: date) -> Figure:
    """Each dated document as a point on a time line of next-review dates, coloured by status, with today marked."""
    fig = Figure(figsize=(7, 3.0), layout="constrained")
    ax = fig.subplots()
    dated = [(due_date(r.next_review), r) for r in rows if r.next_review and due_date(r.next_review)]
    for i, (due, r) in enumerate(sorted(dated, key=lambda x: x[0])):
        ax.scatter([due], [i], color=COLOURS[r.status], zorder=3)
        ax.annotate(r.title if len(r.title) <= 34 else r.title[:33] + "…", (due, i), xytext=(6, -3),
                    textcoords="offset points", fontsize=7)
    ax.axvline(today, color="#34495e", linestyle="--", linewidth=1)
    ax.set_yticks([])
    unknown = sum(1 for r in rows if r.status == "unknown")
    ax.set_title(f"Next review dates (dashed: {today.isoformat()}); {unknown} with no date stated" if rows
                 else "No documents match")
    return fig


class ReviewsHandlers(RowViewer):
    def choices(self, key: str) -> Any:
        try:
            rows = list_reviews(self.assistant.kb, self.principal(key))
        except AuthError:
            rows = []
        return gr.update(choices=[ANY] + sorted({r.organisation for r in rows}), value=ANY)

    def table(self, key: str, organisation: str | None, status: str | None, as_of: str | None) -> tuple[Any, ...]:
        """(rows, chart, status line, CSV file) for these filters, as of `as_of` (YYYY-MM-DD, default today)."""
        table, _, fig, line, path = self.refresh(key, organisation, status, as_of)
        return table, fig, line, path

    def refresh(self, key: str, organisation: str | None, status: str | None, as_of: str | None) -> tuple[Any, ...]:
        """(rows, row document ids, chart, status line, CSV file): what the tab shows for these filters."""
        try:
            principal = self.principal(key)
            today = date.fromisoformat(as_of.strip()) if as_of and as_of.strip() else date.today()
        except AuthError as exc:
            return [], [], chart([], date.today()), f"⚠ {exc}", None
        except ValueError:
            return [], [], chart([], date.today()), f"⚠ “{as_of}” is not a date: use YYYY-MM-DD.", None
        filters = ReviewFilters(organisation=None if organisation in (None, "", ANY) else [organisation],
                                status=None if status in (None, "", ANY) else [status], today=today)
        rows = list_reviews(self.assistant.kb, principal, filters)
        table = [[r.status, r.title, r.organisation, r.next_review or "", r.last_reviewed or "", r.cycle or "",
                  r.reviewer or ""] for r in rows]
        counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
        line = f"{len(rows)} documents as of {today.isoformat()}: " + ", ".join(f"{n} {s}" for s, n in counts.items())
        out = Path(tempfile.mkdtemp(prefix="ethos-reviews-")) / "reviews.csv"
        out.write_text(to_csv(rows), encoding="utf-8")
        return table, [r.doc_id for r in rows], chart(rows, today), line, str(out)

    def row_page(self, row_id: str, principal: Principal) -> str:
        """The cover line the document's review dates come from, on its page (or why there is none)."""
        found = list_reviews(self.kb, principal, ReviewFilters(doc_id=[row_id]))
        if not found:
            return render.viewer_error_html("That document is no longer available to you (it may have been "
                                            "removed). Refresh the table.")
        r = found[0]
        by_field = {e.field: e for e in r.evidence}
        ev = next((by_field[f] for f in EVIDENCE_ORDER if f in by_field), None)
        if ev is None:
            told = ", ".join(FIELD_LABELS.get(f, f) for f in r.from_manifest)
            return render.viewer_error_html(
                (f"{told}: stated in sources.toml, not in the document." if told else
                 "The document states no review dates on its cover, headers or tables."), title=r.title, alert=False)
        cite = Citation(n=1, doc_id=r.doc_id, title=r.title, organisation=r.organisation, section="",
                        page=ev.page, quote=ev.quote, start=ev.start, end=ev.end, chunk_id="", score=1.0)
        return render.viewer_html(cite, self.kb.page(r.doc_id, ev.page, principal),
                                  label=FIELD_LABELS.get(ev.field, "Review"))


def build_reviews_tab(assistant: Assistant, settings: Settings, key_box: gr.Textbox,
                      viewer: gr.HTML | None = None) -> ReviewsHandlers:
    """Lay out the tab in the current Blocks context and wire it; returns its handlers (for tests).

    A selected row opens in `viewer`, the page's one source viewer."""
    h = ReviewsHandlers(assistant, settings)
    gr.Markdown("When each policy was last reviewed, when it is next due and who reviews it — read from the "
                "documents' own covers (or sources.toml). Select a row to see the line it was read from.", elem_id="ethos-reviews-intro")
    with gr.Row():
        organisation = gr.Dropdown([ANY], value=ANY, label="Organisation", elem_id="ethos-r-org", scale=2)
        status = gr.Dropdown([ANY, *STATUSES], value=ANY, label="Status", elem_id="ethos-r-status", scale=1)
        as_of = gr.Textbox(label="As of (YYYY-MM-DD)", placeholder="today", elem_id="ethos-r-asof", scale=1)
    line = gr.Markdown(elem_id="ethos-r-line")
    table = gr.Dataframe(headers=HEADERS, label="Review register", elem_id="ethos-reviews", interactive=False,
                         wrap=True, elem_classes=[ROWS_CLASS])
    download = gr.DownloadButton("Download CSV", elem_id="ethos-r-csv", size="sm")
    plot = gr.Plot(show_label=False, elem_id="ethos-r-chart", format="png")
    gr.on(triggers=None, fn=h.choices, inputs=[key_box], outputs=[organisation], trigger_mode="always_last")
    ids = gr.State([])
    gr.on(triggers=None, fn=h.refresh, inputs=[key_box, organisation, status, as_of],
          outputs=[table, ids, plot, line, download], trigger_mode="always_last", show_progress="minimal")
    wire_rows(table, h.view, [ids, key_box], viewer)
    return h
