"""A hostile corpus generated on demand: each class of broken or pathological file from issue 15,
at a chosen size, mixed with good files (generated and, when present, real school PDFs).

`build(root, scale)` writes the files and returns what each one is expected to become:
"ingested" (a good file, or a hostile one a robust ingest must still read), "failed" (must be
reported with a reason) or "skipped" (an entry the corpus walk must refuse or skip, and report).
`scale` multiplies the pathological sizes: 1 is small enough for CI, the benchmark uses more.
The same module serves tests/test_fuzz_ingest.py and evals/bench_fuzz_ingest.py.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx

from tests import docgen

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdocs" / "decoy-primary"
REAL_PICKS = ("2022-promoting-positive-behaviour-policy.pdf", "fgb-minutes-23-may-2022-final.pdf")

GOOD_TEXT = (
    "Attendance Policy\n\nEvery pupil is expected to attend school every day. "
    "The attendance officer contacts families on the first day of any absence.\n"
)
SENTENCE = "The trust will publish its safeguarding review to governors each term. "


@dataclass
class Entry:
    name: str  # relative path (str; may hold surrogate escapes for a non-UTF-8 name)
    expect: str  # ingested | failed | skipped
    kind: str  # the class of hostility, for the report
    needle: str = ""  # text the ingested document must contain (checks decoding)


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _docx_bytes(paragraphs: list[str]) -> bytes:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip_bomb_docx(inflated_mb: int) -> bytes:
    """A valid-looking .docx whose document.xml inflates to `inflated_mb` MB of one run's text."""
    good = zipfile.ZipFile(io.BytesIO(_docx_bytes(["x"])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in good.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, good.read(item))
        head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>")
        with out.open("word/document.xml", "w") as xml:
            xml.write(head)
            block = b"a" * (1 << 20)
            for _ in range(inflated_mb):
                xml.write(block)
            xml.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


def _broken_xml_docx() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(_docx_bytes(["Broken document"])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            out.writestr(item, data)
    return buf.getvalue()


def build(root: Path, scale: int = 1, real: bool = True, specials: bool = True) -> list[Entry]:
    """Write the fuzz corpus under `root` (created) and return the expectation for each entry."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(15)
    entries: list[Entry] = []

    def add(rel: str, data: bytes, expect: str, kind: str, needle: str = "") -> None:
        _write(root, rel, data)
        entries.append(Entry(rel, expect, kind, needle))

    # -- good files ----------------------------------------------------------------------
    add("good/attendance.txt", GOOD_TEXT.encode(), "ingested", "good", "attendance officer")
    add("good/values.md", b"# Our values\n\nKindness, ambition and respect guide every lesson.\n",
        "ingested", "good", "Kindness")
    add("good/page.html", b"<html><body><main><h1>Admissions</h1><p>We admit pupils in September.</p>"
        b"</main></body></html>", "ingested", "good", "admit pupils")
    docgen.report_docx(root / "good" / "plan.docx")
    entries.append(Entry("good/plan.docx", "ingested", "good", "Every child"))
    pdf = docgen.report_pdf_bytes()
    add("good/report.pdf", pdf, "ingested", "good")
    if real and REAL.exists():
        for name in REAL_PICKS:
            if (REAL / name).exists():
                add(f"real/{name}", (REAL / name).read_bytes(), "ingested", "real pdf")

    # -- broken binaries ---------------------------------------------------------------
    add("bad/truncated.pdf", pdf[: len(pdf) // 2], "failed", "truncated pdf")
    flipped = bytearray(pdf)
    for i in rng.sample(range(200, len(flipped) - 200), 40):
        flipped[i] ^= 0xFF
    add("bad/bitflip.pdf", bytes(flipped), "any", "bit-flipped pdf")
    add("bad/bomb.docx", _zip_bomb_docx(64 * scale), "failed", "zip bomb docx")
    add("bad/broken-xml.docx", _broken_xml_docx(), "failed", "broken xml docx")
    add("bad/binary.txt", bytes(rng.randrange(256) for _ in range(8192)), "failed", "binary as text")
    add("bad/text-then-binary.txt", (SENTENCE * 70).encode() + bytes(rng.randrange(256) for _ in range(50_000)),
        "failed", "binary past the sniff window")
    add("bad/exe.pdf", b"MZ\x90\x00" + bytes(4000), "failed", "exe as pdf")
    add("bad/empty.txt", b"", "failed", "empty")
    add("bad/notes.xyz", b"unsupported", "failed", "unsupported type")

    # -- pathological structure (must be read, fast) -----------------------------------------
    depth = 1500 * scale
    add("slow/deep-div.html", b"<html><body>" + b"<div>" * depth + b"<p>Deep text survives.</p>"
        + b"</div>" * depth + b"</body></html>", "ingested", "deep html", "Deep text survives")
    add("slow/deep-list.html", b"<html><body>" + b"<ul><li>" * depth + b"Deepest item"
        + b"</li></ul>" * depth + b"</body></html>", "ingested", "deep list html", "Deepest item")
    soup = "".join(rng.choice(["<p>", "<div>", "</p>", "<b>", "</div>", "<td>", "word ", "<li>", "</i>", "&amp;"])
                   for _ in range(20_000 * scale))
    add("slow/tag-soup.html", f"<html><body>{soup}</body></html>".encode(), "any", "tag soup html")
    add("slow/italics.md", ("*a " * 8000 * scale).encode(), "ingested", "markdown italics")
    add("slow/images.md", ("![" * 8000 * scale).encode(), "ingested", "markdown images")
    add("slow/run-on.txt", (("word " * 12 + "and ") * 800 * scale).encode(), "ingested", "run-on text")
    add("slow/one-token.txt", ("x" * 400_000 * scale).encode(), "ingested", "huge word")
    add("slow/empty-paras.docx", _docx_bytes(["Policy heading text."] + [""] * 5000 * scale),
        "ingested", "many docx paragraphs", "Policy heading")

    # -- encodings --------------------------------------------------------------------------
    zh = "学校的安全保护政策由董事会每年审查一次。所有教职员工都必须接受培训。"
    add("enc/gb2312.txt", (zh * 4).encode("gb2312"), "ingested", "gb2312", "安全保护政策")
    ja = "学校の安全方針は毎年理事会で見直されます。すべての職員は研修を受けなければなりません。"
    add("enc/shift-jis.txt", (ja * 4).encode("shift_jis"), "ingested", "shift-jis", "安全方針")
    add("enc/latin1-line.txt", ("Our school café opens daily. " * 20).encode() + b"\nThe caf\xe9 is run by parents.\n",
        "ingested", "one latin-1 line", "school café opens")
    add("enc/utf16-nobom.txt", (SENTENCE * 6).encode("utf-16-le"), "ingested", "utf-16 no bom", "safeguarding review")
    add("enc/utf32.txt", (SENTENCE * 6).encode("utf-32"), "ingested", "utf-32", "safeguarding review")
    add("enc/bad-\udcff\udcfe.txt", GOOD_TEXT.encode(), "ingested", "non-utf-8 name", "attendance officer")

    # -- what the walk must skip and report ------------------------------------------------
    add(".hidden.txt", GOOD_TEXT.encode(), "skipped", "hidden file")
    if specials:
        outside = root.parent / f"{root.name}-outside"
        outside.mkdir(exist_ok=True)
        (outside / "secret.txt").write_text("The outside secret is Project Heron.\n")
        os.symlink(outside / "secret.txt", root / "link-out.txt")
        entries.append(Entry("link-out.txt", "skipped", "symlink out of the corpus"))
        os.symlink(outside, root / "dir-out")
        entries.append(Entry("dir-out", "skipped", "directory symlink out of the corpus"))
        os.symlink(root / "nowhere.txt", root / "dangling.txt")
        entries.append(Entry("dangling.txt", "skipped", "dangling link"))
        os.mkfifo(root / "pipe.txt")
        entries.append(Entry("pipe.txt", "skipped", "fifo"))
        os.symlink(root / "good" / "attendance.txt", root / "link-in.txt")
        entries.append(Entry("link-in.txt", "ingested", "symlink inside the corpus", "attendance officer"))
    return entries


def clean(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(root.parent / f"{root.name}-outside", ignore_errors=True)
