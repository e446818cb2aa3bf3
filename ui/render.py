"""HTML for the chat UI: answers with clickable [n] markers and sources, the page viewer, badges.

Pure functions of domain objects, so they can be tested without a browser. Every
piece of document or user text goes through `esc` — uploaded documents are not
trusted. Answer HTML is written as ONE line wrapped in a `<div>`: the chat widget
runs Markdown over messages, and CommonMark leaves a block-level HTML element alone
up to the first blank line, so document text is never reinterpreted as Markdown. The one
Markdown the composer writes (`**marked line**`, `*Title (Section):*`) is turned into `<strong>`
and `<em>` here, after escaping (`emphasis`); a document's own `**…**` inside a quoted line shows
bold too, never as markup of any other kind.

The chat widget's sanitiser drops `data-*` attributes but keeps classes, so a
source button carries its address as a class: `ethos-ref-<token>`, where the token
(`source_token`) names the document, page and quote offsets. The click listener of
the one page viewer (`ui.viewer`) reads it back and opens the page, from any tab,
with no per-tab state; the viewer re-checks the reader's access on every open, so a
forged token shows nothing the role could not already read.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib

from assistant.models import Answer, Citation
from ingest.models import Page

MARKER = re.compile(r"\[(\d+)\]")
# The composer's own emphasis, the only Markdown an answer's text carries: a marked answer line
# (`**…**`) and the label that says where a passage comes from (`*Title (Section):*` opening a line)
_STRONG = re.compile(r"\*\*(?=[^*\s])([^*\n]*?[^*\s])\*\*")
_LABEL = re.compile(r"^\*(?=\S)([^*\n]+?:)\*", re.M)
_MARKER_GROUP = re.compile(r"[ \t]*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_BULLET = re.compile(r"^\s*(?:[-*•▪●◦]|\d+[.)])\s+")
QUOTE_PREVIEW_CHARS = 240


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _lines(text: str) -> str:
    """One kind of line break: CommonMark also ends lines at a bare \r, which would end our HTML block."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def source_token(c: Citation) -> str:
    """A class-safe address of a cited passage: [n, doc_id, page, start, end, section, crc32(quote)]."""
    raw = json.dumps([c.n, c.doc_id, c.page, c.start, c.end, c.section, zlib.crc32(c.quote.encode())],
                     separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_token(token: str) -> dict | None:
    """The fields of `source_token`, or None for anything that is not one (the bridge is client input)."""
    try:
        raw = base64.urlsafe_b64decode((token or "").strip() + "=" * (-len((token or "").strip()) % 4))
        n, doc_id, page, start, end, section, crc = json.loads(raw.decode())
        assert all(isinstance(v, int) for v in (n, page, start, end, crc)) and isinstance(doc_id, str)
        return {"n": n, "doc_id": doc_id, "page": page, "start": start, "end": end, "section": str(section),
                "crc": crc}
    except (ValueError, TypeError, AssertionError, UnicodeDecodeError):
        return None


def ref_class(c: Citation) -> str:
    return f"ethos-ref-{source_token(c)}"


def cite_label(c: Citation) -> str:
    """A citation's accessible name: what a screen reader says for [n]."""
    return f"Source {c.n}: {c.title}, page {c.page}"


def _preview(quote: str) -> str:
    return quote if len(quote) <= QUOTE_PREVIEW_CHARS else quote[:QUOTE_PREVIEW_CHARS].rstrip() + "…"


# -- answers ---------------------------------------------------------------------------------
def streaming_html(text: str) -> str:
    """The answer while it is still arriving, laid out as the finished one will be (paragraphs and
    lists, markers as plain [n]), so nothing reflows when it completes; and a cursor."""
    body = _blocks(emphasis(esc(_lines(text))).replace("[", '<span class="ethos-cite-pending">[').replace("]", "]</span>"))
    return (f'<div class="ethos-answer ethos-streaming" aria-busy="true"><div class="ethos-answer-text">{body}'
            f'<span class="ethos-cursor" aria-hidden="true">▍</span></div></div>')


def error_html(message: str) -> str:
    return f'<div class="ethos-answer ethos-error" role="alert"><strong>⚠ {esc(message)}</strong></div>'


def answer_html(answer: Answer, message: int = 0, scope: str = "") -> str:
    """A finished answer: text with clickable markers, ⚠ on unsupported sentences, then its sources.

    `scope` is a line saying which documents were searched (the Ask tab's scope picker); `message`
    is kept for callers that number their answers and no longer changes the output."""
    cites = {c.n: c for c in answer.citations}
    text = _lines(answer.answer)
    unsupported = [s.text for s in answer.sentences if not s.supported and s.text.strip()]
    spans = {u: _locate(text, u) for u in unsupported}
    body = _body_html(text, [s for s in spans.values() if s], cites, message)
    if answer.refused:
        head = ('<div class="ethos-refusal-label" role="note">Not in the documents</div>')
        sources_title = "Closest passages — none of them answers the question"
    else:
        head = ""
        sources_title = "Sources"
    note = ""
    if unsupported:
        lost = "".join(f"<li>{esc(u)}</li>" for u, span in spans.items() if span is None)
        note = ('<div class="ethos-unsupported-note">⚠ Marked sentences are not supported by the cited '
                "passages; check the sources before relying on them."
                + (f"<ul>{lost}</ul>" if lost else "") + "</div>")
    kind = "ethos-refusal" if answer.refused else "ethos-answered"
    scope_line = f'<div class="ethos-answer-scope">Searched: {esc(scope)}</div>' if scope else ""
    return (f'<div class="ethos-answer {kind}">{head}{scope_line}<div class="ethos-answer-text">{body}</div>'
            f"{note}{sources_html(answer.citations, message, sources_title)}</div>")


def sources_html(citations: list[Citation], message: int = 0, title: str = "Sources") -> str:
    if not citations:
        return ""
    items = []
    for c in citations:
        where = " › ".join(p for p in (c.section,) if p)
        items.append(
            f'<li class="ethos-source-item"><button type="button" class="ethos-source {ref_class(c)}">'
            f'<span class="ethos-sr">{esc(cite_label(c))}. Open the page</span>'
            f'<span class="ethos-source-n">[{c.n}]</span> '
            f'<span class="ethos-source-title">{esc(c.title)}</span>'
            f'<span class="ethos-source-org">{esc(c.organisation)}</span>'
            f'<span class="ethos-source-where">{esc(where)}{" · " if where else ""}page {c.page}</span>'
            f'<span class="ethos-source-quote">“{esc(_preview(c.quote))}”</span></button></li>'
        )
    return (f'<div class="ethos-sources"><div class="ethos-sources-title">{esc(title)}</div>'
            f'<ol class="ethos-source-list">{"".join(items)}</ol></div>')


def _body_html(text: str, spans: list[tuple[int, int]], cites: dict[int, Citation], message: int) -> str:
    """Escape, wrap the unsupported spans, make markers clickable, and turn "- " lines into a list."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(esc(text[pos:start]))
        out.append(_flag(text, start, end))
        pos = end
    out.append(esc(text[pos:]))
    escaped = emphasis("".join(out))

    def marker(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in cites:
            return m.group(0)
        c = cites[n]
        return (f'<button type="button" class="ethos-cite {ref_class(c)}"><span class="ethos-sr">'
                f'{esc(cite_label(c))}</span>[{n}]<span class="ethos-tip"><strong>{esc(c.title)}, page {c.page}</strong> '
                f"“{esc(' '.join(_preview(c.quote).split()))}”</span></button>")  # one line: see below

    # markers go in before the text is cut into lines, so a tooltip must not hold a line break:
    # a quote of a whole list would end the list item inside the button and leak onto the page
    escaped = MARKER.sub(marker, escaped)
    opening = '<span class="ethos-unsupported" title="Not supported by the cited passages">'
    escaped = escaped.replace("\x00W", opening + "⚠ ").replace("\x00U", opening).replace("\x00u", "</span>")
    return _blocks(escaped)


def emphasis(escaped: str) -> str:
    """The composer's marks as HTML, in text already escaped (so nothing else becomes markup): the
    chat widget leaves our HTML block alone, and raw asterisks were what the reader saw."""
    return _LABEL.sub(r"<em>\1</em>", _STRONG.sub(r"<strong>\1</strong>", escaped))


def _flag(text: str, start: int, end: int) -> str:
    """Placeholders around an unsupported span, closed at each line end so the HTML nests;
    a bullet marker opening a line stays outside, so the line is still seen as a list item."""
    pieces, first, at = [], True, start
    for line in text[start:end].split("\n"):
        lead = ""
        if at == 0 or text[at - 1] == "\n":
            m = _BULLET.match(line)
            lead, line = (m.group(0), line[m.end():]) if m else ("", line)
        if line.strip():
            tag = "\x00W" if first else "\x00U"
            pieces.append(esc(lead) + tag + esc(line) + "\x00u")
            first = False
        else:
            pieces.append(esc(lead + line))
        at += len(lead) + len(line) + 1
    return "\n".join(pieces)


_NUMBERED = re.compile(r"^\s*\d+[.)]\s")


def _blocks(escaped: str) -> str:
    """Lines → paragraphs, consecutive bullet lines → one list. A list whose items carry their own
    numbers ("- 1. …", or "1. …") shows those numbers without a bullet as well."""
    parts: list[str] = []
    items: list[str] = []

    def close() -> None:
        numbered = all(_NUMBERED.match(i) for i in items)
        css = ' class="ethos-numbered"' if numbered else ""
        parts.append(f'<ul{css}>{"".join(f"<li>{i}</li>" for i in items)}</ul>')
        items.clear()

    for line in escaped.split("\n"):
        if _BULLET.match(line):
            rest = _BULLET.sub("", line, count=1)
            items.append(line.strip() if _NUMBERED.match(line) else rest)  # keep a line's own number
            continue
        if items:
            close()
        if line.strip():
            parts.append(f"<p>{line}</p>")
    if items:
        close()
    return "".join(parts)


def _locate(text: str, sentence: str) -> tuple[int, int] | None:
    """Where a sentence (as the grounding step saw it: markers stripped, spaces collapsed) sits in `text`."""
    plain: list[str] = []
    where: list[int] = []  # where[i] = index in `text` of plain[i]
    i = 0
    while i < len(text):
        m = _MARKER_GROUP.match(text, i)
        if m:
            i = m.end()
            continue
        ch = text[i]
        if ch.isspace():
            j = i
            while j < len(text) and text[j].isspace():
                j += 1
            nxt = _MARKER_GROUP.match(text, j)
            after = text[nxt.end()] if nxt and nxt.end() < len(text) else (text[j] if j < len(text) else "")
            if plain and plain[-1] != " " and after not in ".,;:!?":
                plain.append(" ")
                where.append(i)
            i = j
            continue
        plain.append(ch)
        where.append(i)
        i += 1
    target = " ".join(sentence.split())
    k = "".join(plain).find(target)
    if k < 0 or not target:
        return None
    return where[k], where[k + len(target) - 1] + 1


# -- the page viewer ---------------------------------------------------------------------------
VIEWER_EMPTY = ('<div class="ethos-viewer-empty">Choose a source, or a [n] marker in an answer, to read the page '
                "it comes from, with the quoted passage highlighted.</div>")
_CLOSE = '<button type="button" class="ethos-viewer-close" aria-label="Close the source">✕ Close</button>'


def _viewer_head(title: str, where: str) -> str:
    return (f'<div class="ethos-viewer-head"><h2 class="ethos-viewer-title" tabindex="-1">{title}</h2>'
            f'{_CLOSE}<div class="ethos-viewer-where">{where}</div></div>')


def viewer_error_html(message: str, title: str = "Source", alert: bool = True) -> str:
    """A message in the viewer itself (it opens, says why, and closes like any page); `alert=False`
    for a plain note, such as a register row whose dates no line of the document states."""
    kind = 'class="ethos-viewer-missing" role="alert"' if alert else 'class="ethos-viewer-note"'
    return (f'<div class="ethos-viewer" role="region" aria-label="Source">{_viewer_head(esc(title), "")}'
            f'<p {kind}>{esc(message)}</p></div>')


def viewer_html(c: Citation, page: Page | None, label: str | None = None) -> str:
    """The cited page with the quote marked at the citation's exact offsets.

    `label` replaces the "[n]" before the title (a table row has no marker number: "Commitment",
    "Next review")."""
    where = " · ".join(p for p in (esc(c.organisation), esc(c.section), f"page {c.page}") if p)
    head = _viewer_head(f"{esc(label) + ':' if label else f'[{c.n}]'} {esc(c.title)}", where)
    if page is None:
        return (f'<div class="ethos-viewer" role="region" aria-label="Source">{head}<p class="ethos-viewer-missing" '
                'role="alert">This page is not available to your role (or the document was removed).</p></div>')
    start, end = c.start, c.end
    if page.text[start:end] != c.quote:  # re-ingested since the answer: find the quote again
        found = page.text.find(c.quote) if c.quote else -1
        start, end = (found, found + len(c.quote)) if found >= 0 else (0, 0)
    if end <= start:
        quote = f"<blockquote>{esc(c.quote)}</blockquote>" if c.quote else ""
        text = (f'<p class="ethos-viewer-missing">The quoted passage is no longer on this page{":" if quote else "."}'
                f'</p>{quote}<div class="ethos-page-text">{esc(page.text)}</div>')
    else:
        text = (f'<div class="ethos-page-text">{esc(page.text[:start])}<mark id="ethos-mark">'
                f"{esc(page.text[start:end])}</mark>{esc(page.text[end:])}</div>")
    return f'<div class="ethos-viewer" role="region" aria-label="Source">{head}{text}</div>'


# -- small pieces ------------------------------------------------------------------------------
def role_html(role: str | None, error: str = "", default: bool = False) -> str:
    if error:
        return f'<div class="ethos-role ethos-role-error" role="alert">⚠ {esc(error)}</div>'
    how = " (default)" if default else ""
    return (f'<div class="ethos-role">Signed in as <strong class="ethos-role-name">{esc(role)}</strong>'
            f"{how}</div>")
