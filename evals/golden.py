"""The golden-set evaluation: hand-written questions through the project's own code.

Each set gets a fresh index in a temporary data dir (demo corpus as corpus `demo`, the real
PDFs as corpus `realdocs`, one index per set so that one set's corpus can never answer the
other's "unanswerable" questions). Retrieval metrics come from `Retriever.retrieve` on the
question as `Assistant.condense` resolves it; answers come from `Assistant.ask`, so the
numbers are the ones a user of the API or the chat would get. Scoring rules are in
`evals/sets/README.md` and the formulas in `evals/metrics.py`.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assistant.refusal import decide
from assistant.scoring import default_params
from assistant.access import audiences_for
from assistant.knowledge import KnowledgeBase
from assistant.models import Answer, Evidence, Principal, Turn
from assistant.service import Assistant
from evals import metrics
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SETS_DIR = ROOT / "evals" / "sets"
CORPORA = {"demo": ROOT / "corpora" / "demo", "realdocs": ROOT.parent / "shared" / "realdocs" / "decoy-primary"}
RETRIEVAL_MODES = ("bm25", "dense", "hybrid")
Log = Callable[[str], None]


@dataclass
class Item:
    id: str
    set: str
    question: str
    kind: str
    gold: list[dict]
    unanswerable: bool
    history: list[dict] = field(default_factory=list)

    @property
    def gold_pages(self) -> set[tuple[str, int]]:
        return {(g["doc_id"], int(g["page"])) for g in self.gold}

    @property
    def phrases(self) -> list[str]:
        return [p for g in self.gold for p in g["phrases"]]

    @property
    def turns(self) -> list[Turn]:
        return [Turn(**h) for h in self.history]


def load_items(set_name: str, sets_dir: Path = SETS_DIR) -> list[Item]:
    with open(sets_dir / f"{set_name}.jsonl", encoding="utf-8") as fh:
        return [Item(d["id"], set_name, d["question"], d["kind"], d["gold"], d["unanswerable"], d.get("history", []))
                for d in map(json.loads, fh) if d]


@contextmanager
def fresh_index(set_name: str, settings: Settings) -> Iterator[KnowledgeBase]:
    """A KnowledgeBase over one set's corpus in a temporary data dir, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"ethos-eval-{set_name}-") as tmp:
        kb = KnowledgeBase(settings.model_copy(update={"data_dir": Path(tmp)}))
        report = kb.ingest(CORPORA[set_name], corpus=set_name)
        failed = [f"{f.path}: {f.reason}" for f in report.files if f.status == "failed"]
        if failed:
            raise RuntimeError(f"ingest of {set_name} failed for: {failed}")
        yield kb


def admin(settings: Settings) -> Principal:
    return Principal(role="admin", audiences=audiences_for("admin", settings), name="eval")


# -- retrieval -------------------------------------------------------------------------------
@dataclass
class RetrievalScore:
    hit1: float
    hit5: float
    rr: float
    ndcg10: float
    ms: float
    top: list[Evidence]


def relevant_chunks_in_index(kb: KnowledgeBase, pages: set[tuple[str, int]]) -> int:
    """How many indexed chunks lie on a gold page: the ideal ranking's relevant count for nDCG."""
    docs = sorted({d for d, _ in pages})
    got = kb.ingestor.collection.get(where={"doc_id": {"$in": docs}}, include=["metadatas"])
    return sum((m["doc_id"], int(m["page"])) in pages for m in got["metadatas"])


def score_retrieval(evidence: list[Evidence], pages: set[tuple[str, int]], n_relevant: int, ms: float) -> RetrievalScore:
    flags = [(e.chunk.doc_id, e.chunk.page) in pages for e in evidence]
    return RetrievalScore(
        metrics.hit_at_k(flags, 1), metrics.hit_at_k(flags, 5), metrics.reciprocal_rank(flags),
        metrics.ndcg_at_k([float(f) for f in flags], [1.0] * n_relevant, 10), ms, evidence[:5],
    )


# -- answers ---------------------------------------------------------------------------------
@dataclass
class AnswerScore:
    refused: bool
    containment: float  # NaN for unanswerable items
    citations: int
    verbatim: int
    on_gold: int  # counted only for answered, answerable items
    ms: float
    answer: Answer


def score_answer(item: Item, answer: Answer, kb: KnowledgeBase, principal: Principal, ms: float) -> AnswerScore:
    """Phrase containment over answer text + quotes (a refusal contains nothing); citation checks."""
    verbatim = verbatim_citations(answer, kb, principal)
    answered = not answer.refused and not item.unanswerable
    text = answer.answer + "\n" + "\n".join(c.quote for c in answer.citations)
    containment = float("nan") if item.unanswerable else (metrics.phrase_containment(item.phrases, text) if answered else 0.0)
    on_gold = sum((c.doc_id, c.page) in item.gold_pages for c in answer.citations) if answered else 0
    return AnswerScore(answer.refused, containment, len(answer.citations), verbatim, on_gold, ms, answer)


def verbatim_citations(answer: Answer, kb: KnowledgeBase, principal: Principal) -> int:
    """How many of the answer's citations quote their source page exactly (page.text[start:end])."""
    verbatim = 0
    for c in answer.citations:
        page = kb.page(c.doc_id, c.page, principal)
        verbatim += page is not None and page.text[c.start : c.end] == c.quote
    return verbatim


@dataclass
class ItemResult:
    item: Item
    query: str
    retrieval: dict[str, RetrievalScore] = field(default_factory=dict)
    answers: dict[str, AnswerScore] = field(default_factory=dict)  # key: "<retrieval>/<answer mode>"
    best_score: float = float("nan")  # best answer-unit score
    top_dense: float = float("nan")  # best dense cosine among the evidence
    strength: float = float("nan")  # the refusal model's P(unanswerable): refused at or above its threshold


def evaluate_items(assistant: Assistant, principal: Principal, items: list[Item],
                   answer_configs: list[tuple[str, str]], calibrate: bool = True) -> list[ItemResult]:
    """Items through an existing Assistant: every retrieval mode, then the given (retrieval, answer) configs."""
    kb = assistant.kb
    results = []
    for item in items:
        query = assistant.condense(item.question, item.turns)
        res = ItemResult(item, query)
        n_rel = relevant_chunks_in_index(kb, item.gold_pages) if item.gold else 0
        for mode in RETRIEVAL_MODES:
            t = time.perf_counter()
            got = assistant.retriever.retrieve(query, principal, top_k=10, mode=mode)
            res.retrieval[mode] = score_retrieval(got.evidence, item.gold_pages, n_rel, (time.perf_counter() - t) * 1000)
        for retrieval, answer_mode in answer_configs:
            t = time.perf_counter()
            answer = assistant.ask(item.question, principal, history=item.turns, mode=answer_mode, retrieval=retrieval)
            ms = (time.perf_counter() - t) * 1000
            res.answers[f"{retrieval}/{answer_mode}"] = score_answer(item, answer, kb, principal, ms)
        if calibrate:  # the refusal model's view of the evidence
            got = assistant.retriever.retrieve(query, principal)
            evidence = got.evidence
            scored = assistant.score(query, got)
            res.best_score = scored.best if scored.units else 0.0
            res.strength = decide(query, evidence, scored, default_params()).probability
            dense = [e.dense for e in evidence if e.dense is not None]
            res.top_dense = max(dense) if dense else float("nan")
        results.append(res)
    return results


def evaluate_set(set_name: str, settings: Settings, answer_configs: list[tuple[str, str]], log: Log,
                 calibrate: bool = True) -> list[ItemResult]:
    """Every item of one set through a fresh index of that set's corpus."""
    items = load_items(set_name)
    started = time.perf_counter()
    with fresh_index(set_name, settings) as kb:
        log(f"{set_name}: indexed in {time.perf_counter() - started:.0f}s ({settings.embed_model})")
        assistant = Assistant(kb.settings, kb=kb)
        principal = admin(kb.settings)
        assistant.ask("warm up", principal, mode="extractive")
        results = evaluate_items(assistant, principal, items, answer_configs, calibrate)
        log(f"{set_name}: {len(items)} items in {time.perf_counter() - started:.0f}s")
    return results


# -- aggregation -----------------------------------------------------------------------------
def retrieval_summary(results: list[ItemResult], mode: str) -> dict[str, float]:
    scored = [r.retrieval[mode] for r in results if r.item.gold]
    return {
        "n": len(scored),
        "hit@1": metrics.mean(s.hit1 for s in scored), "hit@5": metrics.mean(s.hit5 for s in scored),
        "MRR": metrics.mean(s.rr for s in scored), "nDCG@10": metrics.mean(s.ndcg10 for s in scored),
        "p50 ms": metrics.percentile([r.retrieval[mode].ms for r in results], 50),
    }


def answer_summary(results: list[ItemResult], key: str) -> dict[str, float]:
    scored = [(r.item, r.answers[key]) for r in results if key in r.answers]
    cites = sum(a.citations for _, a in scored)
    answered = [a for i, a in scored if not i.unanswerable and not a.refused]
    answered_cites = sum(a.citations for a in answered)
    refusal = metrics.refusal_scores([i.unanswerable for i, _ in scored], [a.refused for _, a in scored])
    latencies = [a.ms for _, a in scored]
    return {
        "n": len(scored),
        "containment": metrics.mean(a.containment for i, a in scored if not i.unanswerable),
        "cite verbatim": sum(a.verbatim for _, a in scored) / cites if cites else math.nan,
        "cite on gold page": sum(a.on_gold for a in answered) / answered_cites if answered_cites else math.nan,
        "refusal P": refusal["precision"], "refusal R": refusal["recall"],
        "false refusal": refusal["false_refusal"],
        "p50 ms": metrics.percentile(latencies, 50), "p95 ms": metrics.percentile(latencies, 95),
    }
