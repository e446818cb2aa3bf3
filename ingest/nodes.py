"""Bridges between Ethos's domain objects and llama-index nodes.

The ingestion pipeline, Chroma store and BM25 retriever all speak llama-index
nodes; the rest of Ethos speaks `Document` and `Chunk`. Keeping the mapping in
one module means metadata names are defined once.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import numpy as np

from llama_index.core.schema import (
    BaseNode,
    Document as LlamaDocument,
    MetadataMode,
    NodeRelationship,
    RelatedNodeInfo,
    TextNode,
    TransformComponent,
)

from ingest.chunking import chunk_document
from ingest.models import SECTION_SEP, Block, Chunk, Document, DocumentMeta, Page
from ingest.tracker import tracker_metadata
from ingest.units import (CONTEXT_VECTORS_KEY, UNITS_KEY, VECTORS_KEY, decode_spans, decode_vectors, encode_spans,
                          encode_vectors, in_context, segment)

#: Only this is embedded with the text ("title | section", cut to fit the model's window);
#: everything else is for filtering and citing, and is never quoted.
EMBED_KEYS = ("context",)


def to_llama_document(doc: Document, source_hash: str, tracker: dict[str, Any] | None = None) -> LlamaDocument:
    """The pipeline's unit of work; page structure travels in metadata, hidden from embedding.

    `tracker` is `tracker_metadata(doc)` when already computed (the parse worker does it, off the
    embedder's process)."""
    meta: dict[str, Any] = asdict(doc.meta) | {
        "format": doc.format,
        "file_hash": doc.file_hash,
        "source_hash": source_hash,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **(tracker if tracker is not None else tracker_metadata(doc)),  # commitments, actions, review metadata: replaced and deleted with the document
        "pages": [
            {"number": p.number, "text": p.text, "blocks": [_block_dict(b) for b in p.blocks]}
            for p in doc.pages
        ],
    }
    hidden = list(meta)
    return LlamaDocument(
        id_=doc.meta.doc_id,
        text=doc.text,
        metadata=meta,
        excluded_embed_metadata_keys=hidden,
        excluded_llm_metadata_keys=hidden,
    )


def from_llama_document(node: BaseNode) -> Document:
    meta = node.metadata
    fields = DocumentMeta.__dataclass_fields__
    return Document(
        meta=DocumentMeta(**{k: meta[k] for k in fields if k in meta}),
        pages=[
            Page(p["number"], p["text"], [_block_from(b, p["text"]) for b in p["blocks"]])
            for p in meta["pages"]
        ],
        file_hash=meta["file_hash"],
        format=meta["format"],
    )


class StructureChunker(TransformComponent):
    """llama-index transform: Ethos documents in, verbatim single-page TextNodes out."""

    count_tokens: Any
    max_tokens: int = 200
    prefix_tokens: int = 48

    def __call__(self, nodes: list[BaseNode], **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for node in nodes:
            doc = from_llama_document(node)
            blocks = {p.number: [(b.kind, b.start, b.end) for b in p.blocks] for p in doc.pages}
            for chunk in chunk_document(doc, self.count_tokens, self.max_tokens):
                chunk.units = tuple(segment(chunk.text, chunk.start, blocks.get(chunk.page, [])))
                out.append(chunk_to_node(chunk, self._prefix(chunk), ref_doc=node))
        return out

    def _prefix(self, chunk: Chunk) -> str:
        words = f"{chunk.title} | {chunk.section}".split(" ")
        while len(words) > 1 and self.count_tokens(" ".join(words)) > self.prefix_tokens:
            words = words[: max(1, len(words) * 3 // 4)]
        return " ".join(words)


class ChunkEmbedder(TransformComponent):
    """llama-index transform: embeds each chunk and its answer units (alone and in context) in one call.

    The chunk is embedded as llama-index's embed mode shows it ("title | section" then the text);
    each answer unit twice, as it stands and read under its title and heading
    (`ingest.units.in_context`), so the composer compares a question with units in the space it
    was retrieved in and never calls the embedder on evidence text.

    One `encode` call for all of a batch's texts, not llama-index's embedder transform followed by
    two unit calls: sentence-transformers sorts a call's texts by length before batching, so
    pooled, short list items batch with short list items rather than padding to a chunk's length,
    and the pipeline pays for fewer, fuller batches (measured: evals/reports/ingest.md).
    """

    encode: Any

    def __call__(self, nodes: list[BaseNode], **kwargs: Any) -> list[BaseNode]:
        if not nodes:
            return nodes
        # texts: every chunk, then every unit alone, then every unit in context, in the same unit order
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        alone_at: list[tuple[int, int]] = []  # per node, its units' [from, to) in `texts`
        framed_all: list[str] = []
        for node in nodes:
            alone, framed = unit_texts(node.get_content(metadata_mode=MetadataMode.NONE), node.metadata)
            alone_at.append((len(texts), len(texts) + len(alone)))
            texts += alone
            framed_all += framed
        texts += framed_all
        vectors = np.asarray(self.encode(texts), dtype=np.float32)
        shift = len(framed_all)  # a unit read in context sits this far after the unit alone
        for node, embedding, (lo, hi) in zip(nodes, vectors, alone_at):
            node.embedding = embedding.tolist()
            if hi > lo:
                node.metadata[VECTORS_KEY] = encode_vectors(vectors[lo:hi])
                node.metadata[CONTEXT_VECTORS_KEY] = encode_vectors(vectors[lo + shift : hi + shift])
                _hide(node, VECTORS_KEY)
                _hide(node, CONTEXT_VECTORS_KEY)
        return nodes


def unit_texts(text: str, metadata: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A chunk's answer units as the embedder sees them: alone, and read under title and heading."""
    start = int(metadata["start"])
    path = tuple(metadata["section"].split(SECTION_SEP)) if metadata.get("section") else ()
    alone = [text[u.start - start : u.end - start] for u in decode_spans(metadata.get(UNITS_KEY))]
    return alone, [in_context(metadata.get("title", ""), path, unit) for unit in alone]


def _hide(node: BaseNode, key: str) -> None:
    """Metadata the embedder, the BM25 tokenizer and an LLM prompt must never see."""
    for keys in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
        if key not in keys:
            keys.append(key)


def chunk_to_node(chunk: Chunk, prefix: str | None = None, ref_doc: BaseNode | None = None) -> TextNode:
    metadata = {
        "context": prefix if prefix is not None else f"{chunk.title} | {chunk.section}",
        "title": chunk.title,
        "section": chunk.section,
        "doc_id": chunk.doc_id,
        "organisation": chunk.organisation,
        "doc_type": chunk.doc_type,
        "audience": chunk.audience,
        "source_path": chunk.source_path,
        "page": chunk.page,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        UNITS_KEY: encode_spans(chunk.units),
    }
    node = TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=[k for k in metadata if k not in EMBED_KEYS],
        excluded_llm_metadata_keys=[k for k in metadata if k not in EMBED_KEYS],
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )
    if ref_doc is not None:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=ref_doc.node_id)
    return node


def node_to_chunk(node: BaseNode) -> Chunk:
    m = node.metadata
    section = m.get("section") or ""
    return Chunk(
        chunk_id=node.node_id,
        doc_id=m["doc_id"],
        text=node.get_content(metadata_mode=MetadataMode.NONE),
        page=int(m["page"]),
        start=int(m["start"]),
        end=int(m["end"]),
        section_path=tuple(section.split(SECTION_SEP)) if section else (),
        title=m.get("title", ""),
        organisation=m.get("organisation", ""),
        doc_type=m.get("doc_type", ""),
        audience=m.get("audience", "all"),
        source_path=m.get("source_path", ""),
        units=decode_spans(m.get(UNITS_KEY)),
        unit_vectors=decode_vectors(m.get(VECTORS_KEY)),
        unit_context_vectors=decode_vectors(m.get(CONTEXT_VECTORS_KEY)),
    )


def _block_dict(b: Block) -> dict[str, Any]:
    return {"kind": b.kind, "start": b.start, "end": b.end, "section": list(b.section_path), "level": b.level}


def _block_from(d: dict[str, Any], page_text: str) -> Block:
    text = page_text[d["start"] : d["end"]]
    return Block(d["kind"], text, d["start"], d["end"], tuple(d["section"]), d["level"])
