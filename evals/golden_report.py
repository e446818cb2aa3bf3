"""Runs the golden evaluation over every configuration and writes `golden.md`, charts and CSVs.

Configurations side by side in one run: BM25-only / dense-only / hybrid retrieval, MiniLM
vs mpnet (when mpnet is installed in the project data dir), extractive vs generative (when an
LLM is configured). `refusal_scores.csv` gives, per item, the best answer-unit score the
extractive path combines, and the refusal model's probability it compares with its fitted threshold,
so the threshold can be chosen from data.
"""

from __future__ import annotations

import csv
from pathlib import Path

from evals import metrics
from evals.golden import RETRIEVAL_MODES, ItemResult, Log, answer_summary, evaluate_set, retrieval_summary
from evals.report import fmt, grouped_bars, md_table, score_histogram
from assistant.scoring import default_params
from ingest.settings import Settings

Table = tuple[str, list[list[object]]]
RET_COLS = ["n", "hit@1", "hit@5", "MRR", "nDCG@10", "p50 ms"]
ANS_COLS = ["n", "containment", "cite verbatim", "cite on gold page", "refusal P", "refusal R", "false refusal",
            "p50 ms", "p95 ms"]


def models(data_dir: Path) -> tuple[list[tuple[str, str]], str]:
    """(label, embed_model) pairs to compare, and a note when mpnet is not installed."""
    mpnet = data_dir / "models" / "all-mpnet-base-v2"
    if (mpnet / "config.json").exists():
        return [("minilm", "minilm"), ("mpnet", str(mpnet))], ""
    return [("minilm", "minilm")], f"mpnet skipped: not installed at {mpnet} (`ethos models mpnet`)."


def run(sets: list[str], out: Path, data_dir: Path, answers_all_modes: bool = True, log: Log = print) -> list[Table]:
    base = Settings()
    llm = bool(base.llm_base_url or base.llm_gguf_path)
    notes = [] if llm else ["Generative answers skipped: no LLM configured (ETHOS_LLM_BASE_URL / ETHOS_LLM_GGUF_PATH)."]
    pairs, note = models(data_dir)
    notes += [note] if note else []
    results: dict[str, dict[str, list[ItemResult]]] = {}
    for label, model in pairs:
        settings = base.model_copy(update={"embed_model": model})
        configs = [(m, "extractive") for m in (RETRIEVAL_MODES if answers_all_modes and label == "minilm" else ("hybrid",))]
        if llm and label == "minilm":
            configs.append(("hybrid", "generative"))
        results[label] = {s: evaluate_set(s, settings, configs, log) for s in sets}
    groups = sets + (["all"] if len(sets) > 1 else [])

    def items(label: str, group: str) -> list[ItemResult]:
        return [r for s in sets for r in results[label][s]] if group == "all" else results[label][group]

    ret_rows = [[g, label, mode] + [retrieval_summary(items(label, g), mode)[c] for c in RET_COLS]
                for g in groups for label in results for mode in RETRIEVAL_MODES]
    ans_rows = [[g, label, key] + [answer_summary(items(label, g), key)[c] for c in ANS_COLS]
                for g in groups for label in results for key in results[label][sets[0]][0].answers]
    kind_rows = []
    for s in sets:
        for kind in sorted({r.item.kind for r in results["minilm"][s]}):
            rs = [r for r in results["minilm"][s] if r.item.kind == kind]
            ret, ans = retrieval_summary(rs, "hybrid"), answer_summary(rs, "hybrid/extractive")
            kind_rows.append([s, kind, len(rs), ret["hit@5"], ret["MRR"], ans["containment"], ans["refusal R"]])
    tables: list[Table] = [
        ("Retrieval", [["set", "model", "mode"] + RET_COLS] + ret_rows),
        ("Answers", [["set", "model", "retrieval/answer"] + ANS_COLS] + ans_rows),
        ("By kind (minilm, hybrid, extractive)",
         [["set", "kind", "n", "hit@5", "MRR", "containment", "refusal R"]] + kind_rows),
    ]
    out.mkdir(parents=True, exist_ok=True)
    for label in results:
        write_items_csv(out / ("golden_items.csv" if label == "minilm" else f"golden_items_{label}.csv"),
                        [r for s in sets for r in results[label][s]])
        write_refusal_csv(out / ("refusal_scores.csv" if label == "minilm" else f"refusal_scores_{label}.csv"),
                          [r for s in sets for r in results[label][s]])
    threshold = default_params().refusal_threshold
    sweep = threshold_sweep([r for s in sets for r in results["minilm"][s]], threshold)
    tables.append(("Refusal threshold sweep (minilm, hybrid, evidence strength)", sweep))
    notes.append("Settings: " + ", ".join(f"{k}={getattr(base, k)!r}" for k in (
        "fusion_mode", "dense_weight", "bm25_weight", "rrf_k", "candidate_k", "top_k", "chunk_tokens",
        "answer_words", "max_answer_sentences")) + f", refusal threshold (fitted)={threshold}")
    write_markdown(out, tables, results, sets, threshold, notes)
    return tables


def threshold_sweep(results: list[ItemResult], around: float) -> list[list[object]]:
    """Refusal quality if the threshold moved: refused ⇔ P(unanswerable) ≥ threshold."""
    rows = [["threshold", "refusal P", "refusal R", "false refusal"]]
    for t in [round(around + 0.05 * i, 3) for i in range(-6, 7)]:
        s = metrics.refusal_scores([r.item.unanswerable for r in results], [r.strength >= t for r in results])
        rows.append([t, s["precision"], s["recall"], s["false_refusal"]])
    return rows


def write_refusal_csv(path: Path, results: list[ItemResult]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["set", "id", "unanswerable", "best_score", "top_dense", "strength"])
        for r in results:
            w.writerow([r.item.set, r.item.id, int(r.item.unanswerable), f"{r.best_score:.4f}", f"{r.top_dense:.4f}",
                        f"{r.strength:.4f}"])


def write_items_csv(path: Path, results: list[ItemResult]) -> None:
    key = "hybrid/extractive"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["set", "id", "kind", "unanswerable", "query", "hit5_bm25", "hit5_dense", "hit5_hybrid",
                    "rr_hybrid", "ndcg10_hybrid", "containment", "refused", "citations", "verbatim", "on_gold", "ms"])
        for r in results:
            a = r.answers[key]
            w.writerow([r.item.set, r.item.id, r.item.kind, int(r.item.unanswerable), r.query,
                        *[r.retrieval[m].hit5 for m in RETRIEVAL_MODES], f"{r.retrieval['hybrid'].rr:.3f}",
                        f"{r.retrieval['hybrid'].ndcg10:.3f}", fmt(a.containment), int(a.refused), a.citations,
                        a.verbatim, a.on_gold, f"{a.ms:.0f}"])


def worst(results: list[ItemResult], n: int = 5) -> list[ItemResult]:
    """Answerable items that fail hardest: retrieval miss first, then lowest phrase containment."""
    key = "hybrid/extractive"
    answerable = [r for r in results if not r.item.unanswerable]
    return sorted(answerable, key=lambda r: (r.retrieval["hybrid"].hit5, r.answers[key].containment,
                                             r.retrieval["hybrid"].rr))[:n]


def describe(r: ItemResult) -> str:
    a = r.answers["hybrid/extractive"]
    gold = "; ".join(f"{g['doc_id']} p{g['page']}" for g in r.item.gold)
    lines = [f"**{r.item.id}** ({r.item.set}, {r.item.kind}) — “{r.item.question}”",
             f"- searched as: “{r.query}”" if r.query != r.item.question else "",
             f"- gold: {gold}; phrases: " + "; ".join(f"“{p}”" for p in r.item.phrases[:4]),
             f"- hybrid hit@5 {r.retrieval['hybrid'].hit5:.0f}, RR {r.retrieval['hybrid'].rr:.2f}; "
             f"containment {fmt(a.containment)}; refused {a.refused}",
             "- retrieved (hybrid top 5):"]
    for i, e in enumerate(r.retrieval["hybrid"].top, 1):
        snippet = metrics.norm(e.chunk.text)[:110]
        lines.append(f"  {i}. {e.chunk.doc_id} p{e.chunk.page} [{e.chunk.section[:50]}] — “{snippet}…”")
    lines.append("- answer: " + metrics.norm(a.answer.answer)[:300])
    return "\n".join(x for x in lines if x)


def write_markdown(out: Path, tables: list[Table], results: dict[str, dict[str, list[ItemResult]]],
                   sets: list[str], threshold: float, notes: list[str]) -> None:
    ret = tables[0][1]
    ret_chart = grouped_bars(out / "golden_retrieval.png", [f"{r[0]} {r[1]} {r[2]}" for r in ret[1:]],
                             {"hit@5": [r[5] for r in ret[1:]], "MRR": [r[6] for r in ret[1:]]},
                             "Golden retrieval: hit@5 and MRR per configuration")
    ans = tables[1][1]
    lat_chart = grouped_bars(out / "golden_latency.png", [f"{r[0]} {r[1]} {r[2]}" for r in ans[1:]],
                             {"p50 ms": [r[10] for r in ans[1:]], "p95 ms": [r[11] for r in ans[1:]]},
                             "Assistant.ask latency", ylabel="ms", ylim=None)
    mini = [r for s in sets for r in results["minilm"][s]]
    hist = score_histogram(out / "refusal_scores.png",
                           {"answerable": [r.strength for r in mini if not r.item.unanswerable],
                            "unanswerable": [r.strength for r in mini if r.item.unanswerable]},
                           threshold, "Evidence strength (minilm, hybrid)")
    parts = ["# Golden-set evaluation", "Generated by `ethos eval golden`. Each set is answered over a fresh index of "
             "its own corpus. Retrieval relevance: a chunk of a gold document on a gold page. Containment: fraction "
             "of gold phrases in answer text + citation quotes (whitespace-normalised, case-insensitive; a refused "
             "answerable question scores 0). Citation verbatim: quote == page.text[start:end]; on gold page: over "
             "answered, answerable items. Refusal: positive = refused, truth = unanswerable."]
    parts += [f"> {n}" for n in notes]
    charts = {"Retrieval": ret_chart, "Answers": lat_chart}
    for title, rows in tables:
        parts.append(f"## {title}\n\n" + md_table(rows[0], rows[1:]))
        if title in charts:
            parts.append(f"![{title}]({charts[title].name})")
    drift = [r.item.id for r in mini if r.answers["hybrid/extractive"].refused != (r.strength >= threshold)]
    parts.append(f"## Refusal score distribution\n\nCurrent `refusal_threshold` = {threshold}. Per-item scores in "
                 "`refusal_scores.csv`: best_score = best answer unit, top_dense = best dense cosine, strength = "
                 "the evidence strength the extractive path compares with the threshold. Items where "
                 f"`Assistant.ask` refused differently from `P(unanswerable) ≥ threshold`: {', '.join(drift) or 'none'}."
                 f"\n\n![refusal scores]({hist.name})")
    wrong = [r for r in mini if r.item.unanswerable and not r.answers["hybrid/extractive"].refused]
    parts.append("Unanswerable questions answered anyway: "
                 + (", ".join(f"{r.item.id} (strength {r.strength:.2f})" for r in wrong) or "none"))
    parts.append("## Worst-failing questions (minilm, hybrid)\n\n" + "\n\n".join(describe(r) for r in worst(mini)))
    (out / "golden.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")

