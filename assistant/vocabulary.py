"""Staff words ↔ document words: the committed English-schools vocabulary, as query expansion.

Staff ask "what's the SENCO's role?" of a policy that says "special educational needs
co-ordinator", or "how do we support EHCP kids?" of one that says "Education, Health and Care
Plan". Dense search bridges some of that; the keyword side cannot. `Vocabulary` finds the groups a
question uses (assistant/data/vocabulary.toml, reviewable by anyone) and gives the other variants,
so BM25 searches them too, and so a focus term counts as present in a passage when any variant is.

Acronyms of two letters (PP, LA, TA) match only in capitals: "la" and "pp." are not them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.units import terms

QUESTION_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:[-'’][A-Za-z0-9\u00C0-\u024F]+)*")  # a question's words, compounds whole

VOCABULARY_FILE = Path(__file__).with_name("data") / "vocabulary.toml"


def _pattern(variant: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in variant.split())
    flags = 0 if (variant.isupper() and len(variant) <= 2) else re.I
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


@dataclass(frozen=True)
class Group:
    variants: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


class Vocabulary:
    def __init__(self, groups: list[list[str]]) -> None:
        self.groups = [Group(tuple(g), tuple(_pattern(v) for v in g)) for g in groups if len(g) > 1]

    @classmethod
    def load(cls, path: Path = VOCABULARY_FILE) -> "Vocabulary":
        with open(path, "rb") as fh:
            return cls(tomllib.load(fh)["groups"])

    def groups_in(self, text: str) -> list[Group]:
        return [g for g in self.groups if g.found_in(text)]

    def expansion(self, question: str) -> str:
        """The other variants of every group the question uses, as extra keyword-search text
        (weighted by `Settings.expansion_weight` against the question's own words)."""
        extra: list[str] = []
        for group in self.groups_in(question):
            extra += [v for v in group.variants if not _pattern(v).search(question)]
        return " ".join(extra)

    def focus_groups(self, question: str) -> list[tuple[set[str], Group | None]]:
        """The question's content terms, with a term of a vocabulary group folded into its group.

        Each entry is (stemmed terms, group): present in a passage when any of the terms is, or
        when the group is. Used to tell which parts of a question a passage does not mention.
        """
        used = self.groups_in(question)
        covered: set[str] = set()
        out: list[tuple[set[str], Group | None]] = []
        for group in used:
            stems = set()
            for p in group.patterns:
                for m in p.finditer(question):
                    stems |= terms(m.group(0))
            covered |= stems
            out.append((stems, group))
        for word in QUESTION_WORD.findall(question):  # one entry a word: "non-negotiable" is one thing asked about,
            stems = terms(word) - covered       # not three ("non", "negotiable" and the compound)
            if stems:
                covered |= stems
                out.append((stems, None))
        return out


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """Loaded once per process: the file is part of the code, not of a corpus."""
    return Vocabulary.load()
