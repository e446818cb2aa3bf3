"""Structure-aware chunking: pages of blocks → bounded, verbatim, single-page Chunks.

Why not a plain token splitter: an answer is only as good as the chunk it cites.
A chunk here is always one contiguous span of one page (so a quote can be shown
at its place), stays inside one section where it can, keeps a list with the
sentence that introduces it, and splits an over-long paragraph at sentence
boundaries. Size is measured with the embedder's own tokenizer, because text
past the model's window would be silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pysbd

from ingest.models import Block, Chunk, Document, Page

TokenCounter = Callable[[str], int]
_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
#: pysbd is quadratic in the number of sentences it is given (5 s for one 64 KB paragraph), so a
#: long block is cut into windows of about this many characters at likely sentence ends first.
#: Small, because punctuation-dense text has a "sentence" every few characters: 8,000 characters
#: of "![" took 2.4 s in 4,000-character windows and 0.6 s in these.
SEGMENT_WINDOW = 1500
_LIKELY_END = re.compile(r"[.!?][\"')\]”’]*\s+")
#: Characters per token above which a chunk is cut anyway: the tokenizer counts a 100+ character
#: "word" as one token, so without a character cap a 10 MB text node became one 10 MB chunk.
CHARS_PER_TOKEN_CAP = 10


@dataclass
class _Span:
    """A candidate piece of a chunk: [start, end) of the page text, and its token count."""

    start: int
    end: int
    tokens: int


def chunk_document(doc: Document, count_tokens: TokenCounter, max_tokens: int = 200) -> list[Chunk]:
    """Chunks of a document in reading order, each with a deterministic id.

    Each chunk has at most `max_tokens` tokens and `max_tokens * CHARS_PER_TOKEN_CAP` characters.
    """
    chunks: list[Chunk] = []
    fits = _Limits(count_tokens, max_tokens, max_tokens * CHARS_PER_TOKEN_CAP)
    for page in doc.pages:
        for section, start, end in _page_spans(page, fits):
            text = page.text[start:end]
            if not text.strip():
                continue
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.meta.doc_id}#{doc.file_hash[:10]}-{len(chunks):04d}",
                    doc_id=doc.meta.doc_id,
                    text=text,
                    page=page.number,
                    start=start,
                    end=end,
                    section_path=section,
                    title=doc.meta.title,
                    organisation=doc.meta.organisation,
                    doc_type=doc.meta.doc_type,
                    audience=doc.meta.audience,
                    source_path=doc.meta.source_path,
                )
            )
    return chunks


@dataclass
class _Limits:
    count: TokenCounter
    tokens: int
    chars: int

    def fit(self, span: _Span) -> bool:
        return span.tokens <= self.tokens and span.end - span.start <= self.chars


def _page_spans(page: Page, lim: _Limits) -> Iterator[tuple[tuple[str, ...], int, int]]:
    for section, blocks in _sections(page.blocks):
        current: list[_Span] = []
        tokens = 0
        for unit in _units(blocks):
            for span in _fit(page.text, unit, lim):
                if current and (tokens + span.tokens > lim.tokens or span.end - current[0].start > lim.chars):
                    yield section, current[0].start, current[-1].end
                    current, tokens = [], 0
                current.append(span)
                tokens += span.tokens
        if current:
            yield section, current[0].start, current[-1].end


def _sections(blocks: list[Block]) -> Iterator[tuple[tuple[str, ...], list[Block]]]:
    """Runs of non-heading blocks that share a section path (headings live in the path)."""
    run: list[Block] = []
    for block in blocks:
        if block.kind == "heading" or (run and block.section_path != run[0].section_path):
            if run:
                yield run[0].section_path, run
            run = []
        if block.kind != "heading":
            run.append(block)
    if run:
        yield run[0].section_path, run


def _units(blocks: list[Block]) -> Iterator[list[Block]]:
    """Groups that should not be separated: a paragraph and the list (or table) it introduces."""
    i = 0
    while i < len(blocks):
        group = [blocks[i]]
        i += 1
        if group[0].kind == "paragraph":
            while i < len(blocks) and blocks[i].kind in ("list_item", "table_row"):
                group.append(blocks[i])
                i += 1
        elif group[0].kind in ("list_item", "table_row"):
            while i < len(blocks) and blocks[i].kind == group[0].kind:
                group.append(blocks[i])
                i += 1
        yield group


def _fit(text: str, unit: list[Block], lim: _Limits) -> list[_Span]:
    """The unit as one span if it fits, else its blocks, else a long block's sentences."""
    if unit[-1].end - unit[0].start <= lim.chars:
        whole = _Span(unit[0].start, unit[-1].end, lim.count(text[unit[0].start : unit[-1].end]))
        if lim.fit(whole):
            return [whole]
    spans: list[_Span] = []
    for block in unit:
        span = _Span(block.start, block.end, lim.count(block.text)) if len(block.text) <= lim.chars else None
        if span is not None and lim.fit(span):
            spans.append(span)
        else:
            spans.extend(_sentences(text, block, lim))
    return spans


def _sentences(text: str, block: Block, lim: _Limits) -> list[_Span]:
    spans: list[_Span] = []
    for seg_start, seg_end in _segments(block.text):
        start, end = block.start + seg_start, block.start + seg_end
        if end <= start:
            continue
        span = _Span(start, end, lim.count(text[start:end])) if end - start <= lim.chars else None
        if span is not None and lim.fit(span):
            spans.append(span)
        else:
            spans.extend(_words(text, start, end, lim))
    return spans


def _segments(block: str) -> Iterator[tuple[int, int]]:
    """Sentence [start, end) offsets in `block` (trailing space trimmed), in bounded windows."""
    pos = 0
    while pos < len(block):
        cut = len(block)
        if cut - pos > SEGMENT_WINDOW:  # the last likely sentence end inside the window, else a space
            ends = [m.end() for m in _LIKELY_END.finditer(block, pos + SEGMENT_WINDOW // 2, pos + SEGMENT_WINDOW)]
            space = block.rfind(" ", pos + SEGMENT_WINDOW // 2, pos + SEGMENT_WINDOW)
            cut = ends[-1] if ends else (space + 1 if space > 0 else pos + SEGMENT_WINDOW)
        for seg in _segmenter.segment(block[pos:cut]):
            yield pos + seg.start, pos + seg.start + len(seg.sent.rstrip())
        pos = cut


def _words(text: str, start: int, end: int, lim: _Limits) -> list[_Span]:
    """Last resort for run-on text (e.g. a slide transcript with no full stops).

    Words are counted once each (cached: run-on text repeats its words), then packed greedily
    under both limits; a "word" longer than the character cap is cut at the cap. Re-counting
    the rest of the text for every span made this quadratic (170 s for 64 KB).
    """
    pieces: list[tuple[int, int, int]] = []  # (start, end, tokens) of each word, space excluded
    cache: dict[str, int] = {}
    for m in re.finditer(r"\S+", text[start:end]):
        w_start, w_end = start + m.start(), start + m.end()
        for width in (lim.chars, max(1, lim.tokens)):  # a piece of `tokens` characters always fits
            cut = [(p, min(p + width, w_end)) for p in range(w_start, w_end, width)]
            counts = [_cached(cache, lim.count, text[a:b]) for a, b in cut]
            if max(counts) <= lim.tokens or width == max(1, lim.tokens):
                pieces.extend((a, b, n) for (a, b), n in zip(cut, counts))
                break
    spans: list[_Span] = []
    i = 0
    while i < len(pieces):
        j, tokens = i, 0
        while j < len(pieces) and (j == i or (tokens + pieces[j][2] <= lim.tokens
                                              and pieces[j][1] - pieces[i][0] <= lim.chars)):
            tokens += pieces[j][2]
            j += 1
        spans.append(_Span(pieces[i][0], pieces[j - 1][1], tokens))
        i = j
    return spans


def _cached(cache: dict[str, int], count: TokenCounter, word: str) -> int:
    if word not in cache:
        cache[word] = count(word)
    return cache[word]
