"""`ethos eval golden --mode generative` end to end, against the real model's recorded replies.

No real model in CI: tests/fake_llm.py replays what Qwen2.5-Coder-1.5B wrote for these golden
questions (tests/fixtures/llm) over real HTTP, through the real OpenAILike client, index,
embedder and grounding. The report's numbers must come from the run: the same cases answered
by a model that refuses everything must change the generative row (and only it).
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from assistant.generative import MODEL_DECLINED
from evals.cli import eval_app
from evals.generative_flags import flag_scores
from evals.golden import load_items
from tests.fake_llm import Deltas, FakeLLM, load_recording, recorded

CASES = ["demo-004", "demo-007", "demo-029", "demo-059"]  # test half: three answerable, one unanswerable
REFUSE = "The documents don't say."


def by_question(messages: list[dict]) -> list[str]:
    """The recorded reply for whichever golden question the prompt asks (a refusal otherwise)."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    for qid in CASES:
        try:
            question = load_recording(qid)["question"]
        except FileNotFoundError:
            continue
        if user.rstrip().endswith(f"Question: {question}"):
            return recorded(qid).deltas(messages)  # type: ignore[operator]
    return [REFUSE]


@pytest.fixture(scope="module")
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def keep(tmp_path_factory):
    return tmp_path_factory.mktemp("eval-indexes")


def run_cli(fake, keep, tmp, *extra: str):
    args = ["golden", "--mode", "generative", "--set", "demo", "--only", ",".join(CASES), "--llm-base-url",
            fake.url, "--keep", str(keep), "--items", str(tmp / "items.jsonl"), "--out", str(tmp / "out"),
            "--torch-threads", "1", *extra]
    result = CliRunner().invoke(eval_app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp / "items.jsonl").read_text().splitlines()]
    return rows, (tmp / "out" / "generative.md").read_text()


def md_row(report: str, mode: str) -> dict[str, str]:
    lines = [line for line in report.splitlines() if line.startswith("| set | half | mode |")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    row = next(line for line in report.splitlines() if line.startswith(f"| demo | test | {mode} |"))
    return dict(zip(header, [c.strip() for c in row.strip("|").split("|")]))


@pytest.fixture(scope="module")
def recorded_run(fake, keep, tmp_path_factory):
    fake.reset()
    fake.default = Deltas(by_question)
    rows, report = run_cli(fake, keep, tmp_path_factory.mktemp("recorded"))
    return rows, report, len(fake.requests)


def test_every_case_is_answered_in_both_modes_with_stream_timings(recorded_run):
    rows, report, requests = recorded_run
    assert sorted((r["id"], r["mode"]) for r in rows) == sorted((c, m) for c in CASES for m in ("extractive", "generative"))
    unanswerable = {i.id for i in load_items("demo") if i.unanswerable}
    for r in rows:
        assert r["half"] == "test" and r["unanswerable"] == (r["id"] in unanswerable)
        assert 0 < r["first_ms"] <= r["total_ms"]
    called = [r for r in rows if r["llm_called"]]
    assert called and all(r["mode"] == "generative" for r in called)
    assert len(called) == requests  # one model call per generative answer that passed the evidence check
    for r in called:  # the model's own clock: first token, last token, one delta per SSE chunk
        m = r["model"]
        assert 0 < m["first_s"] <= m["last_s"] and m["deltas"] >= 1 and m["raw"] and not m["prompt_exact"]
        assert r["first_ms"] / 1000 >= m["first_s"]  # what the client sees waits for the model
    assert f"| replies | {requests} |" in report and "| prompt tokens counted | estimated |" in report


def test_the_table_is_the_cases_summary_of_the_recorded_answers(recorded_run):
    rows, report, _ = recorded_run
    gen = {r["id"]: r for r in rows if r["mode"] == "generative"}
    # the real model said "the documents don't say" to an answerable question the evidence check passed:
    # the user gets the extractive answer with a note, not a refusal
    assert gen["demo-007"]["llm_called"] and not gen["demo-007"]["refused"]
    assert gen["demo-007"]["answer"].startswith(MODEL_DECLINED)
    answerable = [r for r in gen.values() if not r["unanswerable"]]
    row = md_row(report, "generative")
    assert row["n"] == "4"
    assert float(row["false refusal"]) == pytest.approx(sum(r["refused"] for r in answerable) / len(answerable), abs=1e-3)
    assert float(row["containment"]) == pytest.approx(sum(r["containment"] for r in answerable) / len(answerable), abs=1e-3)


def test_a_model_that_refuses_everything_is_replaced_by_the_extractive_answers(recorded_run, fake, keep, tmp_path):
    """The figures come from the run: a model that declines every question changes the generative
    rows (each answer the model was asked for becomes the extractive one, with a note), never the
    extractive rows."""
    rows, report, _ = recorded_run
    fake.reset()
    fake.default = REFUSE
    refused_rows, refused_report = run_cli(fake, keep, tmp_path)
    scores = lambda row: {k: v for k, v in row.items() if not k.endswith(" s")}  # noqa: E731 - times vary
    extractive = md_row(refused_report, "extractive")
    assert scores(extractive) == scores(md_row(report, "extractive"))  # same answers
    generative = md_row(refused_report, "generative")
    assert generative["containment"] == extractive["containment"]
    asked = [r for r in refused_rows if r["mode"] == "generative" and r["llm_called"]]
    assert asked and all(r["answer"].startswith(MODEL_DECLINED) and not r["refused"] for r in asked)
    assert f"| replaced: model declined an answerable question | {len(asked)} |" in refused_report


def test_report_only_rewrites_from_the_items_without_a_model(recorded_run, fake, keep, tmp_path):
    fake.reset()
    fake.default = Deltas(by_question)
    rows, _ = run_cli(fake, keep, tmp_path)
    kept = [r for r in rows if r["id"] != "demo-029"]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    result = CliRunner().invoke(eval_app, ["golden", "--mode", "generative", "--report-only", "--items",
                                           str(tmp_path / "items.jsonl"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert md_row((tmp_path / "out" / "generative.md").read_text(), "generative")["n"] == "3"


def test_generative_mode_without_a_model_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(eval_app, ["golden", "--mode", "generative", "--items", str(tmp_path / "i.jsonl")])
    assert result.exit_code == 2 and "--gguf" in result.output and not (tmp_path / "i.jsonl").exists()


def test_flag_precision_and_recall_come_from_the_hand_judgements(tmp_path):
    def answer(id_: str, flags: list[bool]) -> dict:
        return {"set": "demo", "id": id_, "mode": "generative", "llm_called": True, "answer_mode": "generative",
                "refused": False, "answer": "…", "model": {"raw": "…"},
                "sentences": [{"text": f"{id_} s{i}", "supported": not f, "citations": [1]} for i, f in enumerate(flags)]}

    # 4 flagged and 8 unflagged sentences in the run; 2 flagged and 4 unflagged judged by hand
    rows = [answer("a", [True, True, False, False]), answer("b", [True, True, False, False, False, False, False, False])]
    csv = tmp_path / "sample.csv"
    csv.write_text("set,id,index,flagged,supported_by_hand,citations,sentence,note\n"
                   "demo,a,0,1,0,1,a s0,\ndemo,a,1,1,1,1,a s1,\n"  # one right flag, one wrong
                   "demo,a,2,0,1,1,a s2,\ndemo,b,2,0,0,1,b s2,\ndemo,b,3,0,1,1,b s3,\ndemo,b,4,0,1,1,b s4,\n"
                   "demo,b,5,0,,1,b s5,\ndemo,zz,0,1,0,1,gone,\n")  # unjudged, and a sentence not in the run
    got = flag_scores(csv, rows)
    assert got["precision"] == 0.5 and (got["tp"], got["fp"], got["fn"], got["tn"]) == (1, 1, 1, 3)
    # recall weighted to the run: caught 1 × 4/2 = 2, missed 1 × 8/4 = 2 → 0.5
    assert got["recall"] == pytest.approx(0.5)
    assert math.isnan(flag_scores(tmp_path / "none.csv", rows)["precision"])


def test_a_reply_replaced_for_being_unsupported_counts_as_one_flag_on_the_whole_reply():
    from assistant.generative import NOT_SUPPORTED
    from evals.generative_flags import kept_sentences

    row = {"set": "demo", "id": "demo-021", "mode": "generative", "llm_called": True, "answer_mode": "extractive",
           "refused": False, "answer": NOT_SUPPORTED + "\n\nquoted", "model": {"raw": " [3]\n"},
           "sentences": [{"text": "quoted", "supported": True, "citations": [1]}]}
    assert kept_sentences([row]) == [{"set": "demo", "id": "demo-021", "index": -1, "flagged": 1, "citations": "",
                                      "sentence": "[3]"}]
    refused = {**row, "answer_mode": "generative", "refused": True, "answer": "The documents you can access…"}
    assert kept_sentences([refused]) == []  # a refusal is scored as a refusal, not as flags
