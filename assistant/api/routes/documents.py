"""Documents: list, page text for the source viewer, upload and delete (admin).

Upload mechanics (the `uploads` corpus, its manifest, rollback) live in `assistant.uploads`;
these handlers map its outcomes to HTTP.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile, status

from assistant.api.deps import AdminDep, KnowledgeDep, PrincipalDep, SettingsDep
from assistant.api.schemas import PageOut
from assistant.knowledge import DocumentInfo
from assistant.models import Filters
from assistant.uploads import Upload, UploadRejected, UploadResult, check_uploads, ingest_uploads, remove_document

REJECTED = {"empty": status.HTTP_400_BAD_REQUEST, "unsupported": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "too_large": status.HTTP_413_CONTENT_TOO_LARGE, "invalid": status.HTTP_400_BAD_REQUEST}
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
    try:
        names = check_uploads([Upload(f.filename or "", _size(f)) for f in files], settings, title, audience)
    except UploadRejected as exc:
        raise HTTPException(REJECTED[exc.kind], str(exc)) from exc
    meta = {k: v.strip() for k, v in
            {"title": title, "organisation": organisation, "type": doc_type, "audience": audience}.items()
            if v and v.strip()}
    results = ingest_uploads(kb, settings, [(n, f.file) for n, f in zip(names, files)], meta,
                             originals=[f.filename or n for n, f in zip(names, files)])
    if all(r.status == "failed" for r in results):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "No file could be read: "
                            + "; ".join(f"{r.filename}: {r.reason}" for r in results))
    return results


@router.delete("/{doc_id:path}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(doc_id: str, kb: KnowledgeDep, settings: SettingsDep, _admin: AdminDep) -> Response:
    """Remove a document from the index (and, for an upload, its file and manifest entry)."""
    if not remove_document(kb, settings, doc_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No document '{doc_id}'")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size
