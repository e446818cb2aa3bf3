"""The shape of `sources.toml`, checked with pydantic: a bad value names its file and key.

The manifest was read from dicts by string key, so a misspelt `audiance = "governors"` was
silently ignored and the document defaulted to `all`: readable by every role. Validation
here refuses that with the file, the entry and the key. Entries stay open to keys other
features read (`notice`, the review keys `last_reviewed`, `next_review`, `review_cycle`,
`reviewed_by`, …), but a key that is a near-miss of a known one is an error, not a new key.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.models import LoadError

Scalar = str | int | float | bool | dt.date | dt.datetime
KNOWN_ENTRY_KEYS = ("file", "title", "organisation", "type", "audience", "date", "source_url", "original_name",
                    "notice", "last_reviewed", "next_review", "review_cycle", "reviewed_by")
DEFAULT_AUDIENCES = frozenset({"all", "staff", "governors"})


def _near_misses(keys: list[str], known: tuple[str, ...]) -> list[str]:
    out = []
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        if close:
            out.append(f"unknown key '{key}' (did you mean '{close[0]}'?)")
    return out


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str | None = None
    organisation: str | None = None
    type: str | None = None
    audience: str | None = None
    date: str | dt.date | None = None
    source_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            problems = _near_misses(list(data), KNOWN_ENTRY_KEYS)
            bad = [k for k, v in data.items() if not isinstance(v, Scalar)]
            problems += [f"'{k}' must be a single value, not a table or list" for k in bad]
            if problems:
                raise ValueError("; ".join(problems))
        return data


class DocumentEntry(_Entry):
    file: str = Field(min_length=1)


class CorpusTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str = ""


class OnboardingEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str
    question: str


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corpus: CorpusTable = Field(default_factory=CorpusTable)
    defaults: _Entry = Field(default_factory=_Entry)
    documents: list[DocumentEntry] = Field(default_factory=list)
    starters: dict[str, list[str]] = Field(default_factory=dict)
    onboarding: list[OnboardingEntry] = Field(default_factory=list)

    @field_validator("documents")
    @classmethod
    def _unique(cls, documents: list[DocumentEntry]) -> list[DocumentEntry]:
        seen: set[str] = set()
        for d in documents:
            if d.file in seen:
                raise ValueError(f"'{d.file}' has two [[documents]] entries")
            seen.add(d.file)
        return documents


def validate_manifest(data: dict, path: Path, audiences: frozenset[str] = DEFAULT_AUDIENCES) -> ManifestFile:
    """The parsed manifest, or a LoadError naming the file, the entry and the key."""
    try:
        parsed = ManifestFile.model_validate(data)
    except ValidationError as exc:
        raise LoadError(f"{path}: " + "; ".join(_describe(e, data) for e in exc.errors())) from exc
    for where, entry in [("[defaults]", parsed.defaults)] + [
            (f"[[documents]] '{d.file}'", d) for d in parsed.documents]:
        if entry.audience is not None and entry.audience not in audiences:
            raise LoadError(f"{path}: {where}: audience = '{entry.audience}' is not one of {sorted(audiences)}")
    return parsed


def _describe(err: dict, data: dict) -> str:
    loc = list(err.get("loc", ()))
    where = ".".join(str(p) for p in loc) or "(top level)"
    if len(loc) >= 2 and loc[0] == "documents" and isinstance(loc[1], int):
        try:
            file = data["documents"][loc[1]].get("file", "?")
        except (KeyError, IndexError, AttributeError):
            file = "?"
        rest = ".".join(str(p) for p in loc[2:])
        where = f"[[documents]] #{loc[1] + 1} (file '{file}')" + (f", key '{rest}'" if rest else "")
    elif loc and err.get("type") == "extra_forbidden":
        where = f"unknown key '{where}'"
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}"
