"""The corpus manifest (`sources.toml`): per-file metadata, persona starters, onboarding path.

A trust describes its own documents here, so nothing about one trust is hard-coded
in the product. Every field is optional: a folder of files with no manifest still
ingests, with titles taken from file names.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.manifest_schema import DEFAULT_AUDIENCES, validate_manifest
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
        try:
            relative = path.relative_to(root)
        except ValueError:  # one side reached through a symlinked folder (e.g. a mounted share)
            relative = path.resolve().relative_to(root.resolve())
        rel = display_path(relative.as_posix())  # a non-UTF-8 name gets a \xNN id
        entry = {**self.defaults, **self.files.get(rel, {})}
        return DocumentMeta(
            doc_id=f"{self.name}/{rel}",
            title=entry.get("title") or _title_from_name(Path(display_path(path.name))),
            source_path=display_path(str(path)),
            organisation=entry.get("organisation", "Unknown organisation"),
            doc_type=entry.get("type", "document"),
            audience=entry.get("audience", "all"),
            date=str(entry.get("date", "")),
            source_url=entry.get("source_url", ""),
            corpus=self.name,
        )


def load_manifest(root: Path, name: str | None = None, audiences: frozenset[str] | None = None) -> Manifest:
    """Read `root/sources.toml` if present; a broken manifest is an error naming file and key.

    `audiences` are the values `audience` may take (every audience some role reads); the
    default is the built-in `all`, `staff`, `governors`.
    """
    path = root / MANIFEST_NAME
    data: dict = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise LoadError(f"{path}: invalid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise LoadError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    parsed = validate_manifest(data, path, audiences or DEFAULT_AUDIENCES)
    files = {d.file: {k: str(v) for k, v in d.model_dump(exclude_none=True).items() if k != "file"}
             for d in parsed.documents}
    return Manifest(
        name=name or parsed.corpus.name or root.name,
        description=parsed.corpus.description,
        defaults={k: str(v) for k, v in parsed.defaults.model_dump(exclude_none=True).items()},
        files=files,
        starters={k: list(v) for k, v in parsed.starters.items()},
        onboarding=[OnboardingTopic(t.topic, t.question) for t in parsed.onboarding],
    )


def display_path(text: str) -> str:
    """A path as valid UTF-8 text: bytes that are not UTF-8 (surrogate escapes) become `\\xNN`.

    Chroma, JSON and terminals need real Unicode; the file itself is still opened by its Path.
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass
class CorpusWalk:
    files: list[Path]  # regular files (or links to files) inside the corpus folder, sorted
    skipped: list[tuple[str, str]]  # (relative path, why) for everything else


def walk_corpus(root: Path) -> CorpusWalk:
    """Every file under `root`, never leaving it, and a reason for each entry left out.

    Symbolic links are resolved: one pointing outside the folder (or nowhere) is refused, one
    to a file inside is read; links to folders are not followed (a loop, or the same files
    twice). Hidden entries (and everything under a hidden folder, reported once), FIFOs,
    sockets and devices are skipped. Unsupported types are listed as files, so the run
    reports them instead of hiding them.
    """
    if root.is_file():
        return CorpusWalk([root], [])
    base = root.resolve()
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for current, dirs, names in os.walk(base, followlinks=False):
        here = Path(current)
        for d in sorted(dirs):
            entry = here / d
            rel = display_path(entry.relative_to(base).as_posix())
            if d.startswith("."):
                skipped.append((rel + "/", "hidden folder (not read)"))
            elif entry.is_symlink():
                target = entry.resolve()
                where = "inside" if target.is_relative_to(base) else "outside"
                skipped.append((rel, f"link to a folder {where} the corpus folder (links to folders are not followed)"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(names):
            entry = here / name
            rel = display_path(entry.relative_to(base).as_posix())
            if current == str(base) and name == MANIFEST_NAME:
                continue
            why = _skip_reason(entry, base, name)
            if why:
                skipped.append((rel, why))
            else:
                files.append(entry)
    return CorpusWalk(sorted(files), sorted(skipped))


def _skip_reason(entry: Path, base: Path, name: str) -> str:
    if name.startswith("."):
        return "hidden file (not read)"
    if entry.is_symlink():
        target = entry.resolve()
        if not target.is_relative_to(base):
            return "link to a file outside the corpus folder (refused)"
        if not target.exists():
            return "broken link (its target does not exist)"
    try:
        mode = entry.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device or special file"
        return f"not a regular file ({kind})"
    return ""


def corpus_files(root: Path) -> list[Path]:
    """The files `walk_corpus` would read (see there for what is skipped and why)."""
    return walk_corpus(root).files


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.name
