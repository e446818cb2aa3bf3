"""Uploaded documents: a corpus of their own, `uploads`, kept in `settings.data_dir/uploads`.

A `sources.toml` is kept beside the files so their metadata survives a re-ingest
(`ethos ingest data/uploads` gives the same documents as an upload did). The API and the
Library tab both call these functions, so a file added either way gets the same checks,
manifest entry and rollback; removing an uploaded document (they, or `ethos remove`) deletes
its stored file and manifest entry too, and only a file the document was read from. Errors are `UploadRejected` with a `kind` the caller maps to
its own terms (an HTTP status, a message on the page).
"""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from filelock import FileLock
from pydantic import BaseModel, Field

from assistant.access import known_audiences
from assistant.knowledge import KnowledgeBase
from ingest.documents import DocumentRepository
from ingest.manifest import MANIFEST_NAME, SUPPORTED_SUFFIXES, load_manifest
from ingest.settings import Settings

UPLOADS = "uploads"
_BACKUP = ".replaced"  # hidden, so the corpus scan skips it
_uploads_lock = threading.Lock()  # one upload/delete at a time rewrites files and manifest...
_LOCK_FILE = ".uploads.lock"  # ...in this process, and across processes (`ethos remove`) with this file
RejectKind = Literal["empty", "unsupported", "too_large", "invalid"]


class UploadRejected(ValueError):
    def __init__(self, kind: RejectKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class UploadResult(BaseModel):
    """What became of one uploaded file; also the API's response model."""

    filename: str = Field(description="The stored (sanitised, unique) file name")
    original_name: str = Field("", description="The name the file was uploaded with")
    doc_id: str
    status: Literal["ingested", "unchanged", "failed"]
    chunks: int = 0
    reason: str = ""


@dataclass
class Upload:
    """A file as offered: what `check_uploads` needs to accept or reject it."""

    name: str  # as the user called it; `check_uploads` returns the safe stored name
    size: int


def check_uploads(uploads: list[Upload], settings: Settings, title: str | None = None,
                  audience: str | None = None) -> list[str]:
    """The safe stored names, or UploadRejected for the first problem with the whole upload."""
    if not uploads:
        raise UploadRejected("empty", "No files in the upload")
    names = [safe_name(u.name) for u in uploads]
    bad = [u.name or "(unnamed)" for u, n in zip(uploads, names) if Path(n).suffix not in SUPPORTED_SUFFIXES]
    if bad:
        raise UploadRejected("unsupported", f"Unsupported file type: {', '.join(bad)}. "
                                            f"Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    big = [u.name or "(unnamed)" for u in uploads if u.size > settings.max_upload_mb * 1024 * 1024]
    if big:
        raise UploadRejected("too_large", f"Larger than {settings.max_upload_mb} MB: {', '.join(big)}")
    if len(set(names)) != len(names):
        raise UploadRejected("invalid", "Two files in the upload have the same name")
    if title and len(uploads) > 1:
        raise UploadRejected("invalid", "A title can only be given when uploading one file")
    known = set(known_audiences(settings))
    if audience and audience.strip() not in known:
        raise UploadRejected("invalid", f"Unknown audience '{audience}'; use one of {sorted(known)}")
    return names


def remove_document(kb: KnowledgeBase, settings: Settings, doc_id: str) -> bool:
    """Remove a document from the index (and, for an upload, its file and manifest entry)."""
    with _held(settings) as root:
        doc = kb.docs.get(doc_id)
        if not kb.delete(doc_id):
            return False
        _forget(root, doc_id, doc.source_path if doc is not None else "")
    return True


def forget_upload(settings: Settings, documents: DocumentRepository, doc_id: str, source_path: str) -> Path | None:
    """After another writer (`ethos remove`) removed `doc_id`: delete its uploaded file and manifest entry.

    `source_path` is what the document recorded before it went; `documents` is asked again under
    the uploads lock, so a file re-uploaded meanwhile under the same name stays.
    Returns the deleted file, or None when there was none of ours to delete."""
    with _held(settings) as root:
        if documents.exists(doc_id):
            return None
        return _forget(root, doc_id, source_path)


def forget_removed_uploads(settings: Settings, documents: DocumentRepository, removed: dict[str, str]) -> list[Path]:
    """Another server (over the same Chroma) removed documents: delete the files and manifest entries
    of those that were uploaded here, which that server cannot reach. Each is checked again under the
    uploads lock, so one re-uploaded meanwhile stays; a document uploaded elsewhere (its recorded
    source not this folder's file) leaves this folder alone."""
    gone = [forget_upload(settings, documents, doc_id, source) for doc_id, source in removed.items()
            if doc_id.startswith(f"{UPLOADS}/")]
    return [path for path in gone if path is not None]


def _forget(root: Path, doc_id: str, source_path: str) -> Path | None:
    """Delete the file of uploaded document `doc_id` and its manifest entry (uploads lock held).

    Only a plain upload name directly in the uploads folder, and only when it is the document's
    recorded source: an `uploads/...` id ingested from some other folder leaves every file alone."""
    name = doc_id.removeprefix(f"{UPLOADS}/")
    if not doc_id.startswith(f"{UPLOADS}/") or name != safe_name(name) or name in ("", MANIFEST_NAME):
        return None
    path = root / name
    if source_path and Path(source_path).resolve() != path.resolve():
        return None
    path.unlink(missing_ok=True)
    entries = _entries(root)
    if name in entries:
        _write_manifest(root, {k: v for k, v in entries.items() if k != name})
    return path


@contextmanager
def _held(settings: Settings) -> Iterator[Path]:
    """The uploads folder, with no other thread or process changing its files or manifest."""
    root = uploads_dir(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _uploads_lock, FileLock(str(settings.data_dir / _LOCK_FILE), timeout=settings.write_lock_timeout_s):
        yield root


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / UPLOADS


def safe_name(raw: str | None) -> str:
    """A file name that cannot leave the uploads folder: base name only, plain characters."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return name[:120]
    return f"{stem.rstrip('.-_')[:120] or 'upload'}.{suffix.lower()}"


def ingest_uploads(kb: KnowledgeBase, settings: Settings, files: list[tuple[str, BinaryIO]],
                   meta: dict[str, str], originals: list[str] | None = None) -> list[UploadResult]:
    """Write files and manifest, ingest the uploads corpus, and undo whatever failed to load.

    Stored names are unique: a safe name already taken by a file uploaded under another
    original name gets a numbered one ("x-2.pdf"), so `../../etc/x.pdf`, `．．／ｘ.pdf` and
    `x.pdf` are three documents. Only the same original name replaces (a new version), and
    the result says so. A file that replaces an earlier upload is backed up first: if the new
    one cannot be read, the old file and its metadata come back, so the index stays as it was.
    """
    originals = [printable(o) for o in originals] if originals else [name for name, _ in files]
    with _held(settings) as root:
        backup = root / _BACKUP
        backup.mkdir(parents=True, exist_ok=True)
        entries = _entries(root)
        names = _unique_names(root, entries, [name for name, _ in files], originals)
        files = [(final, upload) for final, (_, upload) in zip(names, files)]
        previous = {name: entries.get(name) for name, _ in files}
        for (name, upload), original in zip(files, originals):
            target = root / name
            if target.exists():
                shutil.move(target, backup / name)
            upload.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload, out)
            entries[name] = {**(entries.get(name) or {}), **meta, "original_name": original}
        _write_manifest(root, entries)
        try:
            # Only the files just uploaded, not the whole folder: with several instances over one
            # Chroma, a folder re-sync would bring back an upload another instance has deleted.
            reported = [f for name, _ in files for f in kb.ingest(root / name, corpus=UPLOADS).files]
        except Exception:
            for name, _ in files:  # leave the folder as it was, then let the 500 handler log it
                _restore(root, backup, name, entries, previous[name])
            _write_manifest(root, entries)
            raise
        by_id = {f.doc_id: f for f in reported}
        results = []
        for (name, _), original in zip(files, originals):
            found = by_id.get(f"{UPLOADS}/{name}")
            if found is None or found.status == "failed":
                reason = found.reason if found else "not ingested"
                _restore(root, backup, name, entries, previous[name])
                results.append(UploadResult(filename=name, original_name=original, doc_id=f"{UPLOADS}/{name}",
                                            status="failed", reason=reason))
            else:
                note = "replaced the earlier upload of the same name" if previous[name] is not None else ""
                results.append(UploadResult(filename=name, original_name=original, doc_id=found.doc_id,
                                            status=found.status, chunks=found.chunks, reason=note))
        _write_manifest(root, entries)
        shutil.rmtree(backup, ignore_errors=True)
    return results


def printable(raw: str | None) -> str:
    """A user-given name as storable text (lone surrogates and controls escaped), for metadata."""
    text = (raw or "").encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:255]


def _unique_names(root: Path, entries: dict[str, dict[str, str]], names: list[str],
                  originals: list[str]) -> list[str]:
    """Each safe name, or a numbered variant when another original name already holds it."""
    taken: set[str] = set()
    out = []
    for name, original in zip(names, originals):
        final, n = name, 1
        stem, dot, suffix = name.rpartition(".")
        while final in taken or ((root / final).exists() or final in entries) and \
                (entries.get(final) or {}).get("original_name", final) != original:
            n += 1
            final = f"{stem}-{n}.{suffix}" if dot else f"{name}-{n}"
        taken.add(final)
        out.append(final)
    return out


def _restore(root: Path, backup: Path, name: str, entries: dict, previous: dict | None) -> None:
    (root / name).unlink(missing_ok=True)
    if (backup / name).exists():
        shutil.move(backup / name, root / name)
    if previous is None:
        entries.pop(name, None)
    else:
        entries[name] = previous


def _entries(root: Path) -> dict[str, dict[str, str]]:
    return dict(load_manifest(root, UPLOADS).files) if (root / MANIFEST_NAME).exists() else {}


def _write_manifest(root: Path, entries: dict[str, dict[str, str]]) -> None:
    lines = ["# Documents uploaded through the Ethos API; edited by it on upload and delete.",
             "[corpus]", f"name = {_toml(UPLOADS)}", ""]
    for name in sorted(entries):
        lines += ["[[documents]]", f"file = {_toml(name)}"]
        lines += [f"{key} = {_toml(value)}" for key, value in sorted(entries[name].items())]
        lines.append("")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(root / MANIFEST_NAME)


def _toml(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
