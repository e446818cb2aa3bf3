"""Hybrid retrieval: Chroma dense search + incremental BM25, fused, with access enforced inside.

Both retrievers get the principal's audience (and the request's filters) as part of
their search — for Chroma a `where` clause or an exact post-filter, whichever is cheaper
(see `assistant.dense`), and a BM25 weight mask — so a chunk
the role may not read never becomes a candidate, and so can never surface in
evidence, citations or counts. The fusion is llama-index's `QueryFusionRetriever`
with one query (no LLM rewriting), extended with weighted RRF and z-score fusion.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Literal

import numpy as np
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle

from assistant.dense import dense_retriever
from assistant.knowledge import KeywordIndex, KnowledgeBase
from assistant.models import Evidence, Filters, Principal, RetrievalResult
from assistant.neighbours import with_section_neighbours
from assistant.organisations import OrganisationNames, scope_for
from assistant.spelling import default_speller
from assistant.vocabulary import default_vocabulary
from ingest.keyword_index import Tokenizer
from ingest.nodes import node_to_chunk
from ingest.settings import Settings

Mode = Literal["hybrid", "dense", "bm25"]


class HybridFusionRetriever(QueryFusionRetriever):
    """llama-index fusion with weights honoured by every mode and de-duplication by chunk id."""

    def __init__(self, retrievers: list[BaseRetriever], weights: list[float], fusion: str, rrf_k: int, top_k: int):
        super().__init__(
            retrievers, llm=MockLLM(), num_queries=1, use_async=False,
            similarity_top_k=top_k, retriever_weights=weights,
        )
        self.fusion, self.rrf_k = fusion, rrf_k

        self.runs: list[list[NodeWithScore]] = []  # per-retriever results, kept for score attribution

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        self.runs = [r.retrieve(query_bundle) for r in self._retrievers]
        return fuse(self.runs, self._retriever_weights, self.fusion, self.rrf_k)[: self.similarity_top_k]


def fuse(runs: list[list[NodeWithScore]], weights: list[float], mode: str, rrf_k: int = 60) -> list[NodeWithScore]:
    """Combine ranked lists. `rrf`: weighted reciprocal rank; `zscore`: weighted standardised
    scores shifted so a list's worst is 0 (a chunk missing from a list scores as its worst);
    `relative`: min-max."""
    fused: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for run, weight in zip(runs, weights):
        if not run:
            continue
        scores = [n.score or 0.0 for n in run]
        if mode == "zscore":
            mu, sd = statistics.fmean(scores), statistics.pstdev(scores) or 1.0
            norm = [(s - mu) / sd for s in scores]
            floor = min(norm)
        elif mode == "relative":
            lo, hi = min(scores), max(scores)
            norm = [(s - lo) / ((hi - lo) or 1.0) for s in scores]
            floor = 0.0
        else:
            norm = [1.0 / (rrf_k + rank + 1) for rank in range(len(run))]
            floor = 0.0
        for n, value in zip(run, norm):
            nodes.setdefault(n.node.node_id, n)
            fused[n.node.node_id] = fused.get(n.node.node_id, 0.0) + weight * (value - floor)
    order = sorted(fused, key=fused.get, reverse=True)
    return [NodeWithScore(node=nodes[i].node, score=fused[i]) for i in order]


class Retriever:
    """Question in, ranked Evidence out, for one principal and optional filters.

    Before searching it works out the question's scope: an organisation the question names (or
    the asker's own, for "our …") restricts the search unless the request already filters by
    organisation; when the scoped search finds nothing, the unscoped one is used. The keyword
    side also searches the vocabulary's variants of the question's school terms.
    """

    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.kb, self.settings = kb, settings
        self.vocabulary = default_vocabulary()
        self._names: tuple[object, OrganisationNames] | None = None

    def embed_query(self, query: str) -> np.ndarray:
        return np.asarray(self.kb.embedder.get_query_embedding(query), dtype=np.float32)

    def organisation_names(self, keyword_index: KeywordIndex | None) -> OrganisationNames:
        if keyword_index is None:
            return OrganisationNames(())
        if self._names is None or self._names[0] is not keyword_index:  # one build per index snapshot
            self._names = (keyword_index, OrganisationNames.of(keyword_index.organisations()))
        return self._names[1]

    def retrieve(
        self,
        query: str,
        principal: Principal,
        filters: Filters | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> RetrievalResult:
        started = time.perf_counter()
        keyword_index = self.kb.keyword  # one snapshot for the mask, the names and the BM25 search
        readable = keyword_index.mask(principal.audiences, None) if keyword_index is not None else None
        if keyword_index is not None and query_vector is None:  # typos become the words the readable documents use
            query = default_speller().correct(query, lambda stem: keyword_index.document_frequency(stem, readable))
        vector = query_vector if query_vector is not None else self.embed_query(query)
        scope = [] if filters and filters.organisation else scope_for(
            query, self.organisation_names(keyword_index), principal.organisation)
        evidence: list[Evidence] = []
        if scope:
            scoped = (filters or Filters()).model_copy(update={"organisation": scope})
            evidence = self._search(query, vector, principal, scoped, top_k, mode, keyword_index, readable)
        if not evidence:
            scope = []
            evidence = self._search(query, vector, principal, filters, top_k, mode, keyword_index, readable)
        evidence = with_section_neighbours(evidence, principal, self.kb.docs, self.kb.ingestor.vector_store.get_nodes,
                                           self.settings.tail_words)
        return RetrievalResult(query, evidence, {"retrieve_ms": (time.perf_counter() - started) * 1000},
                               query_vector=vector, scope=scope, readable=readable)

    def _search(self, query: str, vector: np.ndarray, principal: Principal, filters: Filters | None,
                top_k: int | None, mode: Mode, keyword_index: KeywordIndex | None,
                readable: np.ndarray | None = None) -> list[Evidence]:
        top_k = top_k or self.settings.top_k
        retrievers, weights = [], []
        mask = keyword_index.mask(principal.audiences, filters, readable) if keyword_index is not None else None
        if mask is not None and not mask.any():
            return []
        if mode in ("hybrid", "dense"):
            retrievers.append(dense_retriever(self.kb.vector_index, principal, filters, self.settings.candidate_k, mask))
            weights.append(self.settings.dense_weight)
        keyword = self._keyword(keyword_index, mask, self.vocabulary.expansion(query)) \
            if mode in ("hybrid", "bm25") else None
        if keyword is not None:
            retrievers.append(keyword)
            weights.append(self.settings.bm25_weight)
        if not retrievers:
            return []
        fusion = HybridFusionRetriever(retrievers, weights, self.settings.fusion_mode, self.settings.rrf_k, top_k)
        fused = fusion.retrieve(QueryBundle(query, embedding=vector.tolist()))
        runs = fusion.runs
        dense_scores = {n.node.node_id: n.score for n in runs[0]} if mode != "bm25" else {}
        bm25_scores = {n.node.node_id: n.score for n in runs[-1]} if keyword is not None else {}
        evidence = []
        for rank, n in enumerate(fused):
            chunk = node_to_chunk(n.node)
            if chunk.audience not in principal.audiences:  # defence in depth; filtered above
                continue
            evidence.append(
                Evidence(chunk, n.score or 0.0, dense_scores.get(n.node.node_id),
                         bm25_scores.get(n.node.node_id), rank)
            )
        return evidence

    def _keyword(self, keyword: KeywordIndex | None, mask: np.ndarray | None, expansion: str = "") -> BaseRetriever | None:
        if keyword is None or mask is None or not mask.any():
            return None
        return KeywordRetriever(keyword, self.kb.ingestor.keywords.tokenizer, mask,
                                min(self.settings.candidate_k, int(mask.sum())),
                                self.kb.ingestor.vector_store.get_nodes, expansion, self.settings.expansion_weight)


class KeywordRetriever(BaseRetriever):
    """BM25 over this process's keyword index, masked to what the principal may read.

    The index holds only ids, filter fields and postings (see `ingest.keyword_index`), so the
    hits' nodes are read from Chroma by id. The mask multiplies the scores, so a chunk the
    principal may not read scores 0 and is dropped with the chunks that match no term.
    """

    def __init__(self, index: KeywordIndex, tokenizer: Tokenizer, mask: np.ndarray, top_k: int,
                 fetch: Callable[[list[str]], list[BaseNode]], expansion: str = "",
                 expansion_weight: float = 1.0) -> None:
        super().__init__()
        self.index, self.tokenizer, self.top_k, self.fetch = index, tokenizer, top_k, fetch
        self.mask = np.asarray(mask, dtype=np.float32)
        self.expansion = expansion  # vocabulary variants of the question's terms
        self.expansion_weight = expansion_weight  # their BM25 scores count this much

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        idx = self.index
        own = idx.query_tokens(query_bundle.query_str, self.tokenizer)
        extra = [t for t in idx.query_tokens(self.expansion, self.tokenizer) if t not in own] \
            if self.expansion_weight > 0 and self.expansion else []
        if not own and not extra:
            return []
        # BM25 is a sum over query terms, so the variants' part can be weighted on its own
        scores = idx.scores(own)
        if extra:
            scores = scores + self.expansion_weight * idx.scores(extra)
        scores = np.asarray(scores, dtype=np.float32) * self.mask
        k = min(self.top_k, int((scores > 0).sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = [(idx.node_id(int(i)), float(scores[i])) for i in top]
        nodes = {n.node_id: n for n in self.fetch([node_id for node_id, _ in hits])} if hits else {}
        return [NodeWithScore(node=nodes[node_id], score=score) for node_id, score in hits if node_id in nodes]
