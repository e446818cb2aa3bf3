"""Documents: list, page text for the source viewer, upload and delete (admin).

Uploads become a corpus of their own, `uploads`, in `settings.data_dir/uploads`,
with a `sources.toml` kept beside the files so their metadata survives a re-ingest
(`ethos ingest data/uploads` gives the same documents as the API did).
"""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile, status

from assistant.api.deps import AdminDep, KnowledgeDep, PrincipalDep, SettingsDep
from assistant.api.schemas import PageOut, UploadResult
from assistant.knowledge import DocumentInfo
from assistant.knowledge import KnowledgeBase
from assistant.models import Filters
from ingest.manifest import MANIFEST_NAME, SUPPORTED_SUFFIXES, load_manifest
from ingest.settings import Settings

UPLOADS = "uploads"
_BACKUP = ".replaced"  # hidden, so the corpus scan skips it
_uploads_lock = threading.Lock()  # one upload/delete at a time rewrites files and manifest
router = APIRouter(prefix="/api/documents", tags=["documents"])

Strings = Annotated[list[str] | None, Query()]


@router.get("", response_model=list[DocumentInfo])
def list_documents(kb: KnowledgeDep, principal: PrincipalDep,
                   organisation: Strings = None, doc_type: Strings = None) -> list[DocumentInfo]:
    """Documents the caller may read, optionally filtered (repeat a parameter for several values)."""
    filters = Filters(organisation=organisation or None, doc_type=doc_type or None)
    return kb.documents(principal, filters)


@router.get("/{doc_id:path}/pages/{number}", response_model=PageOut)
def get_page(doc_id: str, number: int, kb: KnowledgeDep, principal: PrincipalDep) -> PageOut:
    """A page's full text; citation `start`/`end` offsets index into it. 404 if missing or forbidden."""
    page = kb.page(doc_id, number, principal)
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No page {number} in a document '{doc_id}' you can read")
    return PageOut(doc_id=doc_id, number=page.number, text=page.text)


@router.get("/{doc_id:path}", response_model=DocumentInfo)
def get_document(doc_id: str, kb: KnowledgeDep, principal: PrincipalDep) -> DocumentInfo:
    info = kb.document(doc_id, principal)
    if info is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No document '{doc_id}' you can read")
    return info


@router.post("", response_model=list[UploadResult],
             responses={413: {"description": "A file exceeds max_upload_mb"},
                        415: {"description": "Unsupported file type"},
                        422: {"description": "No file could be read"}})
def upload_documents(
    files: Annotated[list[UploadFile], File(description="One or more .pdf .docx .html .htm .md .markdown .txt")],
    kb: KnowledgeDep, settings: SettingsDep, _admin: AdminDep,
    title: Annotated[str | None, Form()] = None,
    organisation: Annotated[str | None, Form()] = None,
    doc_type: Annotated[str | None, Form()] = None,
    audience: Annotated[str | None, Form()] = None,
) -> list[UploadResult]:
    """Save and ingest files; 200 with a result per file, 422 only if every file failed to load."""
    names = _validate(files, settings, title, audience)
    meta = {k: v.strip() for k, v in
            {"title": title, "organisation": organisation, "type": doc_type, "audience": audience}.items()
            if v and v.strip()}
    results = ingest_uploads(kb, settings, list(zip(names, files)), meta)
    if all(r.status == "failed" for r in results):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "No file could be read: "
                            + "; ".join(f"{r.filename}: {r.reason}" for r in results))
    return results


@router.delete("/{doc_id:path}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(doc_id: str, kb: KnowledgeDep, settings: SettingsDep, _admin: AdminDep) -> Response:
    """Remove a document from the index (and, for an upload, its file and manifest entry)."""
    with _uploads_lock:
        if not kb.delete(doc_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No document '{doc_id}'")
        if doc_id.startswith(f"{UPLOADS}/"):
            root = uploads_dir(settings)
            name = doc_id.removeprefix(f"{UPLOADS}/")
            (root / name).unlink(missing_ok=True)
            _write_manifest(root, {k: v for k, v in _entries(root).items() if k != name})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- upload mechanics ---------------------------------------------------------------------


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


def _validate(files: list[UploadFile], settings: Settings, title: str | None, audience: str | None) -> list[str]:
    if not files:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "No files in the upload (form field 'files')")
    names = [safe_name(f.filename) for f in files]
    bad = [f.filename or "(unnamed)" for f, n in zip(files, names) if Path(n).suffix not in SUPPORTED_SUFFIXES]
    if bad:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"Unsupported file type: {', '.join(bad)}. Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    limit = settings.max_upload_mb * 1024 * 1024
    big = [f.filename or "(unnamed)" for f in files if _size(f) > limit]
    if big:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"Larger than {settings.max_upload_mb} MB: {', '.join(big)}")
    if len(set(names)) != len(names):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Two files in the upload have the same name")
    if title and len(files) > 1:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "A title can only be given when uploading one file")
    known = {a for audiences in settings.role_audiences.values() for a in audiences}
    if audience and audience.strip() not in known:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Unknown audience '{audience}'; use one of {sorted(known)}")
    return names


def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def ingest_uploads(kb: KnowledgeBase, settings: Settings, files: list[tuple[str, UploadFile]],
                   meta: dict[str, str]) -> list[UploadResult]:
    """Write files and manifest, ingest the uploads corpus, and undo whatever failed to load.

    A file that replaces an earlier upload is backed up first: if the new one cannot
    be read, the old file and its metadata come back, so the index stays as it was.
    """
    root = uploads_dir(settings)
    backup = root / _BACKUP
    with _uploads_lock:
        backup.mkdir(parents=True, exist_ok=True)
        entries = _entries(root)
        previous = {name: entries.get(name) for name, _ in files}
        for name, upload in files:
            target = root / name
            if target.exists():
                shutil.move(target, backup / name)
            upload.file.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out)
            entries[name] = {**(entries.get(name) or {}), **meta}
        _write_manifest(root, entries)
        try:
            report = kb.ingest(root, corpus=UPLOADS)
        except Exception:
            for name, _ in files:  # leave the folder as it was, then let the 500 handler log it
                _restore(root, backup, name, entries, previous[name])
            _write_manifest(root, entries)
            raise
        by_id = {f.doc_id: f for f in report.files}
        results = []
        for name, _ in files:
            found = by_id.get(f"{UPLOADS}/{name}")
            if found is None or found.status == "failed":
                reason = found.reason if found else "not ingested"
                _restore(root, backup, name, entries, previous[name])
                results.append(UploadResult(filename=name, doc_id=f"{UPLOADS}/{name}", status="failed", reason=reason))
            else:
                results.append(UploadResult(filename=name, doc_id=found.doc_id, status=found.status, chunks=found.chunks))
        _write_manifest(root, entries)
        shutil.rmtree(backup, ignore_errors=True)
    return results


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
