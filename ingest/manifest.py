"""The corpus manifest (`sources.toml`): per-file metadata, persona starters, onboarding path.

A trust describes its own documents here, so nothing about one trust is hard-coded
in the product. Every field is optional: a folder of files with no manifest still
ingests, with titles taken from file names.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.models import DocumentMeta, LoadError

MANIFEST_NAME = "sources.toml"
SUPPORTED_SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt"}


@dataclass
class OnboardingTopic:
    topic: str
    question: str


@dataclass
class Manifest:
    name: str
    description: str = ""
    defaults: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    starters: dict[str, list[str]] = field(default_factory=dict)
    onboarding: list[OnboardingTopic] = field(default_factory=list)

    def meta_for(self, root: Path, path: Path) -> DocumentMeta:
        """Metadata for one file: its manifest entry over the corpus defaults over guesses."""
        rel = path.relative_to(root).as_posix()
        entry = {**self.defaults, **self.files.get(rel, {})}
        return DocumentMeta(
            doc_id=f"{self.name}/{rel}",
            title=entry.get("title") or _title_from_name(path),
            source_path=str(path),
            organisation=entry.get("organisation", "Unknown organisation"),
            doc_type=entry.get("type", "document"),
            audience=entry.get("audience", "all"),
            date=str(entry.get("date", "")),
            source_url=entry.get("source_url", ""),
            corpus=self.name,
        )


def load_manifest(root: Path, name: str | None = None) -> Manifest:
    """Read `root/sources.toml` if present; a broken manifest is an error, not a silent default."""
    path = root / MANIFEST_NAME
    data: dict = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise LoadError(f"{path}: invalid TOML: {exc}") from exc
    corpus = data.get("corpus", {})
    files = {}
    for entry in data.get("documents", []):
        if "file" not in entry:
            raise LoadError(f"{path}: a [[documents]] entry has no 'file'")
        files[entry["file"]] = {k: str(v) for k, v in entry.items() if k != "file"}
    return Manifest(
        name=name or corpus.get("name") or root.name,
        description=corpus.get("description", ""),
        defaults={k: str(v) for k, v in data.get("defaults", {}).items()},
        files=files,
        starters={k: list(v) for k, v in data.get("starters", {}).items()},
        onboarding=[OnboardingTopic(t["topic"], t["question"]) for t in data.get("onboarding", [])],
    )


def corpus_files(root: Path) -> list[Path]:
    """Every file under `root` in a stable order (hidden files and the manifest skipped).

    Unsupported types are listed too, so that the run reports them instead of hiding them.
    """
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name != MANIFEST_NAME
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.name
