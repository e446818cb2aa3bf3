"""Library-tab callbacks: the documents a role may read; upload, delete and re-index for admins.

Uploads and deletions go through `assistant.uploads`, as the API's do, so a file added
on this page gets the same checks and lands in the same `uploads` corpus, with the same
manifest and rollback, as one sent to `POST /api/documents`. The admin check is made here on every call from the key's
Principal — hiding the controls from other roles is only a courtesy.
"""

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.access import AuthError
from assistant.uploads import UPLOADS, Upload, UploadRejected, check_uploads, ingest_uploads, remove_document
from assistant.models import Principal
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
        for raw in files:  # each file is checked on its own: one bad file does not stop the rest
            path = Path(raw)
            try:
                [name] = check_uploads([Upload(path.name, path.stat().st_size)], self.settings)
            except UploadRejected as exc:
                results.append([path.name, "failed", 0, str(exc)])
                continue
            if name in {n for n, _ in accepted}:
                results.append([path.name, "failed", 0, "another file in this upload has the same name"])
            else:
                accepted.append((name, path))
        if accepted:
            progress(0.1, desc=f"Reading and indexing {len(accepted)} file(s)…")
            meta = {k: v.strip() for k, v in {"audience": audience, "organisation": organisation}.items()
                    if v and v.strip()}
            handles = [(name, path.open("rb")) for name, path in accepted]
            try:
                for r in ingest_uploads(self.kb, self.settings, handles, meta):
                    results.append([r.filename, r.status, r.chunks, r.reason])
            finally:
                for _, handle in handles:
                    handle.close()
        progress(1.0, desc="Done")
        rows = self._rows(principal)
        return results, rows, self._delete_choices(rows), None

    def delete(self, doc_id: str | None, key: str) -> tuple:
        principal = self._admin(key)
        if not doc_id:
            raise gr.Error("Choose a document to remove first.")
        if remove_document(self.kb, self.settings, doc_id):
            status = f"✓ Removed {doc_id}."
            if not doc_id.startswith(f"{UPLOADS}/"):
                status += " It comes back on the next re-index unless its file is removed from the corpus folder."
        else:
            status = f"⚠ No document '{doc_id}'"
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
