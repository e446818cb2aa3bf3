"""The Commitments tab: the tracker as a filterable table, a chart by year and theme, the source
page of any row with its quote highlighted (in the page's one viewer, `ui.viewer`), and a CSV download.

`build_commitments_tab(assistant, settings, key_box, viewer)` is called by `ui.app` inside a
`gr.Tab`. Every callback resolves the typed-in key with `principal_for_key`, builds the
tracker's one filter model (`CommitmentFilters`) from its inputs and reads through
`assistant.tracker.list_commitments`, so the tab shows exactly what the same key gets from
`GET /api/commitments` with the same filters — and what chat counts for the same question.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from assistant.access import AuthError
from assistant.tracker import KINDS, CommitmentFilters, CommitmentView, list_commitments, to_csv
from assistant.models import Citation, Principal
from assistant.service import Assistant
from ingest.settings import Settings
from ui import render
from ui.viewer import ROWS_CLASS, RowViewer, wire_rows

HEADERS = ["When", "Kind", "Commitment", "Owner", "Status", "Theme", "Source"]
ANY = "Any"
MAX_THEMES_IN_CHART = 6


def when(c: CommitmentView) -> str:
    return c.when


def chart(rows: list[CommitmentView]) -> Figure:
    """Commitments per due year (undated ones in their own column), stacked by the commonest themes."""
    def year_of(c: CommitmentView) -> str:
        y = c.due if c.due is not None else c.time_from
        return str(y) if y is not None else "undated"

    themes = [t for t, _ in Counter(c.theme or "other" for c in rows).most_common(MAX_THEMES_IN_CHART)]
    years = sorted({year_of(c) for c in rows}, key=lambda y: (y == "undated", y))
    counts = Counter((year_of(c), (c.theme or "other") if (c.theme or "other") in themes else "other") for c in rows)
    series = themes + (["other"] if "other" not in themes and any(k[1] == "other" for k in counts) else [])
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    bottom = [0] * len(years)
    for theme in series:
        heights = [counts.get((y, theme), 0) for y in years]
        ax.bar(years, heights, bottom=bottom, label=theme if len(theme) <= 28 else theme[:27] + "…")
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_ylabel("commitments")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Commitments by year and theme" if rows else "No commitments match")
    if rows:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def status_cell(c: CommitmentView) -> str:
    """An action's status as the minutes record it (open / done / unknown when later minutes are
    silent); blank for pledges, targets, milestones and decisions, which have no status."""
    return (c.status or "unknown") if c.kind == "action" else ""


def citation_of(c: CommitmentView) -> Citation:
    return Citation(n=1, doc_id=c.doc_id, title=c.title, organisation=c.organisation, section=c.section,
                    page=c.page, quote=c.text, start=c.start, end=c.end, chunk_id="", score=1.0)


class CommitmentsHandlers(RowViewer):
    def choices(self, key: str) -> tuple[Any, Any, Any, Any]:
        """Organisation, year, theme and due-by choices: those of the commitments this key may see."""
        try:
            everything = list_commitments(self.assistant.kb, self.principal(key))
        except AuthError:
            everything = []
        orgs = [ANY] + sorted({c.organisation for c in everything})
        themes = [ANY] + sorted({c.theme for c in everything if c.theme})
        spans = [c.span for c in everything if c.span is not None]
        lo = min((s[0] for s in spans), default=None)
        hi = max((s[1] for s in spans if s[1] != float("inf")), default=lo)
        years = [ANY] + ([str(y) for y in range(int(lo), int(hi) + 1)] if lo is not None else [])
        dues = [ANY] + [str(y) for y in sorted({c.due for c in everything if c.due is not None})]
        return (gr.update(choices=orgs, value=ANY), gr.update(choices=years, value=ANY),
                gr.update(choices=themes, value=ANY), gr.update(choices=dues, value=ANY))

    @staticmethod
    def filters(organisation: str | None, year: str | int | None, theme: str | None, owner: str, q: str,
                kinds: list[str] | None = None, due_by: str | int | None = None) -> CommitmentFilters:
        """The tab's inputs as the tracker's filter model (the API and chat use the same one)."""
        def chosen(v: Any) -> bool:
            return v not in (None, "", ANY)

        return CommitmentFilters(
            organisation=[organisation] if chosen(organisation) else None,
            year=int(year) if chosen(year) else None, due_by=int(due_by) if chosen(due_by) else None,
            theme=theme if chosen(theme) else None, owner=owner or None, q=q or None,
            kind=[k for k in kinds if k in KINDS] or None if kinds else None,
        )

    def table(self, key: str, organisation: str | None, year: str | int | None, theme: str | None, owner: str,
              q: str, kinds: list[str] | None = None, due_by: str | int | None = None) -> tuple[Any, ...]:
        """(rows, row ids, chart, status, CSV file) for these filters."""
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return [], [], chart([]), f"⚠ {exc}", None
        total = len(list_commitments(self.assistant.kb, principal))
        rows = list_commitments(self.assistant.kb, principal,
                                self.filters(organisation, year, theme, owner, q, kinds, due_by))
        table = [[c.when, c.kind, c.text, c.owner_label, status_cell(c), c.theme,
                  f"{c.title} ({c.organisation}), p. {c.page}"]
                 for c in rows]
        docs = len({c.doc_id for c in rows})
        unowned = sum(1 for c in rows if not c.owner)
        status = (f"{len(rows)} of {total} commitments, from {docs} document{'s' if docs != 1 else ''}; owner not "
                  f"stated for {unowned}. Select a row to see it on its page.")
        return table, [c.id for c in rows], chart(rows), status, self._csv(rows)

    def _csv(self, rows: list[CommitmentView]) -> str:
        out = Path(tempfile.mkdtemp(prefix="ethos-commitments-")) / "commitments.csv"
        out.write_text(to_csv(rows), encoding="utf-8")
        return str(out)

    def row_page(self, row_id: str, principal: Principal) -> str:
        """The row's page with its commitment marked, or a message in the viewer."""
        found = [c for c in list_commitments(self.assistant.kb, principal) if c.id == row_id]
        if not found:
            return render.viewer_error_html("That commitment is no longer available to you (the document may "
                                            "have been removed). Refresh the table.")
        c = found[0]
        return render.viewer_html(citation_of(c), self.assistant.kb.page(c.doc_id, c.page, principal),
                                  label="Commitment")


def build_commitments_tab(assistant: Assistant, settings: Settings, key_box: gr.Textbox,
                          viewer: gr.HTML | None = None) -> CommitmentsHandlers:
    """Lay out the tab in the current Blocks context and wire it; returns its handlers (for tests).

    A selected row opens in `viewer`, the page's one source viewer (`ui.viewer`)."""
    h = CommitmentsHandlers(assistant, settings)
    gr.Markdown("What the documents promise, target or schedule — each row is quoted verbatim from its "
                "source. Filters combine; select a row to read it on its page.", elem_id="ethos-commitments-intro")
    with gr.Row(elem_id="ethos-commitments-filters"):
        organisation = gr.Dropdown([ANY], value=ANY, label="Organisation", elem_id="ethos-c-org", scale=2)
        year = gr.Dropdown([ANY], value=ANY, label="In force in year", elem_id="ethos-c-year", scale=1)
        due_by = gr.Dropdown([ANY], value=ANY, label="Due by", elem_id="ethos-c-due", scale=1)
        kinds = gr.Dropdown(list(KINDS), value=[], multiselect=True, label="Kind", elem_id="ethos-c-kind", scale=2)
        theme = gr.Dropdown([ANY], value=ANY, label="Theme", elem_id="ethos-c-theme", scale=2)
        owner = gr.Textbox(label="Owner", placeholder="e.g. Lead, Council", elem_id="ethos-c-owner", scale=1)
        q = gr.Textbox(label="Search", placeholder="words in the commitment", elem_id="ethos-c-q", scale=2)
    status = gr.Markdown(elem_id="ethos-c-status")
    with gr.Row(equal_height=False, elem_id="ethos-c-layout"):  # the chart goes under the table while a row is open
        with gr.Column(scale=3, min_width=320):
            table = gr.Dataframe(headers=HEADERS, label="Commitments", elem_id="ethos-commitments",
                                 interactive=False, wrap=True, max_height=640, elem_classes=[ROWS_CLASS],
                                 column_widths=["10%", "8%", "36%", "12%", "7%", "10%", "17%"])
            download = gr.DownloadButton("Download CSV", elem_id="ethos-c-csv", size="sm")
        with gr.Column(scale=2, min_width=300):
            plot = gr.Plot(label="By year and theme", show_label=False, elem_id="ethos-c-chart", format="png")
    ids = gr.State([])
    # triggers=None: on page load and whenever an input changes (the key box too)
    gr.on(triggers=None, fn=h.choices, inputs=[key_box], outputs=[organisation, year, theme, due_by],
          trigger_mode="always_last")
    gr.on(triggers=None, fn=h.table, inputs=[key_box, organisation, year, theme, owner, q, kinds, due_by],
          outputs=[table, ids, plot, status, download], trigger_mode="always_last", show_progress="minimal")
    wire_rows(table, h.view, [ids, key_box], viewer)
    return h
