"""The evaluation corpora as indexes, built once and reused (ingest skips unchanged files).

demo (corpora/demo), realdocs (../shared/realdocs/decoy-primary) and squad (four SQuAD articles
written as Markdown and ingested with the `ethos ingest` command). One index per corpus, so one
corpus can never answer another's unanswerable questions.
"""

from __future__ import annotations

from pathlib import Path

from assistant.access import audiences_for
from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.service import Assistant
from evals import squad
from evals.golden import CORPORA
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KEEP = ROOT / "data" / "eval-indexes"
SETS = ("demo", "realdocs", "squad")


def open_corpus(name: str, keep: Path = DEFAULT_KEEP, base: Settings | None = None) -> Assistant:
    """An Assistant over corpus `name`, its index kept under `keep/name` and brought up to date."""
    base = base or Settings(llm_base_url=None, llm_gguf_path=None, chroma_host=None)
    data_dir = keep / name
    settings = base.model_copy(update={"data_dir": data_dir})
    if name == "squad":
        folder = squad.write_corpus(squad.load(), squad.ingested_titles(), keep / "squad-corpus")
        squad.ingest_with_cli(folder, data_dir)
        kb = KnowledgeBase(settings)
    else:
        kb = KnowledgeBase(settings)
        report = kb.ingest(CORPORA[name], corpus=name)
        failed = [f"{f.path}: {f.reason}" for f in report.files if f.status == "failed"]
        if failed:
            raise RuntimeError(f"ingest of {name} failed for: {failed}")
    return Assistant(settings, kb=kb)


def reader(settings: Settings) -> Principal:
    """Evaluations read as an admin: every document of the set's corpus is in scope."""
    return Principal(role="admin", audiences=audiences_for("admin", settings), name="eval")
