"""Which organisation a question is about: named in it, or the asker's own when they say "our".

A trust's library holds several schools' (and the local authority's) documents of the same kind,
so "what is the behaviour policy at Lilian Baylis?" must not be answered from another school's
policy. Names come from the corpus itself (each chunk's organisation), with the short forms people
use: the distinctive words ("Lilian Baylis", "Luton", "Basildon"), and the initials of a name of
three or more capitalised words ("LBTS"). Generic words (school, trust, council…) never name one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

GENERIC = frozenset("""a an the of and for in at multi-academy multi academy academies trust trusts school schools
    primary secondary infant junior nursery college council borough county city district federation
    partnership learning education educational technology community church england catholic ce rc
    foundation unknown organisation organization local authority high grammar free studio""".split())
FIRST_PERSON = re.compile(r"\b(?:our|ours|we|us|here)\b", re.I)


def short_forms(name: str) -> list[str]:
    """How people refer to `name`: the full name, its distinctive words, and its initials."""
    words = re.findall(r"[A-Za-z][A-Za-z'’.-]*", name)
    distinctive = [w for w in words if w.lower() not in GENERIC and w[:1].isupper()]
    forms = [name]
    if distinctive:
        forms.append(" ".join(distinctive))
        forms += [w for w in distinctive if len(w) >= 4]
    capitals = [w for w in words if w[:1].isupper() and w.lower() not in ("a", "an", "the")]
    if len(capitals) >= 3:
        forms.append("".join(w[0] for w in capitals).upper())
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class OrganisationNames:
    """Matchers for the organisations present in one corpus."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def of(cls, names: Iterable[str]) -> "OrganisationNames":
        pats = []
        for name in sorted(set(names)):
            if not name or name.lower() in ("unknown organisation", "unknown"):
                continue
            for form in short_forms(name):
                flags = 0 if form.isupper() else re.I
                body = r"\s+".join(re.escape(w) for w in form.split())
                pats.append((name, re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)))
        return cls(tuple(pats))

    def named_in(self, question: str) -> list[str]:
        """Organisations the question names, in the corpus's own spelling."""
        return list(dict.fromkeys(name for name, p in self.patterns if p.search(question)))


def scope_for(question: str, names: OrganisationNames, own: str | None) -> list[str]:
    """Organisations to restrict a search to: those named, else the asker's own for "our …"."""
    named = names.named_in(question)
    if named:
        return named
    if own and FIRST_PERSON.search(question):
        return [own]
    return []
