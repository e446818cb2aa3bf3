"""A retrieved section tail brings the rest of its section.

The chunker cuts a long section into body-sized chunks and leaves a short tail ("Non-negotiables
are established and understood. …", 34 words of PHASE 3). A short chunk matches a question well
because it says little else, while the long chunk before it, which holds the answer among a dozen
other points, ranks far down ("Inclusive approaches are valued and recognised as a
non-negotiable" was 26th). So a short chunk among the retrieved passages brings its neighbours
in the same section, read from the store by id, as extra evidence after the ranked passages:
the composer and the refusal model then see the section the tail came from.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.schema import BaseNode

from assistant.access import readable
from assistant.models import Evidence, Principal
from ingest.documents import DocumentRepository
from ingest.nodes import node_to_chunk


def with_section_neighbours(evidence: list[Evidence], principal: Principal, docs: DocumentRepository,
                            fetch: Callable[[list[str]], list[BaseNode]], tail_words: int) -> list[Evidence]:
    """`evidence` plus the same-section neighbours of each chunk of at most `tail_words` words."""
    if tail_words <= 0:
        return evidence
    have = {e.chunk.chunk_id for e in evidence}
    wanted: list[tuple[Evidence, str]] = []
    for ev in evidence:
        if len(ev.chunk.text.split()) > tail_words:
            continue
        doc = docs.get(ev.chunk.doc_id)
        order = [c.chunk_id for c in sorted(doc.chunks, key=lambda c: (c.page, c.start))] if doc else []
        if ev.chunk.chunk_id not in order:
            continue
        k = order.index(ev.chunk.chunk_id)
        for j in (k - 1, k + 1):
            if 0 <= j < len(order) and order[j] not in have:
                have.add(order[j])
                wanted.append((ev, order[j]))
    if not wanted:
        return evidence
    nodes = {n.node_id: n for n in fetch([chunk_id for _, chunk_id in wanted])}
    out = list(evidence)
    for source, chunk_id in wanted:
        node = nodes.get(chunk_id)
        if node is None:
            continue
        chunk = node_to_chunk(node)
        if chunk.section_path != source.chunk.section_path or not readable(principal, chunk):
            continue  # another section is another topic; an unreadable chunk is never evidence
        out.append(Evidence(chunk, source.score, None, None, len(out)))
    return out
