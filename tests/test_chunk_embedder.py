"""The pipeline's one embedding step: each chunk and its answer units in a single encode call.

`ingest.nodes.ChunkEmbedder` pools a batch's chunk texts, units alone and units read in context
into one `encode` call (fuller batches, less padding) and hands each vector back to its own node
and unit. A slip in that bookkeeping would give a chunk another chunk's units, or a unit its
neighbour's vector, and nothing would crash, so this checks every vector against the real
embedder encoding the same text on its own. Real embedder, real loader and chunker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import MetadataMode

from ingest.embedding import encode, get_embedder, tokenizer_of
from ingest.loaders import load_document
from ingest.manifest import load_manifest
from ingest.nodes import ChunkEmbedder, StructureChunker, to_llama_document, unit_texts
from ingest.settings import Settings
from ingest.units import CONTEXT_VECTORS_KEY, VECTORS_KEY, decode_vectors

POLICY = """# Attendance Policy

## Reporting an absence

Parents ring the school office before 9:00 on each day of absence. The office rings home by
10:00 when no reason has been given.

## Rewards

- Termly certificates for full attendance.
- A class trophy each week.
- Letters home for most improved attendance.

## Review

This policy is reviewed every two years by the governing body.
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("embedder")
    path = root / "attendance.md"
    path.write_text(POLICY, encoding="utf-8")
    doc = load_document(path, load_manifest(root, "t").meta_for(root, path))
    settings = Settings(data_dir=root / "data", chunk_tokens=40)  # small chunks: several nodes to keep apart
    embedder = get_embedder(settings)
    tokenizer = tokenizer_of(embedder)
    chunker = StructureChunker(count_tokens=lambda t: len(tokenizer(t, add_special_tokens=False)["input_ids"]),
                               max_tokens=settings.chunk_tokens, prefix_tokens=settings.prefix_tokens)
    nodes = chunker([to_llama_document(doc, "hash")])
    calls: list[int] = []

    def counted(texts: list[str]):
        calls.append(len(texts))
        return encode(embedder, texts)

    return ChunkEmbedder(encode=counted)(nodes), calls, embedder


def _cos(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_one_encode_call_for_chunks_and_both_readings_of_units(embedded) -> None:
    nodes, calls, _ = embedded
    assert len(nodes) >= 3, "the fixture must produce several chunks"
    units = sum(len(unit_texts(n.get_content(metadata_mode=MetadataMode.NONE), n.metadata)[0]) for n in nodes)
    assert calls == [len(nodes) + 2 * units]


def test_each_chunk_gets_its_own_vector(embedded) -> None:
    nodes, _, embedder = embedded
    alone = encode(embedder, [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes])
    for node, own in zip(nodes, alone):
        assert _cos(node.embedding, own) > 0.9999
    # and the text embedded is the one llama-index's embedder transform would embed: title | section, then the text
    assert all(n.get_content(metadata_mode=MetadataMode.EMBED).startswith(n.metadata["context"]) for n in nodes)


def test_each_unit_gets_its_own_vectors_alone_and_in_context(embedded) -> None:
    """Every stored unit vector is, of all the batch's unit texts, nearest the encoding of its own."""
    nodes, _, embedder = embedded
    for key, reading in ((VECTORS_KEY, 0), (CONTEXT_VECTORS_KEY, 1)):
        texts, stored = [], []
        for node in nodes:
            mine = unit_texts(node.get_content(metadata_mode=MetadataMode.NONE), node.metadata)[reading]
            if not mine:
                assert key not in node.metadata
                continue
            vectors = decode_vectors(node.metadata[key])
            assert vectors.shape[0] == len(mine)
            texts += mine
            stored += list(vectors)
            assert key in node.excluded_embed_metadata_keys and key in node.excluded_llm_metadata_keys
        assert len(texts) >= 5
        want = np.asarray(encode(embedder, texts), dtype=np.float32)
        got = np.asarray(stored, dtype=np.float32)
        got /= np.linalg.norm(got, axis=1, keepdims=True)
        sims = got @ want.T
        assert list(sims.argmax(axis=1)) == list(range(len(texts)))
        assert sims.diagonal().min() > 0.995  # int8 storage costs about 0.001
