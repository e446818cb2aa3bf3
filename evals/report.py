"""Shared report output: Markdown tables and PNG charts (matplotlib, headless Agg backend).

Reports are written next to their charts under `evals/reports/`, and are meant to be read
on GitHub or in an editor, so they are plain Markdown with relative image links.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # never needs a display; safe in CI and over SSH
import matplotlib.pyplot as plt  # noqa: E402


def fmt(value: object, digits: int = 3) -> str:
    """Floats to fixed digits, NaN as an em dash (a metric that does not apply), rest as str."""
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]], digits: int = 3) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(fmt(c, digits).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(out)


def grouped_bars(path: Path, labels: Sequence[str], series: dict[str, Sequence[float]], title: str,
                 ylabel: str = "", ylim: tuple[float, float] | None = (0.0, 1.0),
                 reference: dict[str, float] | None = None) -> Path:
    """One group of bars per label, one bar per series; optional horizontal reference lines."""
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(labels) * max(1, len(series)) + 2), 4.2))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        vals = [0.0 if math.isnan(v) else v for v in values]
        bars = ax.bar(xs, vals, width, label=name)
        for bar, v in zip(bars, values):
            if not math.isnan(v):
                label = f"{v:.3f}" if abs(v) < 10 else f"{v:.0f}"
                ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7)
    for name, y in (reference or {}).items():
        ax.axhline(y, linestyle="--", linewidth=0.8, color="grey")
        ax.annotate(name, (len(labels) + 0.9, y), ha="right", va="center", fontsize=7, color="dimgrey",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xlim(-0.6, len(labels) - 0.4 + (1.4 if reference else 0.0))  # room for reference labels
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def score_histogram(path: Path, groups: dict[str, Sequence[float]], threshold: float, title: str) -> Path:
    """Overlaid histograms (e.g. best unit score of answerable vs unanswerable) with the threshold."""
    fig, ax = plt.subplots(figsize=(7, 4))
    values = [v for vs in groups.values() for v in vs]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    bins = [lo + (hi - lo) * i / 30 for i in range(31)] if hi > lo else 10
    for name, vs in groups.items():
        ax.hist(vs, bins=bins, alpha=0.55, label=f"{name} (n={len(vs)})")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    ax.annotate(f"threshold {threshold:g}", (threshold, ax.get_ylim()[1] * 0.95), fontsize=8, ha="left")
    ax.set_xlabel("score")
    ax.set_ylabel("questions")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
