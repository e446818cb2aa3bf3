"""Folder-scoped sync: which stored documents an ingest of one folder may touch.

A trust keeps one corpus in several folders (one per school, one per year) and ingests them
one at a time. Removal used to apply to the whole corpus, so ingesting `plans/` removed every
document of `policies/`. Now an ingest of a folder adds, replaces and removes only documents
whose stored source path lies under that folder; `--prune` also drops documents of the corpus
whose source file no longer exists anywhere, and `ethos remove` removes deliberately.

Ids stay `corpus/relative path` (golden sets, links and the API use them), so two folders
holding the same relative path would share an id: the second is refused with a message
naming the first (while that file exists), instead of silently replacing it. A stored
document whose source has gone (a folder that moved) is replaced from the new place.

Existing data dirs need no migration: every stored document already records its absolute
`source_path`. A document without one (written by a much older version) counts as inside
any folder of its corpus, which is the old behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def stored_source(documents: Any, doc_id: str) -> str:
    """The stored absolute source path of a document ("" if none); `documents` is a DocumentRepository."""
    return documents.source_path(doc_id)


def lies_under(source: str, root: Path) -> bool:
    """True if `source` (a stored absolute path) is inside folder `root` (or has no path)."""
    if not source:
        return True
    try:
        return Path(source).is_relative_to(root)
    except (TypeError, ValueError):
        return False


def collision(docstore: Any, doc_id: str, source: str) -> str:
    """A reason to refuse `source` when its id is held by a different file that still exists."""
    other = stored_source(docstore, doc_id)
    if not other or other == source or not Path(other).exists():
        return ""
    return (f"{doc_id} is already ingested from {other}; two folders of one corpus hold the same "
            "relative path. Ingest this folder with another --corpus, rename one file, or remove the "
            f"other first (ethos remove {doc_id})")


def to_remove(doc_ids: Iterable[str], docstore: Any, corpus: str, root: Path, seen: set[str],
              prune: bool) -> list[str]:
    """Documents of `corpus` an ingest of folder `root` removes (see the module docstring)."""
    out = []
    for doc_id in doc_ids:
        if not doc_id.startswith(f"{corpus}/") or doc_id in seen:
            continue
        source = stored_source(docstore, doc_id)
        if lies_under(source, root) or (prune and source and not Path(source).exists()):
            out.append(doc_id)
    return out


def matching(doc_ids: Iterable[str], docstore: Any, targets: list[str]) -> list[str]:
    """Stored documents named by `targets`: a document id, or a path its source lies under."""
    ids = list(doc_ids)
    found: list[str] = []
    for target in targets:
        if target in ids:
            found.append(target)
            continue
        path = Path(target).expanduser().resolve()
        found += [d for d in ids if (src := stored_source(docstore, d)) and
                  (Path(src) == path or Path(src).is_relative_to(path))]
    return list(dict.fromkeys(found))
