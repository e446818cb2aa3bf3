"""Check every golden question set in ``evals/sets`` against the documents it quotes.

A golden item is only useful if its gold phrases really sit on the page it names: a phrase that
drifted (a typo, a curly quote typed as straight, a page off by one) silently scores every answer
as wrong. This checker makes the rules in ``evals/sets/README.md`` executable:

- every line parses and has exactly the listed keys, with valid ``persona`` and ``kind``;
- ids are unique across all question sets;
- ``unanswerable`` is true exactly for ``kind == "unanswerable"``, and exactly then gold is empty;
- ``multi_doc`` items cite two or more documents, ``follow_up`` items carry a history of turns;
- every phrase is a substring of ``norm(page text)`` for its doc and page; demo phrases are also
  raw substrings of the file.

A PDF phrase should also fall inside one extracted line (so no scorer depends on how pypdf joins
lines); a phrase that spans a line break is a *warning*, which fails only under ``--strict``,
because older items (real-072–076) were written across line breaks.

Demo texts come from ``corpora/demo``; PDFs from ``../shared/realdocs/decoy-primary`` (text by
pypdf, as the README prescribes). A missing document is a problem, never a skip.

Run it as ``.venv/bin/python -m evals.sets.check_sets`` or ``python evals/sets/check_sets.py``;
it prints a report and exits 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETS_DIR = REPO / "evals" / "sets"
DEMO_DIR = REPO / "corpora" / "demo"
PDF_DIR = REPO.parent / "shared" / "realdocs" / "decoy-primary"

KEYS = {"id", "question", "persona", "kind", "gold", "unanswerable", "history"}
PERSONAS = {"staff", "governor", "new_hire"}
KINDS = {"fact", "list", "multi_doc", "follow_up", "unanswerable", "table", "long_doc", "minutes",
         "typed"}
ROLES = {"user", "assistant"}


def norm(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space: the README's scoring rule."""
    return " ".join(text.split())


@dataclass
class Page:
    """One page of a source document: its normalised text, raw text and normalised lines."""

    normed: str
    raw: str
    lines: list[str]


class Corpus:
    """Lazily loads the pages of the documents that the sets cite, once each."""

    def __init__(self, demo_dir: Path, pdf_dir: Path) -> None:
        self.demo_dir = demo_dir
        self.pdf_dir = pdf_dir
        self._docs: dict[str, list[Page] | str] = {}

    def pages(self, doc_id: str) -> list[Page] | str:
        """The document's pages, or an error message saying why it could not be read."""
        if doc_id not in self._docs:
            self._docs[doc_id] = self._load(doc_id)
        return self._docs[doc_id]

    def _load(self, doc_id: str) -> list[Page] | str:
        prefix, _, name = doc_id.partition("/")
        if prefix == "demo":
            path = self.demo_dir / name
            if not path.is_file():
                return f"demo document not found: {path}"
            raw = path.read_text(encoding="utf-8")
            return [Page(norm(raw), raw, [norm(line) for line in raw.splitlines()])]
        if prefix == "realdocs":
            path = self.pdf_dir / name
            if not path.is_file():
                return f"PDF not found: {path} (../shared must be present)"
            from pypdf import PdfReader  # imported here so a demo-only check needs no pypdf

            pages = []
            for page in PdfReader(path).pages:
                raw = page.extract_text()
                pages.append(Page(norm(raw), raw, [norm(line) for line in raw.splitlines()]))
            return pages
        return f"unknown doc_id prefix {prefix!r} (expected demo/ or realdocs/)"


@dataclass
class Report:
    """Problems found, per set file, and counts for the summary."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")


def _check_gold(item: dict, where: str, corpus: Corpus, report: Report) -> None:
    gold = item["gold"]
    if not isinstance(gold, list):
        report.add(where, "gold must be a list")
        return
    for n, entry in enumerate(gold):
        at = f"{where} gold[{n}]"
        if not isinstance(entry, dict) or set(entry) != {"doc_id", "page", "phrases"}:
            report.add(at, "must be an object with exactly doc_id, page, phrases")
            continue
        phrases, page_no = entry["phrases"], entry["page"]
        if not isinstance(phrases, list) or not phrases or not all(
            isinstance(p, str) and p.strip() for p in phrases
        ):
            report.add(at, "phrases must be a non-empty list of non-empty strings")
            continue
        pages = corpus.pages(str(entry["doc_id"]))
        if isinstance(pages, str):
            report.add(at, pages)
            continue
        if not isinstance(page_no, int) or isinstance(page_no, bool) or not 1 <= page_no <= len(pages):
            report.add(at, f"page {page_no!r} out of range 1..{len(pages)} for {entry['doc_id']}")
            continue
        page = pages[page_no - 1]
        demo = str(entry["doc_id"]).startswith("demo/")
        for phrase in phrases:
            p = norm(phrase)
            if p not in page.normed:
                report.add(at, f"phrase not on {entry['doc_id']} p{page_no}: {phrase!r}")
            elif demo and phrase not in page.raw:
                report.add(at, f"demo phrase is not an exact raw substring: {phrase!r}")
            elif not demo and not any(p in line for line in page.lines):
                report.warn(at, f"PDF phrase spans a line break on p{page_no}: {phrase!r}")


def _check_item(item: object, where: str, corpus: Corpus, report: Report) -> str | None:
    """Check one parsed line; return its kind when the shape allowed counting it."""
    if not isinstance(item, dict):
        report.add(where, "line is not a JSON object")
        return None
    if set(item) != KEYS:
        missing, extra = sorted(KEYS - set(item)), sorted(set(item) - KEYS)
        report.add(where, f"keys wrong (missing {missing}, extra {extra})")
        return None
    if not isinstance(item["question"], str) or not item["question"].strip():
        report.add(where, "question must be a non-empty string")
    if item["persona"] not in PERSONAS:
        report.add(where, f"persona {item['persona']!r} not in {sorted(PERSONAS)}")
    kind = item["kind"]
    if kind not in KINDS:
        report.add(where, f"kind {kind!r} not in {sorted(KINDS)}")
    if item["unanswerable"] is not (kind == "unanswerable"):
        report.add(where, "unanswerable must be true exactly when kind is 'unanswerable'")
    if item["unanswerable"] is not (item["gold"] == []):
        report.add(where, "unanswerable items need empty gold and answerable items need gold")
    history = item["history"]
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and set(t) == {"role", "content"} and t["role"] in ROLES
        and isinstance(t["content"], str) and t["content"].strip()
        for t in history
    ):
        report.add(where, "history must be a list of {role: user|assistant, content} turns")
    elif kind == "follow_up" and not history:
        report.add(where, "follow_up item has no history")
    _check_gold(item, where, corpus, report)
    if kind == "multi_doc" and isinstance(item["gold"], list):
        docs = {g.get("doc_id") for g in item["gold"] if isinstance(g, dict)}
        if len(docs) < 2:
            report.add(where, "multi_doc item cites fewer than two documents")
    return kind if isinstance(kind, str) else None


def check(sets_dir: Path = SETS_DIR, demo_dir: Path = DEMO_DIR, pdf_dir: Path = PDF_DIR) -> Report:
    """Check every question set (a .jsonl whose lines carry a ``question``) in ``sets_dir``."""
    report, corpus = Report(), Corpus(demo_dir, pdf_dir)
    seen: dict[str, str] = {}
    files = sorted(sets_dir.glob("*.jsonl"))
    if not files:
        report.add(str(sets_dir), "no .jsonl files found")
    for path in files:
        parsed: list[tuple[int, object]] = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                report.add(f"{path.name}:{n}", "blank line")
                continue
            try:
                parsed.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                report.add(f"{path.name}:{n}", f"not valid JSON ({exc})")
        if not any(isinstance(obj, dict) and "question" in obj for _, obj in parsed):
            report.skipped.append(path.name)
            continue
        counts = report.counts.setdefault(path.name, Counter())
        for n, obj in parsed:
            item_id = obj.get("id") if isinstance(obj, dict) else None
            where = f"{path.name}:{n} ({item_id})"
            if not isinstance(item_id, str) or not item_id:
                report.add(where, "id must be a non-empty string")
            elif item_id in seen:
                report.add(where, f"duplicate id, first used in {seen[item_id]}")
            else:
                seen[item_id] = path.name
            kind = _check_item(obj, where, corpus, report)
            if kind:
                counts[kind] += 1
    return report


def render(report: Report) -> str:
    """A human-readable report: per-file counts by kind, skipped files, then every problem."""
    out = []
    for name, counts in report.counts.items():
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        out.append(f"{name}: {sum(counts.values())} items ({kinds})")
    if report.skipped:
        out.append("skipped (not question sets): " + ", ".join(report.skipped))
    if report.warnings:
        out.append(f"{len(report.warnings)} warning(s):")
        out.extend(f"  {w}" for w in report.warnings)
    if report.problems:
        out.append(f"{len(report.problems)} problem(s):")
        out.extend(f"  {p}" for p in report.problems)
    else:
        out.append("OK: no problems")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 clean, 1 problems or strict warnings)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets-dir", type=Path, default=SETS_DIR)
    parser.add_argument("--demo-dir", type=Path, default=DEMO_DIR)
    parser.add_argument("--pdf-dir", type=Path, default=PDF_DIR)
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    args = parser.parse_args(argv)
    report = check(args.sets_dir, args.demo_dir, args.pdf_dir)
    print(render(report))
    return 1 if report.problems or (args.strict and report.warnings) else 0


if __name__ == "__main__":
    sys.exit(main())
