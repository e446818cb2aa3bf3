"""Plain text and Markdown loaders.

Published strategy documents often reach us as text scraped from a web page: one
paragraph per line, headings as bare short lines, bullets as "•" or "-", and the
site's own boilerplate ("Download Presentation", disclaimers, cookie notices)
mixed in. Nothing marks structure explicitly, so structure is guessed from the
shape of each line with the conservative rules in textrules.py (shared with the
PDF, HTML and DOCX loaders); this module only walks the lines and builds blocks.
Markdown marks its structure, so it is read from the markup instead.
"""

from __future__ import annotations

import re

from ingest.loaders.textrules import (
    QUOTES,
    HeadingLevels,
    clean_line,
    ends_sentence,
    heading_style,
    is_boilerplate,
    join_wrapped,
    list_marker,
    table_row_text,
)
from ingest.loaders.encoding import decode
from ingest.models import DocumentBuilder

# -- decoding -----------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes to text with the file's own encoding (see `ingest.loaders.encoding`); never fails."""
    return decode(data)


# -- plain text ---------------------------------------------------------------------


def load_plain(text: str) -> DocumentBuilder:
    """Plain text: one paragraph per line (wrapped lines rejoined), guessed headings and lists."""
    b, levels = DocumentBuilder(), HeadingLevels()
    lines = ["" if is_boilerplate(x) else x for x in map(clean_line, text.split("\n"))]
    kind, buf, prev = "", [], ""  # the open block and the last non-blank line
    following, nxt = [""] * len(lines), ""  # the next non-blank line after each line
    for i in range(len(lines) - 1, -1, -1):
        following[i], nxt = nxt, lines[i] or nxt

    def flush() -> None:
        nonlocal kind, buf
        if kind == "list_item":
            for item in re.split(r"\s+•\s+", join_wrapped(buf)):  # "- a • b": two items
                b.list_item(item)
        elif kind == "paragraph":
            b.paragraph(join_wrapped(buf))
        if buf:
            levels.content()
        kind, buf = "", []

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        marker = list_marker(line)
        style = heading_style(line)
        if style == "num" and (list_marker(following[i]) or list_marker(prev)):
            style = None  # "1. Short item" inside a numbered list is an item
        if prev and prev[0] in QUOTES and len(line.split()) <= 6:
            style = None  # "Malala Yousafzai" under a quotation is an attribution
        if buf and not ends_sentence(buf[-1]) and line[0].islower() and not marker:
            buf.append(line)  # a hard-wrapped line
        elif style:
            flush()
            b.heading(line, levels.level(style, line))
        else:
            flush()
            kind, buf = ("list_item", [marker[1]]) if marker else ("paragraph", [line])
        prev = line
    flush()
    return b


# -- markdown --------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")  # closing #s are cut in `_heading_text` (a lazy
# `(.*?)\s*#*\s*$` retried the trailing whitespace at every position: quadratic)
_MD_ITEM = re.compile(r"^(\s*)(?:[-*+•]|(\d{1,3})[.)])\s+(.*)$")
# Linear by construction: no part of a pattern can scan past the next delimiter of its own kind
# (a bracket, a parenthesis, a star), so a failed match costs the distance to that delimiter and
# each character is rescanned a bounded number of times. The old `(.+?)` forms rescanned the rest
# of the line from every opener: "*a " * 8000 took 20 s and "![" * 8000 took 86 s.
_INLINE = [
    (re.compile(r"!\[([^\[\]]*)\]\([^()]*\)"), r"\1"),
    (re.compile(r"\[([^\[\]]+)\]\([^()]*\)"), r"\1"),
    (re.compile(r"\*\*((?:[^*]|\*(?!\*))+)\*\*|__((?:[^_]|_(?!_))+)__"), lambda m: m.group(1) or m.group(2)),
    (re.compile(r"(?<![\w*])\*(?![\s*])([^*]*[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"<br\s*/?>", re.I), " "),
]


def _md_inline(text: str) -> str:
    for rx, rep in _INLINE:
        text = rx.sub(rep, text)
    return clean_line(text)


def _heading_text(text: str) -> str:
    """An ATX heading's text without its optional closing run of '#'."""
    text = text.rstrip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1].isspace()) else text


def _md_cells(line: str) -> list[str]:
    return [_md_inline(c) for c in line.strip().strip("|").split("|")]


def load_markdown(text: str) -> DocumentBuilder:
    """Markdown: '#' and underlined headings, '-', '*', '+', '•', '1.' items, pipe tables."""
    b = DocumentBuilder()
    lines = text.split("\n")
    if lines[0].strip() == "---" and "---" in (x.strip() for x in lines[1:]):  # YAML front matter
        lines = lines[[x.strip() for x in lines].index("---", 1) + 1 :]
    kind, buf, headers, fence = "", [], [], False

    def flush() -> None:
        nonlocal kind, buf
        text_ = join_wrapped([_md_inline(x) for x in buf])
        if text_ and not is_boilerplate(text_):
            (b.list_item if kind == "list_item" else b.paragraph)(text_)
        kind, buf = "", []

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.strip().startswith(("```", "~~~")):
            flush()
            fence = not fence
            continue
        if fence:
            if line.strip():
                b.paragraph(line.strip())
            continue
        if not line.strip():
            flush()
            headers = []
            continue
        if m := _MD_HEADING.match(line.strip()):
            flush()
            b.heading(_md_inline(_heading_text(m.group(2))), len(m.group(1)))
        elif re.fullmatch(r"=+|-{2,}", nxt) and not buf:
            b.heading(_md_inline(line), 1 if nxt[0] == "=" else 2)
        elif re.fullmatch(r"=+|-{2,}|\*{3,}|_{3,}", line.strip()):
            flush()  # setext underline (already used) or a horizontal rule
        elif line.lstrip().startswith("|"):
            flush()
            if re.fullmatch(r"\|?[\s:|-]+\|?", line.strip()):
                continue
            cells = _md_cells(line)
            if not headers and re.fullmatch(r"\|?[\s:|-]+\|?", nxt or "x"):
                headers = cells
                b.table_row(" | ".join(c for c in cells if c))
            else:
                b.table_row(table_row_text(headers, cells))
        elif m := _MD_ITEM.match(line):
            flush()
            item = m.group(3) if m.group(2) is None else f"{m.group(2)}. {m.group(3)}"
            kind, buf = "list_item", [item]
        elif buf:
            buf.append(line.strip())  # a continuation (indented or lazy) of the open block
        else:
            kind, buf = "paragraph", [line.strip().lstrip(">").strip()]
    flush()
    return b
