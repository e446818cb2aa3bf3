"""The new-hire onboarding path: topics in order, and each user's progress through them.

A trust lists its path in `sources.toml` (`[[onboarding]]` topic + question). A
corpus without one still gets a path, proposed from its own section structure: the
first headings about values, vision, mission, curriculum, SEND, wellbeing... become
"What does <document> say about <heading>?" — questions the documents can answer.
Progress is kept per user in SQLite under `settings.data_dir`, keyed by a hash of
the user's access key (never the key itself) or "anonymous", so it survives restarts.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from assistant.access import PUBLIC
from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.suggest import headings_of, nice, question_for, same_as_title
from ingest.manifest import OnboardingTopic

DB_NAME = "onboarding.sqlite3"
MAX_DEFAULT_TOPICS = 6
#: What a new member of staff reads first, in order; each finds the first heading that matches.
DEFAULT_THEMES = [
    r"\bvalues?\b", r"\bvision\b", r"\bmission\b", r"\bethos\b|\bculture\b", r"\bcurriculum\b",
    r"\blessons?\b|\bteaching\b", r"\bsend\b|\binclusi\w+|special educational", r"well-?being|mental health",
    r"\bsafeguarding\b", r"\bbehaviour\b", r"\bstrateg\w+|\bimprovement\b|\bpriorit\w+",
]


def onboarding_path(kb: KnowledgeBase, principal: Principal | None = None) -> list[OnboardingTopic]:
    """The manifest's path, or one proposed from the documents' headings when it has none."""
    topics = kb.manifest().onboarding
    return list(topics) if topics else default_path(kb, principal)


def default_path(kb: KnowledgeBase, principal: Principal | None = None) -> list[OnboardingTopic]:
    """Topics from the corpus's own headings (only documents for everyone unless a principal is given)."""
    docs = []
    for doc in kb.readable_documents(principal if principal is not None else PUBLIC):
        heads = headings_of(kb, doc.doc_id, principal)
        if heads:
            docs.append((doc.title, [(p[-1], lvl) for p, lvl in heads
                                     if len(p[-1].split()) <= 8 and not same_as_title(p[-1], doc.title)]))
    topics: list[OnboardingTopic] = []
    used: set[str] = set()
    for pattern in DEFAULT_THEMES:
        found = [(lvl, i, title, h) for i, (title, heads) in enumerate(docs) for h, lvl in heads
                 if re.search(pattern, h, re.I) and h not in used]
        if found:
            # the most specific heading ("Our Vision" over "Vision & Mission - Lilian Baylis ..."), then the highest
            _, _, title, heading = min(found, key=lambda f: (len(f[3].split()), f[0], f[1]))
            used.add(heading)
            topics.append(OnboardingTopic(nice(heading), question_for(title, heading)))
        if len(topics) >= MAX_DEFAULT_TOPICS:
            return topics
    for title, heads in docs:  # a corpus with none of the usual themes: each document's first heading
        if len(topics) >= MAX_DEFAULT_TOPICS:
            break
        if heads and heads[0][0] not in used:
            used.add(heads[0][0])
            topics.append(OnboardingTopic(nice(heads[0][0]), question_for(title, heads[0][0])))
    return topics


def user_id(key: str | None) -> str:
    """Progress is keyed by a hash of the access key, so the database never holds a key."""
    key = (key or "").strip()
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:24] if key else "anonymous"


class ProgressStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS onboarding_progress (user TEXT NOT NULL, topic TEXT NOT NULL,"
                       " done_at TEXT NOT NULL, PRIMARY KEY (user, topic))")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def done(self, user: str) -> set[str]:
        with self._connect() as db:
            return {r[0] for r in db.execute("SELECT topic FROM onboarding_progress WHERE user = ?", (user,))}

    def mark_done(self, user: str, topic: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock, self._connect() as db:
            db.execute("INSERT OR IGNORE INTO onboarding_progress VALUES (?, ?, ?)", (user, topic, now))

    def reset(self, user: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM onboarding_progress WHERE user = ?", (user,))


_stores: dict[Path, ProgressStore] = {}
_stores_lock = threading.Lock()


def progress_store(kb: KnowledgeBase) -> ProgressStore:
    path = kb.settings.data_dir / DB_NAME
    with _stores_lock:
        if path not in _stores:
            _stores[path] = ProgressStore(path)
        return _stores[path]


def next_topic(kb: KnowledgeBase, key: str | None, principal: Principal | None = None) -> OnboardingTopic | None:
    """The first topic of the path this user has not finished; None when they have done them all."""
    done = progress_store(kb).done(user_id(key))
    return next((t for t in onboarding_path(kb, principal) if t.topic not in done), None)


def mark_done(kb: KnowledgeBase, key: str | None, topic: str) -> None:
    progress_store(kb).mark_done(user_id(key), topic)


def progress(kb: KnowledgeBase, key: str | None, principal: Principal | None = None) -> tuple[int, int]:
    """(topics done, topics on the path)."""
    path = onboarding_path(kb, principal)
    done = progress_store(kb).done(user_id(key))
    return sum(t.topic in done for t in path), len(path)


def reset(kb: KnowledgeBase, key: str | None) -> None:
    progress_store(kb).reset(user_id(key))
