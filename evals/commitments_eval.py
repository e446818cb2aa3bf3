"""Commitment extraction against the hand labels: precision, recall and time-frame accuracy.

`python -m evals.commitments_eval` loads the demo corpus with the real loaders (no index,
no embedder: extraction is a pure function of the loaded Document), runs
`ingest.commitments.extract_commitments`, prints the scores and writes
evals/reports/commitments.md.

Matching (documented here because every number depends on it):
- both sides are whitespace-normalised (`evals.metrics.norm`) and compared case-insensitively;
  predictions are de-duplicated by normalised text first, as the labels are;
- a prediction and a gold item of the same document are a candidate pair when their texts are
  equal, or one contains the other, or their token F1 (bag of lower-cased words) is >= 0.6;
- pairs are assigned one-to-one, greedily: exact matches first, then by descending F1. So a long
  prediction that swallows three gold items matches one of them and the other two are misses,
  and the growth plan's prefix-duplicate items are aligned by exact text;
- "strict" scores count only exact normalised matches.
Time frame accuracy is over matched pairs: (time_from, time_to, date) all equal to the label.

Owners and kinds (issue 11) are scored over matched pairs, per half of the labels: documents
are split into `tune` (the rules were written looking at these) and `test` (held out), the
`split` field of each label. Owner precision = correct owners / owners predicted, recall =
correct owners / owners labelled (owner strings compared case- and space-insensitively);
kind accuracy = share of matched pairs whose kind (pledge / target / milestone) equals the
label. Kinds as labelled: a pledge is something the organisation undertakes to do, a target
an end state to reach (an outcome, often measurable), a milestone a step in making or running
the plan itself (sign-off, consultation, "Next steps"). The minutes set
(evals/sets/commitments_minutes.jsonl, actions and decisions of the real governing-board
minutes in ../shared) is scored the same way when that folder is present.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evals.metrics import norm
from ingest.commitments import extract_commitments
from ingest.loaders import load_document
from ingest.manifest import corpus_files, load_manifest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "sets" / "commitments_demo.jsonl"
CORPUS = ROOT / "corpora" / "demo"
REPORT = ROOT / "evals" / "reports" / "commitments.md"
MIN_F1 = 0.6
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> Counter:
    return Counter(_WORD.findall(text.lower()))


def token_f1(a: str, b: str) -> float:
    ta, tb = tokens(a), tokens(b)
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    p, r = common / sum(ta.values()), common / sum(tb.values())
    return 2 * p * r / (p + r)


def match(pred: list[dict], gold: list[dict]) -> list[tuple[int, int, bool]]:
    """One-to-one (pred index, gold index, exact) pairs, by the rules in the module docstring."""
    cands = []
    for i, p in enumerate(pred):
        pn = norm(p["text"]).lower()
        for j, g in enumerate(gold):
            if p["doc_id"] != g["doc_id"]:
                continue
            gn = norm(g["text"]).lower()
            f1 = token_f1(pn, gn)
            exact = pn == gn
            if exact or f1 >= MIN_F1 or pn in gn or gn in pn:
                cands.append((exact, f1, i, j))
    cands.sort(key=lambda c: (c[0], c[1]), reverse=True)
    used_p, used_g, pairs = set(), set(), []
    for exact, _f1, i, j in cands:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j, exact))
    return pairs


@dataclass
class Result:
    pred: list[dict]
    gold: list[dict]
    pairs: list[tuple[int, int, bool]]
    per_doc: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # doc: (pred, gold, matched)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def precision(self) -> float:
        return self._ratio(len(self.pairs), len(self.pred))

    @property
    def recall(self) -> float:
        return self._ratio(len(self.pairs), len(self.gold))

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def strict(self) -> tuple[float, float]:
        n = sum(1 for *_, exact in self.pairs if exact)
        return self._ratio(n, len(self.pred)), self._ratio(n, len(self.gold))

    def field_accuracy(self, keys: tuple[str, ...]) -> float:
        ok = sum(all(self.pred[i].get(k) == self.gold[j].get(k) for k in keys) for i, j, _ in self.pairs)
        return self._ratio(ok, len(self.pairs))


def _same_owner(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").lower().split()) == " ".join((b or "").lower().split())


def owner_and_kind(res: Result, split: str | None = None) -> dict[str, float | int]:
    """Owner precision/recall and kind accuracy over the matched pairs whose label is in `split`."""
    pairs = [(res.pred[i], res.gold[j]) for i, j, _ in res.pairs if split is None or res.gold[j].get("split") == split]
    predicted = [(p, g) for p, g in pairs if p.get("owner")]
    labelled = [(p, g) for p, g in pairs if g.get("owner")]
    correct = sum(1 for p, g in predicted if g.get("owner") and _same_owner(p["owner"], g["owner"]))
    kinds = [(p, g) for p, g in pairs if g.get("kind")]
    gold = [g for g in res.gold if split is None or g.get("split") == split]
    preds = {i for i, j, _ in res.pairs if split is None or res.gold[j].get("split") == split}
    return {
        "gold": len(gold), "matched": len(pairs), "recall": len(pairs) / len(gold) if gold else 0.0,
        "owner_p": correct / len(predicted) if predicted else 0.0, "owner_r": correct / len(labelled) if labelled else 0.0,
        "owners_labelled": len(labelled), "owners_predicted": len(predicted), "owners_correct": correct,
        "kind_acc": sum(1 for p, g in kinds if p.get("kind") == g["kind"]) / len(kinds) if kinds else 0.0,
        "kinds": len(kinds), "preds": len(preds),
    }


def split_table(res: Result, title: str) -> list[str]:
    lines = [f"## {title}", "", "| half | gold | matched | extraction recall | owner P | owner R "
             "(correct/labelled) | kind accuracy |", "|---|---|---|---|---|---|---|"]
    for split in ("test", "tune"):
        m = owner_and_kind(res, split)
        if not m["gold"]:
            continue
        lines.append(f"| {split} | {m['gold']} | {m['matched']} | {m['recall']:.3f} | {m['owner_p']:.3f} | "
                     f"{m['owner_r']:.3f} ({m['owners_correct']}/{m['owners_labelled']}) | {m['kind_acc']:.3f} |")
    confusion = Counter((res.gold[j].get("kind"), res.pred[i].get("kind")) for i, j, _ in res.pairs if res.gold[j].get("kind"))
    lines += ["", "Kind confusion (label → predicted): " + ", ".join(f"{g}→{p}: {n}" for (g, p), n in
                                                                   sorted(confusion.items())), ""]
    return lines


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(root: Path = CORPUS, corpus: str = "demo") -> list[dict]:
    manifest = load_manifest(root, corpus)
    out: list[dict] = []
    for path in corpus_files(root):
        doc = load_document(path, manifest.meta_for(root, path))
        seen: set[str] = set()
        for c in extract_commitments(doc):
            key = norm(c["text"]).lower()
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out


def evaluate(pred: list[dict], gold: list[dict]) -> Result:
    result = Result(pred, gold, match(pred, gold))
    for doc in sorted({g["doc_id"] for g in gold} | {p["doc_id"] for p in pred}):
        n_pred = sum(p["doc_id"] == doc for p in pred)
        n_gold = sum(g["doc_id"] == doc for g in gold)
        n_match = sum(pred[i]["doc_id"] == doc for i, _, _ in result.pairs)
        result.per_doc[doc] = (n_pred, n_gold, n_match)
    return result


def report(res: Result) -> str:
    sp, sr = res.strict
    lines = [
        "# Commitment extraction (demo corpus)",
        "",
        "Generated by `python -m evals.commitments_eval` against `evals/sets/commitments_demo.jsonl`;",
        "matching rules are in the module docstring (one-to-one; exact, containment or token F1 >= 0.6).",
        "",
        "| metric | value |",
        "|---|---|",
        f"| predicted / gold / matched | {len(res.pred)} / {len(res.gold)} / {len(res.pairs)} |",
        f"| precision | {res.precision:.3f} |",
        f"| recall | {res.recall:.3f} |",
        f"| F1 | {res.f1:.3f} |",
        f"| strict (exact text) precision / recall | {sp:.3f} / {sr:.3f} |",
        f"| time frame accuracy (from, to, date) on matched | {res.field_accuracy(('time_from', 'time_to', 'date')):.3f} |",
        f"| time_to accuracy on matched | {res.field_accuracy(('time_to',)):.3f} |",
        f"| date accuracy on matched | {res.field_accuracy(('date',)):.3f} |",
        f"| owner accuracy on matched | {res.field_accuracy(('owner',)):.3f} |",
        "",
        "| document | predicted | gold | matched | precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    for doc, (p, g, m) in res.per_doc.items():
        lines.append(f"| {doc} | {p} | {g} | {m} | {res._ratio(m, p):.2f} | {res._ratio(m, g):.2f} |")
    matched_p = {i for i, _, _ in res.pairs}
    matched_g = {j for _, j, _ in res.pairs}
    lines += ["", "## Missed (gold with no prediction)", ""]
    lines += [f"- `{g['doc_id']}` {g['text']}" for j, g in enumerate(res.gold) if j not in matched_g] or ["- none"]
    lines += ["", "## Extra (predictions with no gold)", ""]
    lines += [f"- `{p['doc_id']}` {p['text'][:160]}" for i, p in enumerate(res.pred) if i not in matched_p] or ["- none"]
    wrong = [(res.pred[i], res.gold[j]) for i, j, _ in res.pairs
             if any(res.pred[i].get(k) != res.gold[j].get(k) for k in ("time_from", "time_to", "date"))]
    lines += ["", "## Time frame disagreements (matched items)", ""]
    lines += [f"- {g['text'][:100]}: predicted {p['time_from']}..{p['time_to']} {p['date'] or ''}, "
              f"gold {g['time_from']}..{g['time_to']} {g['date'] or ''}" for p, g in wrong] or ["- none"]
    return "\n".join(lines) + "\n"


def main(out: Path = REPORT) -> None:
    from evals.reviews_eval import minutes_result, reviews_report

    res = evaluate(predict(), load_gold())
    text = report(res)
    text += "\n" + "\n".join(split_table(res, "Owners and kinds, by half (test first)"))
    for half in ("test", "tune"):
        m = owner_and_kind(res, half)
        print(f"{half}: owner P {m['owner_p']:.3f} R {m['owner_r']:.3f} ({m['owners_correct']}/{m['owners_labelled']}), "
              f"kind accuracy {m['kind_acc']:.3f} on {m['matched']} matched")
    if (minutes := minutes_result()) is not None:
        text += "\n" + "\n".join(split_table(minutes, "Minutes: actions and decisions (real FGB minutes, ../shared)"))
        text += (f"Minutes extraction: {len(minutes.pred)} predicted / {len(minutes.gold)} labelled / "
                 f"{len(minutes.pairs)} matched: precision {minutes.precision:.3f}, recall {minutes.recall:.3f}.\n")
    if (reviews := reviews_report()) is not None:
        text += "\n" + reviews
        print(reviews)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    sp, sr = res.strict
    print(f"commitments: precision {res.precision:.3f} recall {res.recall:.3f} F1 {res.f1:.3f} "
          f"(strict {sp:.3f}/{sr:.3f}); time frame accuracy {res.field_accuracy(('time_from', 'time_to', 'date')):.3f} "
          f"on {len(res.pairs)} matched; report: {out}")


if __name__ == "__main__":
    main()
