"""The synthetic trust corpus behind evals/scale.py: exact size, reproducible, app-shaped chunks."""

from __future__ import annotations

import dataclasses

import numpy as np

from evals.synth import HashEmbedder, generate
from ingest.models import Chunk
from ingest.nodes import chunk_to_node, node_to_chunk
from ingest.settings import Settings


def test_requested_count_and_deterministic() -> None:
    a, b = generate(1234, seed=7), generate(1234, seed=7)
    assert len(a) == 1234
    assert a == b
    assert generate(1234, seed=8) != a
    assert len({c.chunk_id for c in a}) == 1234


def test_chunks_fit_the_token_budget_and_carry_every_field() -> None:
    budget = Settings().chunk_tokens
    chunks = generate(3000, seed=3)
    for c in chunks:
        assert isinstance(c, Chunk)
        assert 0 < len(c.text.split()) <= budget
        for f in dataclasses.fields(Chunk):
            if f.name in ("units", "unit_vectors", "unit_context_vectors"):  # made at ingest from the page's structure
                continue
            value = getattr(c, f.name)
            assert value not in ("", (), None), f.name
        assert c.end - c.start == len(c.text) and c.page >= 1
        assert c.doc_id.startswith("synth/school-") and c.organisation in c.title
    assert {c.audience for c in chunks} == {"all", "staff", "governors"}
    assert sum(c.audience == "all" for c in chunks) > len(chunks) / 2
    assert len({c.organisation for c in chunks}) > 10
    text = "\n".join(c.text for c in chunks)
    for marker in ("Roles and responsibilities", "Monitoring and review", "SENCO", "Headteacher", "- ", " | ", "by 20"):
        assert marker in text or any(marker in c.section for c in chunks), marker


def test_chunks_round_trip_through_the_app_node_mapping() -> None:
    c = generate(50, seed=1)[42]
    assert node_to_chunk(chunk_to_node(c)) == c


def test_stand_in_embedder_is_deterministic_and_normalised() -> None:
    texts = [c.text for c in generate(20)]
    a = HashEmbedder()._model.encode(texts)
    b = HashEmbedder()._model.encode(list(reversed(texts)))[::-1]
    assert a.shape == (20, 384)
    assert np.allclose(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    q = np.asarray(HashEmbedder().get_query_embedding(texts[0]))
    assert int(np.argmax(a @ q)) == 0


def test_scale_command_builds_measures_and_reuses_a_kept_index(tmp_path) -> None:
    """`ethos eval scale` end to end at a toy size: report rows, chart, and a kept index re-timed."""
    import json
    import subprocess
    import sys

    out, keep, results = tmp_path / "report", tmp_path / "keep", tmp_path / "results.json"
    cmd = [sys.executable, "-m", "ui.cli", "eval", "scale", "--sizes", "400", "--real-max", "0",
           "--out", str(out), "--keep", str(keep), "--questions", "4", "--server-max", "0",
           "--results", str(results)]
    subprocess.run(cmd, check=True, timeout=600)
    report = (out / "scale.md").read_text()
    assert "| 400 | hash stand-in |" in report
    assert (out / "scale_latency.png").stat().st_size > 10_000
    first = json.loads(results.read_text())
    assert [r["chunks"] for r in first] == [400]
    assert first[0]["embedded"]["questions"] == 4 and first[0]["embedded"]["ask_p50"] > 0
    assert (keep / "size-400" / "build.json").exists()
    plans = first[0]["embedded"]["plans"]  # the side-by-side of the two dense plans, staff filter
    assert plans["chunks"] == 400 and 0 < plans["matched"] < 400 and 0.5 <= plans["recall"] <= 1.0
    assert "Chroma `where` vs post-filter" in report

    subprocess.run(cmd, check=True, timeout=600)  # second run: same build, fresh query timings
    second = json.loads(results.read_text())
    assert second[0]["build_s"] == first[0]["build_s"]
    assert second[0]["embedded"]["ask_p50"] != first[0]["embedded"]["ask_p50"]
