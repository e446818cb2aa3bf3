"""A small corpus written by a test and ingested for real: files in a folder, one pipeline run.

Tests of answering behaviour each need their own few documents (two schools' policies, one line
repeated under two titles); this writes them, ingests them with the real embedder and Chroma,
checks every file went in, and returns an Assistant over them.
"""

from __future__ import annotations

import pytest


def ingested_assistant(tmp_path_factory: pytest.TempPathFactory, corpus: str, files: dict[str, str]):
    """An Assistant over `files` (name → text, a `sources.toml` among them) ingested as `corpus`."""
    from assistant.knowledge import KnowledgeBase
    from assistant.service import Assistant
    from ingest.settings import Settings

    root = tmp_path_factory.mktemp(corpus) / corpus
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp(f"{corpus}-data"), llm_base_url=None,
                        llm_gguf_path=None, chroma_host=None)
    kb = KnowledgeBase(settings)
    report = kb.ingest(root, corpus=corpus)
    documents = len(files) - ("sources.toml" in files)
    assert report.count("ingested") == documents, report.files
    return Assistant(settings, kb=kb)


def ask_as_staff(assistant, question: str, organisation: str | None = None):
    """The extractive answer a member of staff (of `organisation`, when given) reads."""
    from assistant.models import Principal

    return assistant.ask(question, Principal("staff", ("all", "staff"), organisation=organisation), mode="extractive")
