"""Turn one file into a `Document`, checking that the file really is what its name says.

Trust websites hand out HTML error pages saved as ".pdf", Word files renamed to
".docx" from ".doc", and zips of spreadsheets. Loading those by suffix would
index junk or crash deep inside a parser, so the content is sniffed first:
a binary format (PDF, DOCX) must really be that format, or the file fails with
a message saying what it looks like instead. Text formats are interchangeable
where that is safe: a ".txt" that is really an HTML page is loaded as HTML.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from ingest.loaders.docx import load_docx
from ingest.loaders.encoding import binary_offset, wide_encoding
from ingest.loaders.html import load_html
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import decode_text, load_markdown, load_plain
from ingest.models import Document, DocumentMeta, LoadError, Page

__all__ = ["load_document", "sniff", "FORMAT_BY_SUFFIX"]

FORMAT_BY_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}

_LOADERS: dict[str, Callable[[bytes, str], list[Page]]] = {"pdf": load_pdf, "docx": load_docx}
_TEXT_LOADERS: dict[str, Callable[[str, str], list[Page]]] = {
    "html": load_html,
    "markdown": lambda text, name: load_markdown(text).build(),
    "text": lambda text, name: load_plain(text).build(),
}

_DESCRIBE = {
    "pdf": "a PDF",
    "docx": "a Word document",
    "xlsx": "an Excel spreadsheet",
    "pptx": "a PowerPoint presentation",
    "zip": "a zip archive",
    "ole": "a legacy Office file (.doc/.xls/.ppt)",
    "image": "an image",
    "html": "an HTML page",
    "text": "plain text",
    "binary": "binary data",
}


def sniff(data: bytes) -> str:
    """What the bytes really are: pdf, docx, xlsx, pptx, zip, ole, image, html, text or binary."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "zip"
        for part, kind in (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx")):
            if part in names:
                return kind
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")) or data[8:12] == b"WEBP":
        return "image"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and wide_encoding(head) is None:
        return "binary"
    sample = decode_text(head)
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\t\f")
    if sample and controls / len(sample) > 0.05:
        return "binary"
    if re.search(r"<!doctype html|<html[\s>]|<body[\s>]|<head[\s>]", sample[:2048], re.IGNORECASE):
        return "html"
    return "text"


def _real_format(name: str, claimed: str, kind: str) -> str:
    """The format to load `name` as, or a LoadError when its content contradicts its name."""
    if claimed in ("pdf", "docx"):
        if kind == claimed:
            return claimed
        hint = "; save it as .docx" if claimed == "docx" and kind == "ole" else ""
        label = "a PDF" if claimed == "pdf" else "a Word (.docx) document"
        raise LoadError(f"{name} is not {label} (looks like {_DESCRIBE[kind]}){hint}")
    if kind in ("html", "text"):
        return "html" if kind == "html" or claimed == "html" else claimed
    raise LoadError(f"{name} is not a text file (looks like {_DESCRIBE[kind]})")


def load_document(path: Path, meta: DocumentMeta) -> Document:
    """Load one file as a Document; any failure is a LoadError with a user-facing message."""
    name = path.name
    claimed = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if claimed is None:
        supported = ", ".join(sorted(FORMAT_BY_SUFFIX))
        raise LoadError(f"{name}: unsupported file type '{path.suffix or '(none)'}' (supported: {supported})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise LoadError(f"{name}: the file is empty (no text)")
    fmt = _real_format(name, claimed, sniff(data))
    if fmt in _TEXT_LOADERS:
        text = decode_text(data)
        if (offset := binary_offset(text)) is not None:  # the sniff saw only the first 4 KB
            raise LoadError(f"{name}: not a text file: it turns into binary data after {offset:,} characters "
                            "(a damaged or truncated download?)")
        pages = _TEXT_LOADERS[fmt](text, name)
    else:
        pages = _LOADERS[fmt](data, name)
    if not pages:
        raise LoadError(f"{name}: no text found in the file")
    return Document(meta=meta, pages=pages, file_hash=hashlib.sha256(data).hexdigest(), format=fmt)
