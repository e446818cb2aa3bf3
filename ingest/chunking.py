"""Structure-aware chunking: pages of blocks → bounded, verbatim, single-page Chunks.

Why not a plain token splitter: an answer is only as good as the chunk it cites.
A chunk here is always one contiguous span of one page (so a quote can be shown
at its place), stays inside one section where it can, keeps a list with the
sentence that introduces it, and splits an over-long paragraph at sentence
boundaries. Size is measured with the embedder's own tokenizer, because text
past the model's window would be silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pysbd

from ingest.models import Block, Chunk, Document, Page

TokenCounter = Callable[[str], int]
_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)


@dataclass
class _Span:
    """A candidate piece of a chunk: [start, end) of the page text, and its token count."""

    start: int
    end: int
    tokens: int


def chunk_document(doc: Document, count_tokens: TokenCounter, max_tokens: int = 200) -> list[Chunk]:
    """Chunks of a document in reading order, each with a deterministic id."""
    chunks: list[Chunk] = []
    for page in doc.pages:
        for section, start, end in _page_spans(page, count_tokens, max_tokens):
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


def _page_spans(
    page: Page, count: TokenCounter, max_tokens: int
) -> Iterator[tuple[tuple[str, ...], int, int]]:
    for section, blocks in _sections(page.blocks):
        current: list[_Span] = []
        for unit in _units(blocks):
            for span in _fit(page.text, unit, count, max_tokens):
                if current and sum(s.tokens for s in current) + span.tokens > max_tokens:
                    yield section, current[0].start, current[-1].end
                    current = []
                current.append(span)
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


def _fit(text: str, unit: list[Block], count: TokenCounter, max_tokens: int) -> list[_Span]:
    """The unit as one span if it fits, else its blocks, else a long block's sentences."""
    whole = _Span(unit[0].start, unit[-1].end, count(text[unit[0].start : unit[-1].end]))
    if whole.tokens <= max_tokens:
        return [whole]
    spans: list[_Span] = []
    for block in unit:
        tokens = count(block.text)
        if tokens <= max_tokens:
            spans.append(_Span(block.start, block.end, tokens))
        else:
            spans.extend(_sentences(text, block, count, max_tokens))
    return spans


def _sentences(text: str, block: Block, count: TokenCounter, max_tokens: int) -> list[_Span]:
    spans: list[_Span] = []
    for seg in _segmenter.segment(block.text):
        start = block.start + seg.start
        end = block.start + len(seg.sent.rstrip()) + seg.start
        if end <= start:
            continue
        tokens = count(text[start:end])
        if tokens <= max_tokens:
            spans.append(_Span(start, end, tokens))
        else:
            spans.extend(_words(text, start, end, count, max_tokens))
    return spans


def _words(text: str, start: int, end: int, count: TokenCounter, max_tokens: int) -> list[_Span]:
    """Last resort for run-on text (e.g. a slide transcript with no full stops)."""
    spans: list[_Span] = []
    pos = start
    while pos < end:
        lo, hi = pos, end
        while count(text[lo:hi]) > max_tokens:  # shrink by word until it fits
            cut = text.rfind(" ", lo, lo + (hi - lo) * 3 // 4)
            hi = cut if cut > lo else lo + (hi - lo) // 2
        spans.append(_Span(lo, hi, count(text[lo:hi])))
        pos = hi
        while pos < end and text[pos].isspace():
            pos += 1
    return spans
