"""SciFact test nDCG@10 of the keyword side alone: bm25s, our index built fresh, and our index
reaching the same corpus by changes (built from 2,000 abstracts, the rest added 40 at a time, 300
removed and re-added). Cheap (no embedding): a check that the incremental index ranks exactly as
bm25s did, on a public benchmark.

    python -m evals.scale_keyword_equivalence   # prints one JSON line
"""
import json, random, statistics, time
from pathlib import Path
import numpy as np, bm25s, Stemmer
from evals.metrics import ndcg_docs
from ingest.keyword_index import KeywordIndex, KeywordRow, Tokenizer
D = Path(__file__).resolve().parents[2] / "shared" / "bench" / "scifact"
docs = [json.loads(l) for l in open(D / "corpus.jsonl")]
queries = {q["_id"]: q["text"] for q in map(json.loads, open(D / "queries.jsonl"))}
qrels = {}
for line in list(open(D / "qrels/test.tsv"))[1:]:
    q, c, s = line.split(); qrels.setdefault(q, {})[c] = float(s)
tok = Tokenizer()
texts = [f"{d['title']}\n{d['text']}" for d in docs]
rows = [KeywordRow(d["_id"], d["_id"], "all", "", "", 1, 0, 1, tuple(t)) for d, t in zip(docs, tok(texts))]
def ndcg(index):
    out = []
    for q, rel in qrels.items():
        s = index.scores(index.query_tokens(queries[q], tok))
        top = np.argsort(-s, kind="stable")[:10]
        out.append(ndcg_docs([index.node_id(int(i)) for i in top if s[i] > 0], rel))
    return statistics.fmean(out)
fresh = KeywordIndex.build(rows)
random.seed(0); order = rows[:]; random.shuffle(order)
inc = KeywordIndex.build(order[:2000])
for i in range(2000, len(order), 40):
    inc = inc.with_changes(added=order[i:i+40])
gone = random.sample(rows, 300)
inc = inc.with_changes(removed=[r.node_id for r in gone])
inc = inc.with_changes(added=gone)
ref = bm25s.BM25(); ref.index(bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False), show_progress=False)
class Ref:
    def scores(self, t): return ref.get_scores([x for x in t if x in ref.vocab_dict]) if t else np.zeros(len(docs))
    def query_tokens(self, text, tok): return tok([text])[0]
    def node_id(self, i): return docs[i]["_id"]
print(json.dumps({"queries": len(qrels), "bm25s fresh": round(ndcg(Ref()), 4), "ours fresh": round(ndcg(fresh), 4),
                  "ours after 80 adds + 300 removes/re-adds": round(ndcg(inc), 4), "positions": inc.positions, "live": inc.size}))
