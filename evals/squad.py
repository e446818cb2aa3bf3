"""SQuAD 2.0 (dev, part a) as a corpus nobody here wrote: 8 Wikipedia articles, 2,828 questions.

The articles are written as Markdown documents (a heading, then the paragraphs as given) and
ingested through the normal `ethos ingest` command. Four articles are ingested; questions about
the other four must be refused ("outside"). Answerable questions about the ingested articles are
scored by containment (any gold answer string in the answer text or its quotes), and SQuAD's own
adversarially unanswerable questions about them are a separate, harder tier ("adversarial").
Articles are split into tune and test halves (evals/sets/splits.toml).

Data: Rajpurkar, Jia and Liang (2018), "Know What You Don't Know", CC BY-SA 4.0.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from evals.cases import Case
from evals.splits import squad_articles

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "squad2" / "squad2-dev-part-a.json"


def load(path: Path = DATA) -> dict[str, dict]:
    with open(path, encoding="utf-8") as fh:
        return {a["title"]: a for a in json.load(fh)["data"]}


def file_name(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", title) + ".md"


def write_corpus(articles: dict[str, dict], titles: list[str], folder: Path) -> Path:
    """One Markdown file per ingested article: its title as heading, paragraphs as given."""
    folder.mkdir(parents=True, exist_ok=True)
    for title in titles:
        paragraphs = [p["context"].strip() for p in articles[title]["paragraphs"]]
        text = f"# {title.replace('_', ' ')}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / file_name(title)).write_text(text, encoding="utf-8")
    return folder


def ingest_with_cli(folder: Path, data_dir: Path) -> None:
    """`ethos ingest FOLDER --corpus squad --data-dir DIR`, the command a user runs."""
    ethos = Path(sys.executable).with_name("ethos")
    cmd = [str(ethos), "ingest", str(folder), "--corpus", "squad", "--data-dir", str(data_dir)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def ingested_titles() -> list[str]:
    spec = squad_articles()
    return spec["tune_ingested"] + spec["test_ingested"]


def cases(articles: dict[str, dict]) -> list[Case]:
    spec = squad_articles()
    out: list[Case] = []
    for half in ("tune", "test"):
        for title in spec[f"{half}_ingested"] + spec[f"{half}_outside"]:
            inside = title in spec[f"{half}_ingested"]
            doc_id = f"squad/{file_name(title)}"
            for p in articles[title]["paragraphs"]:
                for q in p["qas"]:
                    impossible = bool(q.get("is_impossible"))
                    tier = "outside" if not inside else ("adversarial" if impossible else "answerable")
                    phrases = list(dict.fromkeys(a["text"] for a in q["answers"])) if tier == "answerable" else []
                    out.append(Case(q["id"], "squad", half, q["question"], tier != "answerable", phrases, "any",
                                    tier, gold_pages={(doc_id, 1)} if tier == "answerable" else set()))
    return out
