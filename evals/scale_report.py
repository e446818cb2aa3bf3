"""scale.md and scale_latency.png from the rows `evals/scale.py` measured (see there for how)."""

from __future__ import annotations

from pathlib import Path


def write_report(rows: list[dict], out: Path, note: str = "") -> None:
    """scale.md (tables) and scale_latency.png (latency vs chunk count)."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Scale and speed (synthetic trust corpus)", "", note, "",
             "| chunks | embeddings | build s (embed / Chroma add / BM25) | answer p50 / p95 ms "
             "| retrieval p50 / p95 ms | RSS MB loaded / after | load s | disk MB (Chroma) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        e = r["embedded"]
        partial = "" if r["chunks"] == r["target"] else f" (of {r['target']:,})"
        lines.append(
            f"| {r['chunks']:,}{partial} "
            f"| {'MiniLM' if r['real'] else 'hash stand-in'} "
            f"| {r['build_s']:.0f} ({r['embed_s']:.0f} / {r['chroma_add_s']:.0f} / {r['bm25_s']:.0f}) "
            f"| {e['ask_p50']:.0f} / {e['ask_p95']:.0f} | {e['ret_p50']:.0f} / {e['ret_p95']:.0f} "
            f"| {e['rss_loaded_mb']:.0f} / {e['rss_after_mb']:.0f} | {e['load_s']:.1f} "
            f"| {r['disk_mb']:.0f} ({r['chroma_mb']:.0f}) |")
    planned = [r for r in rows if r["embedded"].get("plans")]
    if planned:
        lines += ["", "## Dense search under the staff filter: Chroma `where` vs post-filter (same index, same run)", "",
                  "Chroma brute-forces every chunk a `where` clause matches; the app post-filters an over-fetched",
                  "unfiltered search when the filter keeps many chunks (`assistant/dense.py`). Ten questions each;",
                  "recall = share of the exact filtered top-30 that the post-filtered top-30 also holds.", "",
                  "| chunks | staff may read | `where` p50 ms | post-filter p50 ms | speed-up | recall@30 |",
                  "|---|---|---|---|---|---|"]
        for r in planned:
            pl = r["embedded"]["plans"]
            lines.append(f"| {pl['chunks']:,} | {pl['matched']:,} | {pl['where_p50']:.0f} | {pl['post_p50']:.0f} "
                         f"| {pl['where_p50'] / max(pl['post_p50'], 1e-9):.0f}× | {pl['recall']:.3f} |")
    served = [r for r in rows if "server" in r]
    if served:
        lines += ["", "## Embedded Chroma vs `chroma run` server (same index, same run)", "",
                  "| chunks | client | answer p50 / p95 ms | retrieval p50 / p95 ms | app RSS MB | server RSS MB |",
                  "|---|---|---|---|---|---|"]
        for r in served:
            for name in ("embedded", "server"):
                q = r[name]
                lines.append(f"| {r['chunks']:,} ({'MiniLM' if r['real'] else 'stand-in'}) | {name} "
                             f"| {q['ask_p50']:.0f} / {q['ask_p95']:.0f} "
                             f"| {q['ret_p50']:.0f} / {q['ret_p95']:.0f} | {q['rss_after_mb']:.0f} "
                             + (f"| {q['server_rss_mb']:.0f} |" if "server_rss_mb" in q else "| – (in process) |"))
    lines += ["", "## Build progress (chunks, seconds since the first batch)", ""]
    lines += [f"- {r['target']:,}: " + ", ".join(f"{n:,} @ {s:.0f} s" for n, s in r["marks"]) for r in rows]
    (out / "scale.md").write_text("\n".join(lines) + "\n")
    _chart(rows, out / "scale_latency.png")


def _chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.8))
    for real, kind in ((True, "MiniLM"), (False, "stand-in")):
        group = sorted((r for r in rows if r["real"] == real), key=lambda r: r["chunks"])
        xs = [r["chunks"] for r in group]
        for key, label, style in (("ask", "answer", "o-"), ("ret", "retrieval", "s--")):
            for q, alpha in (("p50", 1.0), ("p95", 0.45)):
                if group:
                    ax.plot(xs, [r["embedded"][f"{key}_{q}"] for r in group], style, alpha=alpha,
                            label=f"{kind} {label} {q}")
    served = sorted((r for r in rows if "server" in r and not r["real"]), key=lambda r: r["chunks"])
    if served:
        ax.plot([r["chunks"] for r in served], [r["server"]["ask_p50"] for r in served], "k^:",
                label="stand-in answer p50, chroma run server")
    planned = sorted((r for r in rows if r["embedded"].get("plans") and not r["real"]), key=lambda r: r["chunks"])
    if planned:
        ax.plot([r["chunks"] for r in planned], [r["embedded"]["plans"]["where_p50"] for r in planned], "rx-.",
                label="dense search with Chroma where filter (before)")
        ax.plot([r["chunks"] for r in planned], [r["embedded"]["plans"]["post_p50"] for r in planned], "gx-.",
                label="dense search post-filtered (now)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in index")
    ax.set_ylabel("latency ms")
    ax.set_title("Ethos query latency vs index size (2 shared cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
