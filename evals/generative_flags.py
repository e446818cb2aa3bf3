"""Hand check of the grounding flags: a sample of generative sentences, judged by a person.

`python -m evals.generative_flags` draws the sample from a run's JSON lines (every flagged
sentence up to half the sample, the rest drawn at random from the unflagged ones, seeded) and
writes it with an empty `supported_by_hand` column; a person fills it in (1 = the passages the
sentence cites say it — or, for a sentence the answer shows without a marker, some passage shown
to the model does; 0 = they do not, or it is no answer at all) and the report computes precision and
recall of the flags from it. Recall is reweighted by how the sample was drawn (flagged and
unflagged sentences are sampled at different rates), so it estimates the whole run's recall.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).resolve().parent / "reports"
FLAGS_CSV = REPORTS / "generative_flags_sample.csv"
FIELDS = ["set", "id", "index", "flagged", "supported_by_hand", "citations", "sentence", "note"]


def kept_sentences(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the check judged: every sentence of a kept generative answer (the ones a user reads,
    with or without a flag), and each reply replaced because nothing in it was supported (index
    -1, the model's whole raw reply, flagged: the check rejected all of it)."""
    from assistant.generative import NOT_SUPPORTED

    out = []
    for r in rows:
        if r["mode"] != "generative" or not r["llm_called"]:
            continue
        if r["answer_mode"] == "generative" and not r["refused"]:
            out += [{"set": r["set"], "id": r["id"], "index": i, "flagged": int(not s["supported"]),
                     "citations": " ".join(map(str, s["citations"])), "sentence": s["text"]}
                    for i, s in enumerate(r["sentences"])]
        elif r["answer"].startswith(NOT_SUPPORTED) and r["model"]:
            out.append({"set": r["set"], "id": r["id"], "index": -1, "flagged": 1, "citations": "",
                        "sentence": " ".join(r["model"]["raw"].split())})
    return out


def draw(rows: list[dict[str, Any]], n: int = 20, seed: int = 14) -> list[dict[str, Any]]:
    sentences = kept_sentences(rows)
    rng = random.Random(seed)
    flagged = [s for s in sentences if s["flagged"]]
    unflagged = [s for s in sentences if not s["flagged"]]
    take = rng.sample(flagged, min(len(flagged), n // 2))
    take += rng.sample(unflagged, min(len(unflagged), n - len(take)))
    return sorted(take, key=lambda s: (s["set"], s["id"], s["index"]))


def read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def flag_scores(path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision / recall of the flags on the hand-judged sample, matched to this run's sentences."""
    sampled_sets = {j["set"] for j in read(path) if j.get("supported_by_hand", "").strip() in ("0", "1")}
    # the run's sentences of the sets the sample was drawn from: the population the sample stands for
    current = {(s["set"], s["id"], str(s["index"]), s["sentence"]): s for s in kept_sentences(rows)
               if not sampled_sets or s["set"] in sampled_sets}
    judged = [j for j in read(path) if j.get("supported_by_hand", "").strip() in ("0", "1")
              and (j["set"], j["id"], j["index"], j["sentence"]) in current]
    total_flagged = sum(s["flagged"] for s in current.values())
    total_unflagged = len(current) - total_flagged
    replaced = sum(s["index"] == -1 for s in current.values())
    where = f" ({', '.join(sorted(sampled_sets))})" if sampled_sets else ""
    head = (f"The check judged {len(current)} sentences of the model's{where}: {len(current) - replaced} in kept answers "
            f"and {replaced} whole replies replaced because nothing in them was supported (counted as flagged); "
            f"{total_flagged} flagged in all. ")
    if not judged:
        return {"precision": float("nan"), "recall": float("nan"),
                "text": head + f"No hand judgements in `{path.name}` match this run's sentences yet."}
    tp = sum(j["flagged"] == "1" and j["supported_by_hand"] == "0" for j in judged)
    fp = sum(j["flagged"] == "1" and j["supported_by_hand"] == "1" for j in judged)
    fn = sum(j["flagged"] == "0" and j["supported_by_hand"] == "0" for j in judged)
    tn = sum(j["flagged"] == "0" and j["supported_by_hand"] == "1" for j in judged)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    # scale each stratum's counts to the whole run: flagged and unflagged were sampled at different rates
    w_flag = total_flagged / (tp + fp) if tp + fp else 0.0
    w_unflag = total_unflagged / (fn + tn) if fn + tn else 0.0
    caught, missed = tp * w_flag, fn * w_unflag
    recall = caught / (caught + missed) if caught + missed else float("nan")
    text = head + (
        f"A person judged {len(judged)} of them (`{path.name}`: {tp + fp} flagged, {fn + tn} not), reading each "
        f"against the passages the model was shown. Flagged and really unsupported: {tp}; flagged but supported: "
        f"{fp}; not flagged but unsupported: {fn}; not flagged and supported: {tn}. **Flag precision "
        f"{precision:.2f}**; **flag recall {recall:.2f}** (estimated for the whole run: each stratum weighted by "
        f"how many of its sentences the run had; on the sample alone {tp}/{tp + fn}).")
    return {"precision": precision, "recall": recall, "text": text, "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def main(argv: list[str] | None = None) -> None:
    from evals.generative_report import load_rows, paired

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=Path, default=Path("data/eval-generative/items.jsonl"))
    parser.add_argument("--out", type=Path, default=FLAGS_CSV)
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args(argv)
    sample = draw(paired(load_rows(args.items)), args.n)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for s in sample:
            w.writerow({**s, "supported_by_hand": "", "note": ""})
    print(f"{len(sample)} sentences → {args.out}")


if __name__ == "__main__":
    main()
