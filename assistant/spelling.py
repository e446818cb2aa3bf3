"""Typos in a question corrected to words the documents use.

Staff type fast: "what's in the imporvement model?", "how big was the catch-up bugdet?". A
misspelt word matches nothing in the keyword search, embeds as noise, and, worst, counts as a
term no document mentions, which is the refusal model's strongest signal. Measured on the tune
halves with one swapped letter in each question's longest word, containment fell from 0.57 to
0.37 (demo) and 0.50 to 0.29 (real PDFs), and false refusals rose to 15-20%.

A word is corrected only when all of these hold, so a real question is never rewritten:
- it is at least five letters, lower case (a capitalised word mid-question is a name or an
  acronym: "Evemy" is not a typo of "enemy") and not part of a compound or a number;
- no document the asker may read holds it (its stem), and it is not an English word in its own
  right (`wordfreq`, Zipf frequency below `REAL_WORD_ZIPF`): "defibrillator" is a real word the
  documents lack, and must stay missing so the question is refused;
- an English word within one edit (two, for words of eight letters or more; a swap of two
  neighbouring letters is one edit), starting with the same letter, is in those documents, and
  the word typed is not that word with a prefix ("unestablished"). The nearest wins; among
  equally near ones, the one more documents use.

Candidates come from wordfreq's English list (80,000 words, shipped in the package: nothing is
downloaded) and are searched with rapidfuzz's Damerau-Levenshtein distance (about 15 ms for a
misspelt word; a question without one costs a few dictionary lookups).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from assistant.units import stems

PREFIXES = ("un", "re", "non", "dis", "mis", "in", "im", "de", "pre", "over", "under")
REAL_WORD_ZIPF = 2.0  # wordfreq's Zipf scale: 2.0 is about once per 100 million words
LIST_SIZE = 80_000
_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w'’-])")


@dataclass(frozen=True)
class Correction:
    typed: str
    corrected: str


class Speller:
    """English words with their stems, loaded once per process (`default_speller`)."""

    def __init__(self, size: int = LIST_SIZE) -> None:
        import wordfreq

        self._zipf = wordfreq.zipf_frequency
        self.words = [w for w in wordfreq.top_n_list("en", size) if w.isascii() and w.isalpha() and len(w) >= 3]
        self.stems = dict(zip(self.words, stems(self.words)))

    def corrections(self, question: str, doc_freq: Callable[[str], int]) -> list[Correction]:
        """The question's misspelt words and what they become (`doc_freq(stem)`: chunks holding it)."""
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        out = []
        for m in _WORD.finditer(question):
            word = m.group()
            lower = word.lower()
            first = not question[: m.start()].strip(" \"'“‘(")
            if len(word) < 5 or not (word.islower() or (first and word[1:].islower())):
                continue
            if doc_freq(stems([lower])[0]) > 0 or self._zipf(lower, "en") >= REAL_WORD_ZIPF:
                continue
            limit = 2 if len(word) >= 8 else 1
            found = process.extract(lower, self.words, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=25)
            known = [(dist, -doc_freq(self.stems[w]), w) for w, dist, _ in found
                     if w[0] == lower[0] and not _derived(lower, w) and doc_freq(self.stems[w]) > 0]
            if known:
                best = min(known)[2]
                out.append(Correction(word, best.capitalize() if word[0].isupper() else best))
        return out

    def correct(self, question: str, doc_freq: Callable[[str], int]) -> str:
        """`question` with its misspelt words replaced (see `corrections`)."""
        for c in self.corrections(question, doc_freq):
            question = re.sub(rf"(?<![\w'’-]){re.escape(c.typed)}(?![\w'’-])", c.corrected, question)
        return question


def _derived(typed: str, word: str) -> bool:
    """"unestablished" is "established" with a prefix: a word of its own, not a typo of it."""
    return typed.endswith(word) and typed[: len(typed) - len(word)] in PREFIXES


@lru_cache(maxsize=1)
def default_speller() -> Speller:
    return Speller()
