"""The committed golden sets pass their own checker, and the checker really catches broken items.

The checker reads the real demo texts and the real PDFs in ../shared (always present in CI), so a
missing PDF fails here instead of being skipped: a skipped check would let a drifted phrase through.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evals import metrics
from evals.sets import check_sets
from evals.sets.check_sets import check, render

PROJECT = Path(__file__).resolve().parents[1]
SETS = PROJECT / "evals" / "sets"
LB = "demo/lilian-baylis-vision-and-strategy.txt"
BEHAVIOUR = "realdocs/2022-promoting-positive-behaviour-policy.pdf"


def item(item_id: str, kind: str = "fact", gold: list | None = None, **over: object) -> dict:
    base = {"id": item_id, "question": "q?", "persona": "staff", "kind": kind,
            "gold": [{"doc_id": LB, "page": 1, "phrases": ["Nelson Mandela"]}] if gold is None else gold,
            "unanswerable": kind == "unanswerable", "history": []}
    base.update(over)
    return base


def write(folder: Path, name: str, rows: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                               encoding="utf-8")


def test_shared_pdfs_are_present() -> None:
    assert check_sets.PDF_DIR.is_dir(), f"{check_sets.PDF_DIR} is missing: the PDF check cannot run"
    assert len(list(check_sets.PDF_DIR.glob("*.pdf"))) == 8


def test_committed_sets_have_no_problems() -> None:
    report = check()
    assert not report.problems, render(report)
    for name in ("demo.jsonl", "realdocs.jsonl", "demo_fresh.jsonl", "realdocs_fresh.jsonl", "demo_tune.jsonl",
                 "realdocs_tune.jsonl"):
        assert name in report.counts, f"{name} was not checked"


def test_fresh_sets_have_the_promised_size_and_no_warnings() -> None:
    report = check()
    demo, real = report.counts["demo_fresh.jsonl"], report.counts["realdocs_fresh.jsonl"]
    assert (sum(demo.values()) - demo["unanswerable"], demo["unanswerable"]) == (24, 8)
    assert (sum(real.values()) - real["unanswerable"], real["unanswerable"]) == (32, 10)
    assert not [w for w in report.warnings if "_fresh.jsonl" in w], render(report)


def test_fresh_sets_cite_only_test_half_documents() -> None:
    splits = tomllib.loads((SETS / "splits.toml").read_text(encoding="utf-8"))
    for name, half in (("demo_fresh.jsonl", "demo"), ("realdocs_fresh.jsonl", "realdocs")):
        test_docs = set(splits[half]["test"])
        for line in (SETS / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for gold in row["gold"]:
                assert gold["doc_id"] in test_docs, (row["id"], gold["doc_id"])
            if row["kind"] == "multi_doc":
                assert len({g["doc_id"] for g in row["gold"]}) >= 2, row["id"]


def test_checker_norm_matches_the_scorers_norm() -> None:
    for text in ["  a\u00a0 b\n\tc  ", "Trust’s\u2003x", "", "one"]:
        assert check_sets.norm(text) == metrics.norm(text)


def test_a_clean_set_passes(tmp_path: Path) -> None:
    write(tmp_path, "s.jsonl", [
        item("a-1"),
        item("a-2", kind="unanswerable", gold=[]),
        item("a-3", kind="follow_up", history=[{"role": "user", "content": "x"},
                                               {"role": "assistant", "content": "y"}]),
        item("a-4", gold=[{"doc_id": BEHAVIOUR, "page": 1, "phrases": ["Treat other people as you would"]}]),
    ])
    report = check(tmp_path)
    assert report.problems == [] and report.warnings == [], render(report)
    assert check_sets.main(["--sets-dir", str(tmp_path)]) == 0


@pytest.mark.parametrize(("row", "expected"), [
    (item("b", gold=[{"doc_id": LB, "page": 1, "phrases": ["Nelson Mandella"]}]), "phrase not on"),
    (item("b", gold=[{"doc_id": BEHAVIOUR, "page": 2, "phrases": ["Our Golden Value"]}]), "phrase not on"),
    (item("b", gold=[{"doc_id": BEHAVIOUR, "page": 6, "phrases": ["x"]}]), "out of range"),
    (item("b", gold=[{"doc_id": LB, "page": 1, "phrases": ["Nelson   Mandela"]}]), "exact raw substring"),
    (item("b", gold=[{"doc_id": LB, "page": 1, "phrases": []}]), "non-empty list"),
    (item("b", gold=[{"doc_id": "demo/nope.txt", "page": 1, "phrases": ["x"]}]), "not found"),
    (item("b", gold=[{"doc_id": "web/x", "page": 1, "phrases": ["x"]}]), "unknown doc_id prefix"),
    (item("b", kind="unanswerable"), "empty gold"),
    (item("b", gold=[]), "empty gold"),
    (item("b", unanswerable=True), "exactly when kind"),
    (item("b", kind="follow_up"), "no history"),
    (item("b", kind="follow_up", history=[{"role": "bot", "content": "x"}]), "history must be"),
    (item("b", kind="multi_doc"), "fewer than two documents"),
    (item("b", kind="trivia"), "kind 'trivia'"),
    (item("b", persona="parent"), "persona 'parent'"),
    ({k: v for k, v in item("b").items() if k != "history"}, "keys wrong"),
    (item("b", extra=1), "keys wrong"),
])
def test_checker_catches_a_broken_item(tmp_path: Path, row: dict, expected: str) -> None:
    write(tmp_path, "s.jsonl", [row])
    report = check(tmp_path)
    assert any(expected in p for p in report.problems), render(report)
    assert check_sets.main(["--sets-dir", str(tmp_path)]) == 1


def test_checker_catches_duplicate_ids_across_files_and_bad_json(tmp_path: Path) -> None:
    write(tmp_path, "one.jsonl", [item("dup")])
    write(tmp_path, "two.jsonl", [item("dup")])
    (tmp_path / "three.jsonl").write_text(json.dumps(item("ok")) + "\n{not json\n", encoding="utf-8")
    problems = check(tmp_path).problems
    assert any("duplicate id, first used in one.jsonl" in p for p in problems), problems
    assert any(p.startswith("three.jsonl:2") and "not valid JSON" in p for p in problems), problems


def test_a_missing_pdf_folder_is_a_problem_not_a_skip(tmp_path: Path) -> None:
    write(tmp_path / "sets", "s.jsonl", [item("c", gold=[{"doc_id": BEHAVIOUR, "page": 1,
                                                         "phrases": ["Have a go"]}])])
    report = check(tmp_path / "sets", pdf_dir=tmp_path / "absent")
    assert any("PDF not found" in p for p in report.problems), render(report)


def test_a_phrase_across_a_pdf_line_break_warns_and_fails_only_when_strict(tmp_path: Path) -> None:
    # "Have a go" and "Make the right choices" are consecutive lines of the behaviour policy's p1
    write(tmp_path, "s.jsonl", [item("d", gold=[{"doc_id": BEHAVIOUR, "page": 1,
                                                 "phrases": ["Have a go Make the right choices"]}])])
    report = check(tmp_path)
    assert report.problems == [] and any("spans a line break" in w for w in report.warnings)
    assert check_sets.main(["--sets-dir", str(tmp_path)]) == 0
    assert check_sets.main(["--sets-dir", str(tmp_path), "--strict"]) == 1


def test_files_without_questions_are_skipped_by_name(tmp_path: Path) -> None:
    write(tmp_path, "commitments_x.jsonl", [{"doc_id": LB, "text": "anything"}])
    write(tmp_path, "s.jsonl", [item("e")])
    report = check(tmp_path)
    assert report.skipped == ["commitments_x.jsonl"] and report.problems == []
    assert "skipped (not question sets): commitments_x.jsonl" in render(report)


@pytest.mark.parametrize("command", [["-m", "evals.sets.check_sets"], ["evals/sets/check_sets.py"]])
def test_both_command_lines_run_and_set_the_exit_status(tmp_path: Path, command: list[str]) -> None:
    write(tmp_path / "good", "s.jsonl", [item("f")])
    write(tmp_path / "bad", "s.jsonl", [item("f", kind="multi_doc")])
    good = subprocess.run([sys.executable, *command, "--sets-dir", str(tmp_path / "good")],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert good.returncode == 0 and "OK: no problems" in good.stdout, good.stdout + good.stderr
    bad = subprocess.run([sys.executable, *command, "--sets-dir", str(tmp_path / "bad")],
                         cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "fewer than two documents" in bad.stdout, bad.stdout + bad.stderr


def test_extra_tune_items_all_land_in_the_tune_half() -> None:
    """The later-written items ("demo-t…", "real-t…") are tune data: none may leak into the headline."""
    from evals.cases import golden_cases

    for name, size in (("demo", 52), ("realdocs", 70)):
        extra = [c for c in golden_cases(name) if "-t" in c.id]
        assert len(extra) == size
        assert {c.half for c in extra} == {"tune"}
