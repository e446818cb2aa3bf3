"""The tables' one row → viewer guard (`ui.viewer.RowViewer`), shared by the Commitments and Reviews tabs.

Real parts: the session corpus of tests/conftest.py in a real Chroma, both tabs built in a real
gr.Blocks, the real key → role mapping. A selected row that is not there shows nothing, an unknown
key shows its error in the viewer, and a row the key may read opens in the viewer.
"""

from __future__ import annotations

import gradio as gr
import pytest

from ui import render
from ui.commitments_tab import build_commitments_tab
from ui.reviews_tab import build_reviews_tab
from ui.viewer import RowViewer


@pytest.fixture(scope="module")
def tabs(assistant):
    with gr.Blocks():
        commitments = build_commitments_tab(assistant, assistant.settings, gr.Textbox())
        reviews = build_reviews_tab(assistant, assistant.settings, gr.Textbox())
    any_ = "Any"
    return {"commitments": (commitments, commitments.table("staff-key", any_, any_, any_, "", "")[1]),
            "reviews": (reviews, reviews.refresh("staff-key", any_, any_, "")[1])}


@pytest.mark.parametrize("tab", ["commitments", "reviews"])
def test_a_row_opens_under_the_keys_access_and_a_missing_row_shows_nothing(tabs, tab):
    h, ids = tabs[tab]
    assert isinstance(h, RowViewer) and ids
    page = h.view_row(ids, "staff-key", 0)  # its page (a commitment), or why it has none (a register row)
    assert 'class="ethos-viewer"' in page and 'role="alert"' not in page
    selected = h.view(ids, "staff-key", gr.SelectData(None, {"index": [0, 2], "value": ""}))
    assert selected == page  # a Dataframe's (row, column) index picks the row
    for row in (-1, len(ids)):
        assert h.view_row(ids, "staff-key", row) == render.VIEWER_EMPTY
    assert h.view_row([], "staff-key", 0) == render.VIEWER_EMPTY
    refused = h.view_row(ids, "no-such-key", 0)
    assert 'role="alert"' in refused and "Unknown API key" in refused and "<mark" not in refused
