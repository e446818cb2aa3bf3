"""Session-wide real parts: a demo corpus (plus one governor-only paper), an Assistant over it,
and a real uvicorn server running the API in a background thread.

Everything is session scoped because loading the embedder and ingesting take seconds;
any test file can reuse these fixtures.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.settings import Settings
from tests.servers import serve

PROJECT = Path(__file__).resolve().parents[1]
DEMO = PROJECT / "corpora" / "demo"
PRIVATE_FILE = "governors-confidential.md"
PRIVATE_DOC_ID = f"demo/{PRIVATE_FILE}"
KEYS = {"staff-key": "staff", "gov-key": "governor", "admin-key": "admin"}

PRIVATE_TEXT = """# Project Kestrel: Budget Deficit Recovery Plan

## Purpose

This confidential paper sets out Project Kestrel, the trust's plan to recover the projected budget
deficit of £1.2 million by August 2027. It is for the board of governors only.

## Measures

- Restructure the central team, saving £400,000 a year from September.
- Merge the two smallest primary schools onto one site by 2026.
- Renegotiate the catering contract, saving £150,000 a year.

## Oversight

The finance committee will review Project Kestrel every half term, and the chief financial
officer will report progress against each measure to the full board.
"""

PRIVATE_MANIFEST = f"""
[[documents]]
file = "{PRIVATE_FILE}"
title = "Project Kestrel: Budget Deficit Recovery Plan"
organisation = "A Dudley multi-academy trust"
type = "board paper"
audience = "governors"
"""


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("ethos-data"),
        corpus_dir=DEMO,
        api_keys=dict(KEYS),
        default_role="staff",
        llm_base_url=None,  # answers must not depend on whatever LLM the environment names
        llm_gguf_path=None,
        chroma_host=None,
    )


@pytest.fixture(scope="session")
def demo_corpus_with_private(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpora/demo plus a governors-only paper, declared so in the copied sources.toml."""
    root = tmp_path_factory.mktemp("corpus") / "demo"
    shutil.copytree(DEMO, root)
    (root / PRIVATE_FILE).write_text(PRIVATE_TEXT, encoding="utf-8")
    with (root / "sources.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(PRIVATE_MANIFEST)
    return root


@pytest.fixture(scope="session")
def assistant(demo_settings: Settings, demo_corpus_with_private: Path):
    from assistant.knowledge import KnowledgeBase
    from assistant.service import Assistant

    kb = KnowledgeBase(demo_settings)
    report = kb.ingest(demo_corpus_with_private, corpus="demo")
    failed = [f for f in report.files if f.status == "failed"]
    assert not failed, failed
    assert report.count("ingested") == 6
    yield Assistant(demo_settings, kb=kb)
    kb.close()


@pytest.fixture(scope="session")
def live_server(demo_settings: Settings, assistant) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 in a background thread; yields its base URL."""
    from assistant.api import create_app

    with serve(create_app(demo_settings, assistant), probe="/api/health", name="ethos-api") as base:
        yield base


@pytest.fixture(scope="session")
def api(live_server: str) -> Iterator[httpx.Client]:
    """An httpx client on the live server; no default key (pass headers=auth(...))."""
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


# What a failed browser test's page showed, in the test's own report: CI keeps only its log, so a
# timeout there (a badge that never changed, a button that never appeared) must say what was on screen.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        from tests.browser import page_state

        report.sections.append(("page state at failure", page_state(page)))
