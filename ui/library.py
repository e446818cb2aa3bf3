"""Library-tab callbacks: the documents a role may read; upload, delete and re-index for admins.

Uploads and deletions go through `assistant.uploads`, as the API's do, so a file added
on this page gets the same checks and lands in the same `uploads` corpus, with the same
manifest and rollback, as one sent to `POST /api/documents`. The admin check is made here on every call from the key's
Principal — hiding the controls from other roles is only a courtesy.

Problems come back as a message beside the control that caused them (never as an error
overlay over the table), and the destructive steps — remove, re-index — are two-step: the
first button only asks (`confirm_delete`, `confirm_reindex`), the confirmation acts.
"""

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.access import AuthError, known_audiences
from assistant.uploads import UPLOADS, Upload, UploadRejected, check_uploads, ingest_uploads, remove_document
from assistant.models import Principal
from assistant.upload_guess import guess
from ui import render
from ui.handlers import TabHandlers
from ui.tables import table_html

log = logging.getLogger(__name__)

DOC_HEADERS = ["Title", "Organisation", "Type", "Audience", "Pages", "Chunks", "Ingested", "Document ID"]
RESULT_HEADERS = ["File", "Status", "Chunks", "Reason"]
META_HEADERS = ["File", "Title", "Type"]
AUDIENCE_LABELS = {"all": "Everyone", "staff": "Staff and governors", "governors": "Governors only"}


class LibraryHandlers(TabHandlers):
    def audience_choices(self) -> list[tuple[str, str]]:
        known = known_audiences(self.settings)
        return [(f"{AUDIENCE_LABELS.get(a, a)} ({a})", a) for a in known]

    # -- reading -------------------------------------------------------------------------------
    def refresh(self, key: str, q: str = "") -> tuple:
        """(role badge, documents table, admin panel visibility, delete choices) for this key."""
        try:
            principal = self.principal(key)
        except AuthError as exc:
            return (render.role_html(None, f"{exc} — you can't ask or browse until it is fixed."),
                    self.docs_html([]), gr.update(visible=False), gr.update(choices=[], value=None))
        rows = self._rows(principal)
        return (render.role_html(principal.role, default=not (key or "").strip()), self.docs_html(rows, q),
                gr.update(visible=principal.is_admin), self._delete_choices(rows if principal.is_admin else []))

    def search(self, key: str, q: str) -> str:
        try:
            return self.docs_html(self._rows(self.principal(key)), q)
        except AuthError:
            return self.docs_html([])

    @staticmethod
    def docs_html(rows: list[list[Any]], q: str = "") -> str:
        words = (q or "").lower().split()
        shown = [r for r in rows if all(w in " ".join(map(str, r)).lower() for w in words)]
        caption = "Documents you can read" + (f" matching “{q.strip()}”" if words else "")
        return table_html(DOC_HEADERS, shown, caption, empty="No documents match." if rows else "No documents.",
                          css_class="ethos-docs")

    @staticmethod
    def results_html(results: list[list[Any]]) -> str:
        return table_html(RESULT_HEADERS, results, "Results of the last change", empty="", css_class="ethos-res")

    def _rows(self, principal: Principal) -> list[list[Any]]:
        return [[d.title, d.organisation, d.doc_type, d.audience, d.pages, d.chunks,
                 d.ingested_at[:16].replace("T", " "), d.doc_id] for d in self.kb.documents(principal)]

    @staticmethod
    def _delete_choices(rows: list[list[Any]]) -> dict:
        return gr.update(choices=[(f"{r[0]} — {r[7]}", r[7]) for r in rows], value=None)

    def _admin(self, key: str) -> Principal:
        """The key's principal if it is an admin's; raises NotAllowed with the message to show."""
        try:
            principal = self.principal(key)
        except AuthError as exc:
            raise NotAllowed(f"⚠ {exc}. Check the access key at the top of the page.") from exc
        if not principal.is_admin:
            raise NotAllowed("⚠ Only an admin can change the library. Enter an admin key at the top of the page.")
        return principal

    # -- changing ------------------------------------------------------------------------------
    @staticmethod
    def guess_meta(files: list[str] | None) -> dict:
        """The chosen files' titles and types as the documents themselves suggest, for the admin to edit."""
        rows = [[Path(f).name, *guess(Path(f))] for f in files or []]
        return gr.update(value=rows or [["", "", ""]], visible=bool(rows))

    def upload(self, files: list[str] | None, audience: str, organisation: str, key: str,
               meta_rows: list[list[str]] | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
        """Save and index the files, each with its (edited) title and type; returns (status, per-file
        results, documents, delete choices, file box)."""
        keep = gr.update()
        try:
            principal = self._admin(key)
        except NotAllowed as exc:
            return str(exc), keep, keep, keep, keep
        if not files:
            return ("⚠ No files to add. Choose some first; if they are still uploading, wait until each is "
                    "listed with its size.", keep, keep, keep, keep)
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
            chosen = {str(r[0]): {"title": str(r[1]).strip(), "type": str(r[2]).strip()}
                      for r in meta_rows or [] if len(r) >= 3 and r[0]}
            for name, path in accepted:  # one at a time: each file has its own title and type
                own = {k: v for k, v in chosen.get(path.name, {}).items() if v}
                with path.open("rb") as handle:
                    for r in ingest_uploads(self.kb, self.settings, [(name, handle)], {**meta, **own}):
                        results.append([r.filename, r.status, r.chunks, r.reason])
        progress(1.0, desc="Done")
        rows = self._rows(principal)
        ok = sum(1 for r in results if r[1] == "ingested")
        status = f"✓ Added {ok} of {len(results)} file(s)." if ok else "⚠ No file was added; see the reasons below."
        return status, self.results_html(results), self.docs_html(rows), self._delete_choices(rows), None

    def confirm_delete(self, doc_id: str | None, key: str) -> tuple:
        """Step one of Remove: (status, confirmation row, its question). Nothing is removed yet."""
        hide = gr.update(visible=False)
        try:
            principal = self._admin(key)
        except NotAllowed as exc:
            return str(exc), hide, gr.update()
        if not doc_id:
            return "⚠ Choose a document to remove first.", hide, gr.update()
        doc = self.kb.document(doc_id, principal)
        name = f"“{doc.title}” ({doc_id})" if doc else doc_id
        question = (f"**Remove {render.esc(name)}?** Nobody will be able to ask about it or open its pages. "
                    "Uploaded files are deleted for good.")
        return "", gr.update(visible=True), question

    def delete(self, doc_id: str | None, key: str) -> tuple:
        """Step two of Remove: (status, documents, delete choices, confirmation row)."""
        keep, hide = gr.update(), gr.update(visible=False)
        try:
            principal = self._admin(key)
        except NotAllowed as exc:
            return str(exc), keep, keep, hide
        if not doc_id:
            return "⚠ Choose a document to remove first.", keep, keep, hide
        if remove_document(self.kb, self.settings, doc_id):
            status = f"✓ Removed {doc_id}."
            if not doc_id.startswith(f"{UPLOADS}/"):
                status += " It comes back on the next re-index unless its file is removed from the corpus folder."
        else:
            status = f"⚠ No document '{doc_id}'"
        rows = self._rows(principal)
        return status, self.docs_html(rows), self._delete_choices(rows), hide

    def confirm_reindex(self, key: str) -> tuple:
        """Step one of Re-index: (status, confirmation row)."""
        try:
            self._admin(key)
        except NotAllowed as exc:
            return str(exc), gr.update(visible=False)
        return "", gr.update(visible=True)

    def reindex(self, key: str, progress: gr.Progress = gr.Progress()) -> tuple:
        """Bring the index in line with the corpus folder: (status, results, documents, choices, confirm row)."""
        keep, hide = gr.update(), gr.update(visible=False)
        try:
            principal = self._admin(key)
        except NotAllowed as exc:
            return str(exc), keep, keep, keep, hide
        progress(0.1, desc=f"Re-indexing {self.settings.corpus_dir}…")
        report = self.kb.ingest(Path(self.settings.corpus_dir), corpus=self.settings.corpus_name)
        progress(1.0, desc="Done")
        results = [[Path(f.path).name, f.status, f.chunks, f.reason] for f in report.files]
        rows = self._rows(principal)
        summary = (f"✓ Re-indexed {self.settings.corpus_dir} in {report.seconds:.1f} s: "
                   f"{report.count('ingested')} ingested, "
                   f"{report.count('unchanged')} unchanged, {report.count('removed')} removed, "
                   f"{report.count('failed')} failed.")
        return summary, self.results_html(results), self.docs_html(rows), self._delete_choices(rows), hide


class NotAllowed(Exception):
    """A library change this key may not make; its text is the message shown beside the button."""
