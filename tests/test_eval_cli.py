"""`ethos eval commitments` and `ethos eval ingest` reproduce their reports (written to a temp dir)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def test_eval_commitments_writes_its_report(tmp_path):
    out = tmp_path / "commitments.md"
    result = runner.invoke(app, ["eval", "commitments", "--out", str(out)])
    assert result.exit_code == 0, result.output
    precision, recall = map(float, re.search(r"precision ([\d.]+) recall ([\d.]+)", result.output).groups())
    assert precision >= 0.9 and recall >= 0.9  # measured 0.972 / 0.946
    assert "Time frame disagreements" in out.read_text()


def test_eval_ingest_reports_the_ratio_to_the_bare_embedder(tmp_path):
    out = tmp_path / "ingest.md"
    result = runner.invoke(app, ["eval", "ingest", "--out", str(out), "--repeats", "1"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    ratio = int(re.search(r"as shipped \(parses (?:ahead|in line)\) \| [\d.]+ \([^)]*\) \| [\d.]+ \([^)]*\) \| \*\*(\d+)%\*\*",
                          text).group(1))
    assert 0 < ratio <= 150  # a ratio, not an assertion about speed (timings are noisy here)
    assert re.search(r"Re-ingest of the unchanged corpus: [\d.]+ s, 0 chunks added", text)
