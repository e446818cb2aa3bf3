"""Rows as CSV, one definition for every register the API exports (commitments, reviews).

The CSV must carry the same values, in the same order, as the JSON API, with an empty cell for a
missing value (never the string "None"), so the exporters share this one writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any


def rows_csv(rows: Iterable[Any], columns: Sequence[str]) -> str:
    """`columns` of each row (attributes), under a header row of the column names."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if getattr(row, k) is None else getattr(row, k) for k in columns])
    return buf.getvalue()
