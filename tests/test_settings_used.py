"""Every Settings field and property is read by the code (a dead setting misleads whoever configures it).

Reads the real source of the shipped packages with `ast`: a name counts as read where some module
other than ingest/settings.py takes it as an attribute (`settings.chroma_path`, `s.top_k`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "assistant", "ui", "evals")


def attributes_read() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "ingest" / "settings.py":
                continue
            names |= {node.attr for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                      if isinstance(node, ast.Attribute)}
    return names


def test_every_setting_is_read_somewhere():
    properties = [name for name, value in vars(Settings).items() if isinstance(value, property)]
    declared = [*Settings.model_fields, *properties]
    assert "chroma_path" in declared and "top_k" in declared
    unread = sorted(set(declared) - attributes_read())
    assert unread == [], f"Settings declares {unread} but nothing reads them: remove them or use them"
