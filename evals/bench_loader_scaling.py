"""Loader + chunker cost at two input sizes: a ratio near 2 is linear, near 4 quadratic.

    nice -n 19 python -m evals.bench_loader_scaling [--project DIR] [--timeout 120]

Each pathological input of issue 15 (deep HTML, nested furniture, Markdown emphasis and image
openers, run-on text, one paragraph of many sentences, a DOCX of empty paragraphs) is written
at size n and 2n, then loaded (`load_document`, content sniffing included) and chunked with the
embedder's tokenizer, in a fresh process rooted at `--project`, so an older checkout can be
measured side by side. A case over `--timeout` seconds is reported as such.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {  # name: (file suffix, python expression building the bytes from n, n)
    "html deep <div>": (".html", "b'<html><body>' + b'<div>' * n + b'<p>x</p>' + b'</div>' * n + b'</body></html>'", 1500),
    "html nested nav divs": (".html", "b'<html><body><p>' + b'word ' * 4000 + b'</p>' + b'<div class=\"nav-x\">' * n"
                                      " + b'<p>x</p>' + b'</div>' * n + b'</body></html>'", 1500),
    "html deep <span> (furniture pass)": (".html", "b'<html><body><p>' + b'<span>' * n + b'x' + b'</span>' * n"
                                                  " + b'</p></body></html>'", 1500),
    "html deep <ul><li>": (".html", "b'<html><body>' + b'<ul><li>' * n + b'x' + b'</li></ul>' * n + b'</body></html>'", 1500),
    "markdown '*a '": (".md", "b'*a ' * n", 4000),
    "markdown '!['": (".md", "b'![' * n", 4000),
    "run-on text": (".txt", "(b'word ' * 12 + b'and ') * (n // 64)", 16_000),
    "one paragraph, many sentences": (".txt", "b'This is a sentence. ' * (n // 20)", 32_000),
    "docx empty paragraphs": (".docx", "docx_bytes(n)", 10_000),
}

DRIVER = r"""
import io, json, sys, tempfile, time
from pathlib import Path
import docx
from ingest.chunking import chunk_document
from ingest.embedding import get_embedder, tokenizer_of
from ingest.loaders import load_document
from ingest.models import DocumentMeta
from ingest.settings import Settings

def docx_bytes(n):
    d = docx.Document()
    d.add_paragraph("Policy heading text.")
    for _ in range(n):
        d.add_paragraph("")
    buf = io.BytesIO(); d.save(buf); return buf.getvalue()

tok = tokenizer_of(get_embedder(Settings()))
count = lambda t: len(tok(t, add_special_tokens=False)["input_ids"])
suffix, expr, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = eval(expr)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / ("case" + suffix)
    path.write_bytes(data)
    t = time.perf_counter()
    try:
        doc = load_document(path, DocumentMeta(doc_id="case", title="case", source_path=str(path)))
        chunks = chunk_document(doc, count, 200)
        out = {"s": time.perf_counter() - t, "chunks": len(chunks), "max_chars": max(len(c.text) for c in chunks)}
    except Exception as exc:
        out = {"s": time.perf_counter() - t, "error": type(exc).__name__}
print("RESULT " + json.dumps(out))
"""


def measure(project: Path, suffix: str, expr: str, n: int, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", DRIVER, suffix, expr, str(n)], cwd=project, timeout=timeout,
                              capture_output=True, text=True, env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"})
    except subprocess.TimeoutExpired:
        return {"s": timeout, "error": f"over {timeout:g} s"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    return json.loads(line[7:]) if line else {"s": 0, "error": done.stderr.strip().splitlines()[-1][:60]}


def describe(r: dict) -> str:
    if "error" in r:
        return f"{r['s']:.2f} s ({r['error']})"
    return f"{r['s']:.2f} s, {r['chunks']} chunks ≤ {r['max_chars']:,} chars"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print("| input | n | time at n | time at 2n | ratio |")
    print("|---|---|---|---|---|")
    for name, (suffix, expr, n) in CASES.items():
        if args.only not in name:
            continue
        a = measure(args.project.resolve(), suffix, expr, n, args.timeout)
        b = measure(args.project.resolve(), suffix, expr, 2 * n, args.timeout)
        ratio = f"{b['s'] / a['s']:.1f}" if a["s"] > 0.05 and "error" not in a and "error" not in b else "–"
        print(f"| {name} | {n:,} | {describe(a)} | {describe(b)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
