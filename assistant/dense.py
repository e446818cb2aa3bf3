"""Dense search under an access filter, planned by how much of the index the filter keeps.

Local Chroma answers a `where` query by brute-force scoring every chunk the clause matches,
not by walking its HNSW graph (chroma-core/chroma#1394, #7092). A staff member may read most
of a trust's chunks (84% in the synthetic trust), so their filtered query scored nearly the
whole index: 0.5 s at 100k chunks and 6 s at 1M, against 15-20 ms unfiltered
(evals/reports/scale.md).

So a broad filter is applied after an unfiltered, over-fetched search instead. Because the
keyword index holds every chunk's audience and filter columns, the number of chunks the filter
keeps is known exactly before searching (no guessing at selectivity):

- few matching chunks (or no keyword index): Chroma's `where` — cheap, its cost is per match;
- many matching chunks: fetch ~2·k/(share kept) nearest chunks unfiltered, keep those the
  principal may read, and fall back to the `where` query if fewer than k survive.

Either way the result is only chunks the principal may read; the caller checks again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from assistant.models import Filters, Principal

PREFILTER_MAX = 10_000  # Chroma's filter costs ~6 µs per match (52 ms at 8.5k): below this, keep it exact
OVERFETCH = 2.0  # fetch this many times the expected need
FETCH_CAP = 1_000  # beyond this an unfiltered fetch costs more than the filter it avoids
FILTER_KEYS = ("organisation", "doc_type", "doc_id")


def metadata_filters(principal: Principal, filters: Filters | None) -> MetadataFilters:
    """The principal's audiences and the request's filters as a Chroma `where` clause."""
    parts = [MetadataFilter(key="audience", value=list(principal.audiences), operator=FilterOperator.IN)]
    for key in FILTER_KEYS:
        wanted = getattr(filters, key, None) if filters else None
        if wanted:
            parts.append(MetadataFilter(key=key, value=list(wanted), operator=FilterOperator.IN))
    return MetadataFilters(filters=parts)


def allows(principal: Principal, filters: Filters | None) -> Callable[[dict], bool]:
    """The same rule as `metadata_filters`, as a predicate on a chunk's metadata."""
    wanted = {k: set(getattr(filters, k, None) or ()) for k in FILTER_KEYS} if filters else {}

    def keep(meta: dict) -> bool:
        if meta.get("audience") not in principal.audiences:  # missing never matches, as in `where`
            return False
        return all(not values or str(meta.get(k, "")) in values for k, values in wanted.items())

    return keep


class PostFilteredRetriever(BaseRetriever):
    """Unfiltered nearest neighbours, then the access rule; the filtered query if too few survive."""

    def __init__(self, unfiltered: BaseRetriever, keep: Callable[[dict], bool], top_k: int,
                 fallback: BaseRetriever) -> None:
        super().__init__()
        self.unfiltered, self.keep, self.top_k, self.fallback = unfiltered, keep, top_k, fallback
        self.fell_back = False

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        kept = [n for n in self.unfiltered.retrieve(query_bundle) if self.keep(n.node.metadata)]
        if len(kept) >= self.top_k:
            return kept[: self.top_k]
        self.fell_back = True
        return self.fallback.retrieve(query_bundle)


def dense_retriever(index: VectorStoreIndex, principal: Principal, filters: Filters | None, top_k: int,
                    mask: np.ndarray | None, prefilter_max: int = PREFILTER_MAX) -> BaseRetriever:
    """The cheaper of Chroma's filter and post-filtering, for this principal and these filters.

    `mask` marks the chunks the filter keeps (from the keyword index), or is None when unknown.
    `prefilter_max` exists so benchmarks and tests can force either plan.
    """
    filtered = index.as_retriever(similarity_top_k=top_k, filters=metadata_filters(principal, filters))
    matched = int(mask.sum()) if mask is not None else 0
    if mask is None or matched <= prefilter_max:
        return filtered
    fetch = math.ceil(OVERFETCH * top_k * len(mask) / matched)
    if fetch > FETCH_CAP:
        return filtered
    return PostFilteredRetriever(index.as_retriever(similarity_top_k=fetch), allows(principal, filters),
                                 top_k, filtered)
