"""A title and a document type for an upload, guessed from the document itself, for a person to check.

Without a manifest entry an upload is titled from its file name ("scan0042") and typed
"document", which is what every answer then cites. The document usually says better: a PDF's
or Word file's own title property, else its first heading, else its first line. The type comes
from words that name the kind of document ("policy", "minutes", "strategy"…) in that title,
then in the opening text. The Library tab shows both before anything is ingested, editable,
and sends what the admin settles on as the file's manifest `title` and `type`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from ingest.loaders import LoadError, load_document
from ingest.models import DocumentMeta

TITLE_CHARS = 120
OPENING_CHARS = 3000
# the first that matches wins, so the specific kinds come before the general ones
TYPES: list[tuple[str, str]] = [
    ("minutes", r"\bminutes\b"),
    ("terms of reference", r"\bterms of reference\b"),
    ("agenda", r"\bagenda\b"),
    ("board paper", r"\bboard paper\b"),
    ("policy", r"\bpolicy\b|\bpolicies\b"),
    ("procedure", r"\bprocedures?\b"),
    ("strategy", r"\bstrateg(?:y|ies|ic)\b"),
    ("plan", r"\bplan\b|\bplanning\b"),
    ("report", r"\breport\b"),
    ("handbook", r"\bhandbook\b|\bguidance\b"),
    ("prospectus", r"\bprospectus\b"),
    ("newsletter", r"\bnewsletter\b"),
    ("vision", r"\bvision\b|\bvalues\b|\bmission\b"),
]
_JUNK_TITLE = re.compile(r"^(?:untitled|\(anonymous\)|anonymous|document\d*|microsoft word\b.*|"
                         r".*\.(?:docx?|pdf|txt|md))$", re.I)


def guess(path: Path, display_name: str | None = None) -> tuple[str, str]:
    """(title, type) for the file at `path`; the file name's stem and "document" when nothing better shows."""
    name = display_name or path.name
    fallback = Path(name).stem.replace("_", " ").replace("-", " ").strip() or name
    try:
        doc = load_document(path, DocumentMeta(doc_id=name, title=fallback, source_path=str(path)))
    except LoadError:
        return fallback, "document"
    title = _property_title(path, doc.format) or _first_heading(doc) or fallback
    title = " ".join(title.split())[:TITLE_CHARS]
    return title, guess_type(title, doc.text[:OPENING_CHARS])


def guess_type(title: str, opening: str = "") -> str:
    for text in (title, opening):
        for kind, pattern in TYPES:
            if re.search(pattern, text, re.I):
                return kind
    return "document"


def _property_title(path: Path, fmt: str) -> str:
    """The title a PDF or Word file carries in its properties, unless it is a placeholder."""
    title = ""
    try:
        if fmt == "pdf":
            from pypdf import PdfReader

            title = (PdfReader(io.BytesIO(path.read_bytes())).metadata or {}).get("/Title") or ""
        elif fmt == "docx":
            import docx

            title = docx.Document(str(path)).core_properties.title or ""
    except Exception:  # noqa: BLE001 - a damaged property block just means no title from it
        return ""
    title = " ".join(str(title).split())
    return "" if not title or _JUNK_TITLE.match(title) else title


def _first_heading(doc) -> str:
    for page in doc.pages:
        for block in page.blocks:
            if block.kind == "heading" and block.text.strip():
                return block.text.strip().lstrip("#").strip()
    for page in doc.pages:
        for line in page.text.splitlines():
            if len(line.strip()) >= 4:
                return line.strip()
    return ""
