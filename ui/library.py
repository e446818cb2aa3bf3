"""Library-tab callbacks: the documents a role may read; upload, delete and re-index for admins.

Uploads and deletions go through the API's own functions (`ingest_uploads`,
`delete_document` in `assistant.api.routes.documents`), so a file added on this page
lands in the same `uploads` corpus, with the same manifest and rollback, as one sent
to `POST /api/documents`. The admin check is made here on every call from the key's
Principal — hiding the controls from other roles is only a courtesy.
"""

import logging
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import HTTPException, UploadFile

from assistant.access import AuthError
from assistant.api.routes.documents import delete_document, ingest_uploads, safe_name
from assistant.models import Principal
from ingest.manifest import SUPPORTED_SUFFIXES
from ui import render
from ui.handlers import TabHandlers

log = logging.getLogger(__name__)

DOC_HEADERS = ["Title", "Organisation", "Type", "Audience", "Pages", "Chunks", "Ingested", "Document ID"]
RESULT_HEADERS = ["File", "Status", "Chunks", "Reason"]
AUDIENCE_LABELS = {"all": "Everyone", "staff": "Staff and governors", "governors": "Governors only"}


class LibraryHandlers(TabHandlers):
    def audience_choices(self) -> list[tuple[str, str]]:
        known = sorted({a for audiences in self.settings.role_audiences.values() for a in audiences})
        return [(f"{AUDIENCE_LABELS.get(a, a)} ({a})", a) for a in known]

    # -- reading -------------------------------------------------------------------------------
    def refresh(self, key: str) -> tuple:
        """(role badge, documents table, admin panel visibility, delete choices) for this key."""
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return (render.role_html(None, f"{exc} — you can't ask or browse until it is fixed."),
                    [], gr.update(visible=False), gr.update(choices=[], value=None))
        rows = self._rows(principal)
        return (render.role_html(principal.role, default=not (key or "").strip()), rows,
                gr.update(visible=principal.is_admin), self._delete_choices(rows if principal.is_admin else []))

    def _rows(self, principal: Principal) -> list[list[Any]]:
        return [[d.title, d.organisation, d.doc_type, d.audience, d.pages, d.chunks,
                 d.ingested_at[:16].replace("T", " "), d.doc_id] for d in self.kb.documents(principal)]

    @staticmethod
    def _delete_choices(rows: list[list[Any]]) -> dict:
        return gr.update(choices=[(f"{r[0]} — {r[7]}", r[7]) for r in rows], value=None)

    def _admin(self, key: str) -> Principal:
        try:
            principal = self.principal(key)
        except AuthError as exc:
            raise gr.Error(str(exc)) from exc
        if not principal.is_admin:
            raise gr.Error("Only an admin can change the library. Enter an admin key at the top of the page.")
        return principal

    # -- changing ------------------------------------------------------------------------------
    def upload(self, files: list[str] | None, audience: str, organisation: str, key: str,
               progress: gr.Progress = gr.Progress()) -> tuple:
        """Save and index the files; returns (per-file results, documents, delete choices, emptied file box)."""
        principal = self._admin(key)
        if not files:
            raise gr.Error("No files to add. Choose some first; if they are still uploading, wait until "
                           "each is listed with its size.")
        results, accepted = [], []
        limit = self.settings.max_upload_mb * 1024 * 1024
        for raw in files:
            path = Path(raw)
            name = safe_name(path.name)
            if Path(name).suffix not in SUPPORTED_SUFFIXES:
                supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
                results.append([path.name, "failed", 0, f"unsupported type; use {supported}"])
            elif path.stat().st_size > limit:
                results.append([path.name, "failed", 0, f"larger than {self.settings.max_upload_mb} MB"])
            elif name in {n for n, _ in accepted}:
                results.append([path.name, "failed", 0, "another file in this upload has the same name"])
            else:
                accepted.append((name, path))
        if accepted:
            progress(0.1, desc=f"Reading and indexing {len(accepted)} file(s)…")
            meta = {k: v.strip() for k, v in {"audience": audience, "organisation": organisation}.items()
                    if v and v.strip()}
            handles = [(name, UploadFile(file=path.open("rb"), filename=name)) for name, path in accepted]
            try:
                for r in ingest_uploads(self.kb, self.settings, handles, meta):
                    results.append([r.filename, r.status, r.chunks, r.reason])
            finally:
                for _, handle in handles:
                    handle.file.close()
        progress(1.0, desc="Done")
        rows = self._rows(principal)
        return results, rows, self._delete_choices(rows), None

    def delete(self, doc_id: str | None, key: str) -> tuple:
        principal = self._admin(key)
        if not doc_id:
            raise gr.Error("Choose a document to remove first.")
        try:
            delete_document(doc_id, self.kb, self.settings, principal)
            status = f"✓ Removed {doc_id}."
            if not doc_id.startswith("uploads/"):
                status += " It comes back on the next re-index unless its file is removed from the corpus folder."
        except HTTPException as exc:
            status = f"⚠ {exc.detail}"
        rows = self._rows(principal)
        return status, rows, self._delete_choices(rows)

    def reindex(self, key: str, progress: gr.Progress = gr.Progress()) -> tuple:
        """Bring the index in line with the corpus folder (new, changed and removed files)."""
        principal = self._admin(key)
        progress(0.1, desc=f"Re-indexing {self.settings.corpus_dir}…")
        report = self.kb.ingest(Path(self.settings.corpus_dir), corpus=self.settings.corpus_name)
        progress(1.0, desc="Done")
        results = [[Path(f.path).name, f.status, f.chunks, f.reason] for f in report.files]
        rows = self._rows(principal)
        summary = (f"✓ Re-indexed {self.settings.corpus_dir} in {report.seconds:.1f} s: "
                   f"{report.count('ingested')} ingested, "
                   f"{report.count('unchanged')} unchanged, {report.count('removed')} removed, "
                   f"{report.count('failed')} failed.")
        return summary, results, rows, self._delete_choices(rows)
