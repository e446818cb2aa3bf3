"""Tune / test halves of every evaluation set (evals/sets/splits.toml), in one place.

Every parameter is fitted on `tune`; reports show both halves with `test` as the headline.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

SPLITS_FILE = Path(__file__).resolve().parent / "sets" / "splits.toml"
HALVES = ("test", "tune")  # headline first


@lru_cache(maxsize=1)
def splits() -> dict:
    with open(SPLITS_FILE, "rb") as fh:
        return tomllib.load(fh)


def golden_half(set_name: str, item_id: str, gold_docs: set[str], unanswerable: bool) -> str:
    """An item is `test` when all its gold documents are test documents (unanswerable: listed)."""
    spec = splits()[set_name]
    if unanswerable:  # the fresh held-out items ("demo-f…", "real-f…") were written for test
        fresh = "-f" in item_id
        return "test" if fresh or item_id in spec.get("unanswerable_test", []) else "tune"
    return "test" if gold_docs and gold_docs <= set(spec["test"]) else "tune"


def squad_articles() -> dict[str, list[str]]:
    spec = splits()["squad"]
    return {k: list(v) for k, v in spec.items()}
