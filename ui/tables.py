"""Read-only tables as plain HTML: they scroll sideways on a narrow screen and turn into cards on a phone.

Gradio's Dataframe sizes its columns in percent of the screen, so at 390 px a column is a few
letters wide and words break letter by letter. A real `<table>` in a scrollable, labelled region
keeps words whole, reads well with a screen reader (caption, header cells, scope), and needs no
JavaScript. Every cell goes through `render.esc`: document metadata is not trusted.
"""

from __future__ import annotations

from typing import Any

from ui.render import esc


def table_html(headers: list[str], rows: list[list[Any]], caption: str, empty: str = "Nothing to show.",
               css_class: str = "") -> str:
    """A captioned table; each cell carries its column name so the phone layout can label it."""
    if not rows:
        return f'<div class="ethos-table-empty" role="status">{esc(empty)}</div>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td data-label="{esc(h)}">{esc(v)}</td>' for h, v in zip(headers, row)) + "</tr>"
        for row in rows
    )
    return (f'<div class="ethos-table-wrap {esc(css_class)}" role="region" aria-label="{esc(caption)}" tabindex="0">'
            f'<table class="ethos-table"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
