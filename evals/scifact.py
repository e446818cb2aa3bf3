"""BEIR SciFact through Ethos's own retrieval code, beside published baselines.

Why SciFact: it is a public benchmark with published nDCG@10 for BM25 and for the same
MiniLM model Ethos embeds with, so it tells us whether our hybrid retrieval is sound before
we trust it on school documents that have no public numbers.

What is "the same code": abstracts become `Chunk`s / llama-index nodes through
`ingest.nodes` (in the `chunked` variant through the project's `StructureChunker`), are
embedded by the project's embedder, stored in Chroma with `ingest.store` and indexed for
BM25 by `KnowledgeBase`, and are queried with `assistant.retrieval.Retriever` and `fuse`.
Only the file loaders are bypassed (5,183 tiny files through the loaders would test the
loaders, not retrieval). Two corpus variants:

- `whole`: one chunk per abstract, title as the embedding prefix. The embedder cuts at 256
  tokens (most abstracts are longer), as in the published MiniLM number; BM25 sees it all.
- `chunked`: the project's structure chunker (200-token chunks, title prefix on each);
  a document scores as its best chunk (first occurrence in the ranking).

Fusion parameters (mode, weights, rrf_k, candidate depth) are chosen on the TRAIN queries
with a small grid, applying the project's `fuse` to the dense and BM25 runs captured from
one `Retriever.retrieve` call per query; the chosen settings are then run end to end on the
reported split. Corpus embeddings are cached in `<data_dir>/scifact/` keyed by model+variant.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.retrieval import Retriever, fuse
from evals.metrics import mean, ndcg_docs, unique_in_order
from ingest import store
from ingest.embedding import encode, get_embedder, tokenizer_of
from ingest.models import Chunk, Document, DocumentBuilder, DocumentMeta
from ingest.nodes import StructureChunker, chunk_to_node, to_llama_document
from ingest.settings import Settings

PUBLISHED = [
    ("BM25 (BEIR, Thakur et al. 2021)", 0.665),
    ("BM25 + MiniLM-L6 cross-encoder rerank (BEIR)", 0.688),
    ("all-MiniLM-L6-v2 dense (MTEB)", 0.645),
    ("bge-small-en-v1.5 dense (MTEB)", 0.713),
    ("bge-base-en-v1.5 dense (Anserini)", 0.741),
]
PRINCIPAL = Principal(role="eval", audiences=("all",), name="scifact")
DEPTH = 100  # candidates captured per retriever; the grid's candidate_k values must not exceed it


# -- data ------------------------------------------------------------------------------
def load_corpus(data: Path) -> dict[str, tuple[str, str]]:
    out = {}
    with open(data / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out[str(d["_id"])] = (d.get("title", "") or "", d.get("text", "") or "")
    return out


def load_queries(data: Path) -> dict[str, str]:
    with open(data / "queries.jsonl", encoding="utf-8") as fh:
        return {str(d["_id"]): d["text"] for d in map(json.loads, fh)}


def load_qrels(data: Path, split: str) -> dict[str, dict[str, float]]:
    """qrels/<split>.tsv (header row, CRLF line ends upstream) → {query: {doc: grade}}."""
    qrels: dict[str, dict[str, float]] = {}
    with open(data / "qrels" / f"{split}.tsv", encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        next(rows)
        for row in rows:
            if len(row) >= 3 and row[0].strip():
                qrels.setdefault(row[0].strip(), {})[row[1].strip()] = float(row[2])
    return qrels


# -- corpus → nodes → index ------------------------------------------------------------------
def build_nodes(corpus: dict[str, tuple[str, str]], variant: str, count_tokens: Callable[[str], int]) -> list[TextNode]:
    nodes: list[TextNode] = []
    if variant == "whole":
        for doc_id, (title, text) in corpus.items():
            body = text or title
            chunk = Chunk(f"{doc_id}#0", doc_id, body, 1, 0, len(body), (), title, "SciFact", "abstract",
                          "all", f"scifact/{doc_id}")
            nodes.append(chunk_to_node(chunk, prefix=title))
        return nodes
    chunker = StructureChunker(count_tokens=count_tokens, max_tokens=200, prefix_tokens=48)
    for doc_id, (title, text) in corpus.items():
        builder = DocumentBuilder()
        builder.paragraph(text or title)
        meta = DocumentMeta(doc_id=doc_id, title=title, source_path=f"scifact/{doc_id}", organisation="SciFact",
                            doc_type="abstract", corpus="scifact")
        doc = Document(meta, builder.build(), hashlib.sha256(text.encode()).hexdigest(), "text")
        nodes.extend(chunker([to_llama_document(doc, "scifact")]))
    return nodes


def model_key(settings: Settings) -> str:
    return settings.embed_model if settings.embed_model in ("minilm", "mpnet") else Path(settings.embed_model).name


def embed_cached(nodes: list[TextNode], settings: Settings, cache: Path, log: Callable[[str], None]) -> None:
    """Attach embeddings to nodes, from the npz cache when it matches these exact node ids."""
    ids = [n.node_id for n in nodes]
    if cache.exists():
        saved = np.load(cache, allow_pickle=False)
        if saved["ids"].tolist() == ids:
            for n, v in zip(nodes, saved["vectors"]):
                n.embedding = v.tolist()
            log(f"embeddings: cache hit {cache}")
            return
    embedder = get_embedder(settings)
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    started = time.perf_counter()
    parts = []
    for i in range(0, len(texts), 512):
        parts.append(np.asarray(encode(embedder, texts[i : i + 512]), dtype=np.float32))
        log(f"embedded {min(i + 512, len(texts))}/{len(texts)} ({time.perf_counter() - started:.0f}s)")
    vectors = np.concatenate(parts)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=np.array(ids), vectors=vectors)
    for n, v in zip(nodes, vectors):
        n.embedding = v.tolist()


def build_index(corpus: dict[str, tuple[str, str]], variant: str, base: Settings, data_dir: Path,
                log: Callable[[str], None]) -> tuple[KnowledgeBase, Settings, int]:
    """A KnowledgeBase over the SciFact chunks in `<data_dir>/scifact/<model>-<variant>/`."""
    key = f"{model_key(base)}-{variant}"
    settings = base.model_copy(update={"data_dir": data_dir / "scifact" / key, "collection": "scifact"})
    tokenizer = tokenizer_of(get_embedder(settings))
    nodes = build_nodes(corpus, variant, lambda t: len(tokenizer(t, add_special_tokens=False)["input_ids"]))
    client = store.chroma_client(settings)
    collection = store.chroma_collection(client, settings)
    if collection.count() != len(nodes):
        embed_cached(nodes, settings, data_dir / "scifact" / f"emb-{key}.npz", log)
        client.delete_collection(settings.collection)
        collection = store.chroma_collection(client, settings)
        vectors = store.vector_store(collection)
        for i in range(0, len(nodes), 5000):  # Chroma rejects batches over ~5.4k records
            vectors.add(nodes[i : i + 5000])
        log(f"chroma: {collection.count()} chunks in {settings.chroma_path}")
    return KnowledgeBase(settings), settings, len(nodes)


# -- runs and fusion -------------------------------------------------------------------------
@dataclass
class Runs:
    """Per query: the dense and BM25 candidate lists (chunk id, score), best first."""

    dense: list[tuple[str, float]]
    bm25: list[tuple[str, float]]


def capture_runs(kb: KnowledgeBase, settings: Settings, queries: dict[str, str],
                 log: Callable[[str], None]) -> tuple[dict[str, Runs], dict[str, str]]:
    """One hybrid `retrieve` per query at depth DEPTH; both runs are recovered from Evidence scores."""
    retriever = Retriever(kb, settings.model_copy(update={"candidate_k": DEPTH}))
    runs: dict[str, Runs] = {}
    chunk_doc: dict[str, str] = {}
    started = time.perf_counter()
    for i, (qid, text) in enumerate(queries.items()):
        result = retriever.retrieve(text, PRINCIPAL, top_k=2 * DEPTH, mode="hybrid")
        for ev in result.evidence:
            chunk_doc[ev.chunk.chunk_id] = ev.chunk.doc_id
        dense = sorted(((e.chunk.chunk_id, e.dense) for e in result.evidence if e.dense is not None),
                       key=lambda x: -x[1])
        bm25 = sorted(((e.chunk.chunk_id, e.keyword) for e in result.evidence if e.keyword is not None),
                      key=lambda x: -x[1])
        runs[qid] = Runs(dense, bm25)
        if (i + 1) % 200 == 0:
            log(f"retrieved {i + 1}/{len(queries)} queries ({time.perf_counter() - started:.0f}s)")
    return runs, chunk_doc


@dataclass(frozen=True)
class FusionConfig:
    fusion_mode: str
    dense_weight: float
    bm25_weight: float
    rrf_k: int
    candidate_k: int

    def label(self) -> str:
        extra = f", rrf_k={self.rrf_k}" if self.fusion_mode == "rrf" else ""
        return (f"hybrid {self.fusion_mode} (dense {self.dense_weight:g} / bm25 {self.bm25_weight:g}{extra}, "
                f"candidate_k={self.candidate_k})")


def grid() -> list[FusionConfig]:
    weights = [0.3, 0.4, 0.5, 0.6, 0.7]
    out = []
    for depth, w in itertools.product([30, 100], weights):
        for k in (10, 30, 60):
            out.append(FusionConfig("rrf", w, round(1 - w, 2), k, depth))
        out.append(FusionConfig("zscore", w, round(1 - w, 2), 60, depth))
        out.append(FusionConfig("relative", w, round(1 - w, 2), 60, depth))
    return out


def fused_docs(r: Runs, cfg: FusionConfig, chunk_doc: dict[str, str], nodes: dict[str, TextNode]) -> list[str]:
    def as_nodes(run):
        return [NodeWithScore(node=nodes.setdefault(c, TextNode(id_=c, text="")), score=s)
                for c, s in run[: cfg.candidate_k]]

    fused = fuse([as_nodes(r.dense), as_nodes(r.bm25)], [cfg.dense_weight, cfg.bm25_weight],
                 cfg.fusion_mode, cfg.rrf_k)
    return unique_in_order(chunk_doc[n.node.node_id] for n in fused)


def score_grid(runs: dict[str, Runs], qrels: dict[str, dict[str, float]], chunk_doc: dict[str, str]) -> list[tuple[float, FusionConfig]]:
    nodes: dict[str, TextNode] = {}
    scored = []
    for cfg in grid():
        s = mean(ndcg_docs(fused_docs(runs[q], cfg, chunk_doc, nodes), qrels[q]) for q in qrels)
        scored.append((s, cfg))
    return sorted(scored, key=lambda x: -x[0])


def end_to_end(kb: KnowledgeBase, settings: Settings, queries: dict[str, str], qrels: dict[str, dict[str, float]],
               mode: str, cfg: FusionConfig | None = None) -> tuple[float, float]:
    """nDCG@10 through `Retriever.retrieve` itself, with the given settings; also ms/query."""
    update = {"candidate_k": cfg.candidate_k if cfg else settings.candidate_k}
    if cfg:
        update |= {"fusion_mode": cfg.fusion_mode, "dense_weight": cfg.dense_weight,
                   "bm25_weight": cfg.bm25_weight, "rrf_k": cfg.rrf_k}
    retriever = Retriever(kb, settings.model_copy(update=update))
    scores, started = [], time.perf_counter()
    for qid in qrels:
        result = retriever.retrieve(queries[qid], PRINCIPAL, top_k=50, mode=mode)  # 50 chunks ≥ 10 docs
        scores.append(ndcg_docs(unique_in_order(e.chunk.doc_id for e in result.evidence), qrels[qid]))
    return mean(scores), (time.perf_counter() - started) * 1000 / max(1, len(qrels))


# -- the whole benchmark ---------------------------------------------------------------------
def run(data: Path, split: str, out: Path, data_dir: Path, model: str = "minilm",
        variants: tuple[str, ...] = ("whole", "chunked"), log: Callable[[str], None] = print) -> list[list[object]]:
    """Tune fusion on train, report `split`, write `<out>/scifact.md` and a chart; returns the table rows."""
    from evals.report import grouped_bars, md_table

    corpus, queries = load_corpus(data), load_queries(data)
    train, target = load_qrels(data, "train"), load_qrels(data, split)
    base = Settings(data_dir=data_dir, embed_model=model)
    rows: list[list[object]] = []
    details: list[str] = []
    default = FusionConfig(base.fusion_mode, base.dense_weight, base.bm25_weight, base.rrf_k, base.candidate_k)
    tuned: dict[str, tuple[KnowledgeBase, Settings, dict[FusionConfig, float], dict[str, float]]] = {}
    for variant in variants:  # 1. tune: the grid on train, per corpus variant
        started = time.perf_counter()
        kb, settings, n_chunks = build_index(corpus, variant, base, data_dir, log)
        runs, chunk_doc = capture_runs(kb, settings, {q: queries[q] for q in train}, log)
        ranked = score_grid(runs, train, chunk_doc)
        single = {m: mean(ndcg_docs(unique_in_order(chunk_doc[c] for c, _ in getattr(runs[q], m)), train[q])
                          for q in train) for m in ("bm25", "dense")}
        tuned[variant] = (kb, settings, {cfg: s for s, cfg in ranked}, single)
        details.append(f"### Grid on train, variant `{variant}` ({n_chunks} chunks, "
                       f"{time.perf_counter() - started:.0f}s)\n\n"
                       + md_table(["rank", "config", "train nDCG@10"],
                                  [[i + 1, cfg.label(), s] for i, (s, cfg) in enumerate(ranked[:12])]))
    # 2. choose: best mean train nDCG over the variants, so the default suits whole and chunked text
    overall = {cfg: mean(t[2][cfg] for t in tuned.values()) for cfg in grid()}
    chosen = max(overall, key=overall.get)
    for variant, (kb, settings, train_of, single) in tuned.items():  # 3. report `split`, end to end
        for mode in ("bm25", "dense"):
            score, ms = end_to_end(kb, settings, queries, target, mode)
            name = f"Ethos dense ({model_key(base)})" if mode == "dense" else "Ethos BM25"
            rows.append([name, variant, single[mode], score, ms])
        best = {m: max((c for c in train_of if c.fusion_mode == m), key=train_of.get) for m in ("rrf", "zscore")}
        configs = [("hybrid, current defaults", default), ("hybrid, chosen", chosen)] + [
            (f"hybrid, best {m} for this variant", cfg) for m, cfg in best.items() if cfg != chosen]
        for name, cfg in configs:
            score, ms = end_to_end(kb, settings, queries, target, "hybrid", cfg)
            rows.append([f"{name}: {cfg.label()}", variant, train_of[cfg], score, ms])
    header = ["system", "variant", "train nDCG@10", f"{split} nDCG@10", "ms/query"]
    pub = [[name, "published", float("nan"), score, float("nan")] for name, score in PUBLISHED]
    chart = grouped_bars(
        out / "scifact_ndcg.png", [f"{r[0].split(':')[0]} [{r[1]}]" for r in rows],
        {f"{split} nDCG@10": [r[3] for r in rows]}, f"SciFact {split} nDCG@10 (Ethos retrieval code)",
        ylim=(0.4, 0.8), reference={"BM25 0.665": 0.665, "MiniLM 0.645": 0.645, "bge-small 0.713": 0.713},
    )
    cfg = chosen
    text = "\n\n".join([
        f"# SciFact ({split} split) through Ethos retrieval",
        f"Corpus {len(corpus)} abstracts, {len(target)} {split} queries, {len(train)} train queries "
        f"(fusion parameters tuned on train only). Embedding model: `{model_key(base)}`. "
        "Variants: `whole` = one chunk per abstract, title as embedding prefix, dense input truncated at the "
        "model's 256-token window (BM25 sees the whole abstract); `chunked` = the project's structure chunker "
        "(200-token chunks), a document scores as its best chunk. Every Ethos number below is end to end "
        "through `assistant.retrieval.Retriever.retrieve` (top 50 chunks, first occurrence per document).",
        md_table(header, rows + pub),
        f"![SciFact nDCG@10]({chart.name})",
        "## Chosen fusion defaults",
        f"Best mean train nDCG@10 over the variants ({overall[cfg]:.3f}): `fusion_mode={cfg.fusion_mode!r}`, "
        f"`dense_weight={cfg.dense_weight}`, `bm25_weight={cfg.bm25_weight}`, `rrf_k={cfg.rrf_k}`, "
        f"`candidate_k={cfg.candidate_k}`.",
        *details,
        "Regenerate: `ethos eval scifact --data ../shared/bench/scifact` (embeddings cached under "
        "`data/scifact/`).",
    ])
    out.mkdir(parents=True, exist_ok=True)
    (out / "scifact.md").write_text(text + "\n", encoding="utf-8")
    return [header] + rows + pub
