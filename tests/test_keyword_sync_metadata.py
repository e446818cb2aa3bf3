"""A sources.toml edit re-writes a document's chunks under the same ids; a server's keyword index must follow.

Chunk ids follow the file's bytes, so changing a document's audience, organisation, type or title
in sources.toml and re-ingesting keeps every id. Real parts: two Ingestors over one data dir (the
CLI that writes and the server that syncs by diff, ingest/keyword_store.py), the real embedder,
an embedded Chroma, the real tokenizer. Keyword search is the index's own mask and BM25 scores.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from ingest.keyword_index import KeywordIndex, Tokenizer
from ingest.pipeline import Ingestor
from ingest.settings import Settings

STAFF = ("all", "staff")
GOVERNORS = ("all", "staff", "governors")


def _manifest(corpus: Path, **kiln: str) -> None:
    entry = {"title": "Kiln Policy", "organisation": "Old School", "type": "policy", "audience": "all", **kiln}
    lines = ['[corpus]', 'name = "c"', '', '[[documents]]', 'file = "kiln.md"']
    lines += [f'{k} = "{v}"' for k, v in entry.items()]
    lines += ['', '[[documents]]', 'file = "garden.md"', 'title = "Garden Policy"', 'organisation = "Old School"',
              'type = "policy"', 'audience = "all"', '']
    (corpus / "sources.toml").write_text("\n".join(lines))


def found(index: KeywordIndex, audiences: tuple[str, ...], query: str, **filters: list[str]) -> set[str]:
    """Documents a keyword search finds, as this audience set, with these filters."""
    mask = index.mask(audiences, SimpleNamespace(**filters) if filters else None)
    scores = index.scores(index.query_tokens(query, Tokenizer()))
    return {str(index.columns["doc_id"][p]) for p in range(index.positions) if mask[p] and scores[p] > 0}


@pytest.fixture()
def setup(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "kiln.md").write_text("# Kiln\n\nThe kiln is fired on Fridays after school by the art technician.\n")
    (corpus / "garden.md").write_text("# Garden\n\nThe garden is watered at noon by the eco club.\n")
    _manifest(corpus)
    settings = Settings(data_dir=tmp_path / "data")
    cli = Ingestor(settings)
    cli.ingest_corpus(corpus, corpus="c")
    server = Ingestor(settings)
    index = server.refresh_keyword_index()
    assert found(index, STAFF, "kiln fired") == {"c/kiln.md"}
    return corpus, cli, server, index


def _reingest(cli: Ingestor, corpus: Path, before: KeywordIndex) -> None:
    statuses = {f.doc_id: f.status for f in cli.ingest_corpus(corpus, corpus="c").files}
    assert statuses == {"c/kiln.md": "ingested", "c/garden.md": "unchanged"}
    assert cli.keyword_index().node_ids() == before.node_ids()  # the same chunk ids: only the metadata moved


def test_an_audience_change_changes_who_finds_the_chunk(setup):
    corpus, cli, server, before = setup
    _manifest(corpus, audience="governors")
    _reingest(cli, corpus, before)
    index = server.refresh_keyword_index()
    assert found(index, STAFF, "kiln fired") == set()
    assert found(index, GOVERNORS, "kiln fired") == {"c/kiln.md"}
    _manifest(corpus)  # and back
    _reingest(cli, corpus, before)
    assert found(server.refresh_keyword_index(), STAFF, "kiln fired") == {"c/kiln.md"}


def test_an_organisation_type_or_title_change_reaches_the_keyword_filters_and_terms(setup):
    corpus, cli, server, before = setup
    assert found(before, STAFF, "kiln", organisation=["Old School"]) == {"c/kiln.md"}
    _manifest(corpus, organisation="Hilltop Academy", type="guidance", title="Ceramics Handbook")
    _reingest(cli, corpus, before)
    index = server.refresh_keyword_index()
    assert found(index, STAFF, "kiln", organisation=["Hilltop Academy"]) == {"c/kiln.md"}
    assert found(index, STAFF, "kiln", organisation=["Old School"]) == set()
    assert found(index, STAFF, "kiln", doc_type=["guidance"]) == {"c/kiln.md"}
    assert found(index, STAFF, "ceramics handbook") == {"c/kiln.md"}  # the new title is searchable
    assert found(index, STAFF, "garden watered", organisation=["Old School"]) == {"c/garden.md"}  # untouched


def test_a_sync_with_nothing_changed_reads_no_chunk_again(setup):
    _, _, server, index = setup
    assert server.refresh_keyword_index() is index  # every sampled chunk matched: no new snapshot
