"""A process that opened knowledge bases exits cleanly.

Each KnowledgeBase runs a watcher thread polling the store. Left polling while Python
finalised, it crashed the interpreter with SIGSEGV after all work was done: CI saw
`make test` fail that way after every test had passed, and `ethos serve` could too on exit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ingest.settings import Settings
    from assistant.knowledge import KnowledgeBase

    root = Path(sys.argv[1])
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "values.md").write_text("# Our values\\n\\nWe are kind, curious and brave in every lesson.\\n")
    settings = Settings(data_dir=root / "data", corpus_dir=corpus, refresh_s=0.001,
                        llm_base_url=None, llm_gguf_path=None, chroma_host=None)
    first = KnowledgeBase(settings)
    first.ingest(corpus, corpus="exit")
    others = [KnowledgeBase(settings) for _ in range(6)]  # watchers polling, never closed
    print("done", flush=True)
""")


def test_watchers_left_open_do_not_crash_the_exit(tmp_path: Path) -> None:
    for attempt in range(3):  # the crash came every time before the fix; three runs leave no luck
        run_dir = tmp_path / str(attempt)
        run_dir.mkdir()
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(run_dir)], cwd=PROJECT, capture_output=True,
                              text=True, timeout=300)
        assert "done" in done.stdout, done.stderr[-2000:]
        assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
