"""Bytes → text for every text format, decided per file (and per line where a file mixes).

Trust documents arrive in whatever a web page or an old PC saved: UTF-8, Windows-1252,
GB2312 or Shift-JIS from a partner school, UTF-16 from Notepad (with or without a BOM), and
UTF-8 files with one pasted Latin-1 line. Falling back to cp1252 for a whole file turned all
of those into mojibake. Order of decisions:

1. a byte-order mark (UTF-32 before UTF-16, whose BOM is its prefix; UTF-8-sig);
2. UTF-16/32 without a BOM, recognised by where the zero bytes fall;
3. strict UTF-8;
4. UTF-8 with a few undecodable lines: those lines alone are decoded as cp1252;
5. charset-normalizer's best guess on a sample (Latin families resolved to cp1252, the
   Windows superset UK files are in); cp1252 with replacement as the last resort.

`binary_offset` finds where decoded text stops being text, so a file that is text for its
first kilobytes and binary after (a truncated download glued to junk) is refused instead of
becoming hundreds of garbage chunks.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LATIN = ("cp125", "latin", "iso8859", "mac_", "cp437", "cp850", "ascii")
SAMPLE = 64 * 1024  # detection sample; the whole file is decoded with the answer


def wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 (LE/BE) without a BOM, told by the zero bytes of mostly-ASCII text."""
    n = len(head) - len(head) % 4
    if n < 16:
        return None
    zeros = [sum(1 for i in range(k, n, 4) if head[i] == 0) / (n // 4) for k in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.5:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.5:
        return "utf-32-be"
    odd = (zeros[1] + zeros[3]) / 2
    even = (zeros[0] + zeros[2]) / 2
    if odd > 0.7 and even < 0.2:
        return "utf-16-le"
    if even > 0.7 and odd < 0.2:
        return "utf-16-be"
    return None


def detect(data: bytes) -> str:
    """The codec name to decode `data` with (see the module docstring for the order)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if wide := wide_encoding(data[:4096]):
        return wide
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return "utf-8+cp1252"
    best = from_bytes(data[:SAMPLE]).best()
    if best is None:
        return "cp1252"
    name = best.encoding.lower()
    if name.startswith(_LATIN) and not _undefined_in_cp1252(data[:SAMPLE]):
        return "cp1252"
    return name


def decode(data: bytes) -> str:
    """Text of `data`, never failing (undecodable bytes become U+FFFD), with newlines normalised."""
    encoding = detect(data)
    if encoding == "utf-8+cp1252":
        lines = data.split(b"\n")
        other = _minority_encoding([line for line in lines if not _is_utf8(line)])
        text = "\n".join(line.decode("utf-8") if _is_utf8(line) else line.decode(other, errors="replace")
                         for line in lines)
    else:
        text = data.decode(encoding, errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def binary_offset(text: str, window: int = 4096, limit: float = 0.05) -> int | None:
    """Character offset of the first window that looks like binary (controls, NULs, U+FFFD)."""
    for start in range(0, len(text), window):
        part = text[start : start + window]
        bad = sum(1 for c in part if (c < " " and c not in "\n\t\f\r") or c == "\ufffd")
        if len(part) >= 64 and bad / len(part) > limit:
            return start
    return None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _minority_encoding(lines: list[bytes]) -> str:
    """The encoding of the lines that are not UTF-8: cp1252 unless clearly something else."""
    sample = b"\n".join(lines)[:SAMPLE]
    best = from_bytes(sample).best() if len(sample) >= 32 else None
    if best is None or best.encoding.lower().startswith(_LATIN) or best.encoding.lower().startswith("utf"):
        return "cp1252"
    return best.encoding


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a minority of lines that are not (a pasted Latin-1 line), and real UTF-8 text."""
    lines = data.split(b"\n")
    bad = 0
    multibyte = False
    for line in lines:
        if _is_utf8(line):
            multibyte = multibyte or not line.isascii()
        else:
            bad += 1
    return bad <= max(1, len(lines) // 10) and (multibyte or len(lines) > 2 * bad)


def _undefined_in_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return False
    except UnicodeDecodeError:
        return True
