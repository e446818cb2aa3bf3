"""Thumbs up/down (and an optional comment) on answers, kept in SQLite and exported as eval items.

Feedback is only worth collecting if it feeds back into the evals, so the export
writes the same JSONL question format as `evals/sets/*.jsonl` (`kind: "feedback"`):

- 👍 on an answer: the cited quotes become the gold, grouped by (doc_id, page). The
  user has vouched for them, and they are verbatim page text, so the eval scorers can
  match them exactly. `unanswerable: false`.
- 👍 on a refusal: the user agrees the documents don't cover the question, so the item
  is `unanswerable: true` with empty gold (the closest passages shown were not answers).
- 👎 on anything: we learn the answer was wrong, not what the right one is. The item is
  exported with empty gold, `unanswerable: false` and `needs_gold: true`, for a person
  to complete (a refusal marked 👎 usually means the documents *do* cover it).

Every item also carries `rating` ("up"/"down"), `comment`, `role`, the answer as shown
and the time, so a reviewer sees what the user saw. One SQLite connection per call keeps
the store safe to share between the threads that serve concurrent requests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from assistant.models import Citation

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
#: Role → the persona names used by the eval sets.
PERSONA_FOR_ROLE = {"staff": "staff", "governor": "governor", "admin": "staff"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    question    TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    citations   TEXT NOT NULL,
    history     TEXT NOT NULL DEFAULT '[]',
    role        TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment     TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class FeedbackItem:
    id: int
    created_at: str
    updated_at: str
    question: str
    answer: dict[str, Any]
    citations: list[dict[str, Any]]
    history: list[dict[str, str]]
    role: str
    rating: str
    comment: str

    @property
    def refused(self) -> bool:
        return bool(self.answer.get("refused"))

    def as_eval_item(self) -> dict[str, Any]:
        """This feedback as one line of an eval question set (rules in the module docstring)."""
        gold: list[dict[str, Any]] = []
        if self.rating == "up" and not self.refused:
            by_page: dict[tuple[str, int], list[str]] = {}
            for c in self.citations:
                phrases = by_page.setdefault((c["doc_id"], int(c["page"])), [])
                if c["quote"] not in phrases:
                    phrases.append(c["quote"])
            gold = [{"doc_id": d, "page": p, "phrases": q} for (d, p), q in by_page.items()]
        return {
            "id": f"feedback-{self.id:05d}",
            "question": self.question,
            "persona": PERSONA_FOR_ROLE.get(self.role, "staff"),
            "kind": "feedback",
            "gold": gold,
            "unanswerable": self.rating == "up" and self.refused,
            "needs_gold": self.rating == "down",
            "history": self.history,
            "rating": self.rating,
            "comment": self.comment,
            "role": self.role,
            "answer": self.answer.get("answer", ""),
            "refused": self.refused,
            "created_at": self.created_at,
        }


class FeedbackStore:
    """Durable feedback at `path` (normally `settings.data_dir / "feedback.sqlite3"`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    # -- writing ---------------------------------------------------------------------------
    def add(
        self,
        question: str,
        answer_json: str,
        citations: Iterable[Citation | Mapping[str, Any]],
        role: str,
        rating: Rating,
        comment: str = "",
        history: Iterable[Mapping[str, str]] = (),
    ) -> int:
        """Store one rating of one answer; returns its id (for `update`)."""
        _check_rating(rating)
        json.loads(answer_json)  # refuse to store something the export could not read back
        cites = [c.model_dump() if isinstance(c, Citation) else dict(c) for c in citations]
        now = _now()
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, updated_at, question, answer_json, citations, history,"
                " role, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, now, question, answer_json, json.dumps(cites, ensure_ascii=False),
                 json.dumps([dict(t) for t in history], ensure_ascii=False), role, rating, comment.strip()),
            )
            return int(cur.lastrowid)

    def update(self, feedback_id: int, rating: Rating | None = None, comment: str | None = None) -> bool:
        """Change the rating or comment of earlier feedback (the user changed their mind or added a note)."""
        if rating is not None:
            _check_rating(rating)
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "UPDATE feedback SET rating = COALESCE(?, rating), comment = COALESCE(?, comment),"
                " updated_at = ? WHERE id = ?",
                (rating, comment.strip() if comment is not None else None, _now(), feedback_id),
            )
            return cur.rowcount == 1

    # -- reading -----------------------------------------------------------------------------
    def get(self, feedback_id: int) -> FeedbackItem | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
        return _item(row) if row else None

    def items(self) -> list[FeedbackItem]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [_item(r) for r in rows]

    def export_jsonl(self, path: Path) -> int:
        """Write every item in the eval question format (one JSON object a line); returns the count."""
        items = self.items()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item.as_eval_item(), ensure_ascii=False) + "\n")
        return len(items)


def _check_rating(rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _item(row: sqlite3.Row) -> FeedbackItem:
    return FeedbackItem(
        id=row["id"], created_at=row["created_at"], updated_at=row["updated_at"], question=row["question"],
        answer=json.loads(row["answer_json"]), citations=json.loads(row["citations"]),
        history=json.loads(row["history"]), role=row["role"], rating=row["rating"], comment=row["comment"],
    )
