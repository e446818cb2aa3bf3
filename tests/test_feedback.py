"""FeedbackStore on a real SQLite file: round trip, persistence, and the eval-set export format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation, Sentence

PROJECT = Path(__file__).resolve().parents[1]
DUDLEY = PROJECT / "corpora" / "demo" / "dudley-trust-values-vision-mission.txt"
DOC_ID = "demo/dudley-trust-values-vision-mission.txt"
#: The keys every line of evals/sets/demo.jsonl has; feedback items must have them too.
EVAL_KEYS = {"id", "question", "persona", "kind", "gold", "unanswerable", "history"}


def cite(n: int, phrase: str, page: int = 1) -> Citation:
    """A citation whose quote really is text[start:end] of the demo file, as the assistant makes them."""
    text = DUDLEY.read_text(encoding="utf-8")
    start = text.index(phrase)
    return Citation(n=n, doc_id=DOC_ID, title="Values, Vision and Mission", organisation="A Dudley trust",
                    section="Our Values", page=page, quote=text[start:start + len(phrase)], start=start,
                    end=start + len(phrase), chunk_id=f"{DOC_ID}#x-{n}", score=0.8)


def answered() -> Answer:
    cites = [cite(1, "Dreaming big"), cite(2, "Rewarding effort"), cite(3, "Dreaming big")]
    return Answer(answer="Dreaming big [1] and rewarding effort [2].", citations=cites,
                  sentences=[Sentence(text="Dreaming big and rewarding effort.", citations=[1, 2])])


def refused() -> Answer:
    return Answer(answer="The documents you can access don't cover this.", refused=True,
                  citations=[cite(1, "Leading together")])


def test_round_trip_and_update(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    a = answered()
    fid = store.add("What are our values?", a.model_dump_json(), a.citations, "staff", "up",
                    history=[{"role": "user", "content": "hi"}])
    item = store.get(fid)
    assert item is not None
    assert (item.question, item.role, item.rating, item.comment) == ("What are our values?", "staff", "up", "")
    assert Answer(**item.answer) == a
    assert [Citation(**c) for c in item.citations] == a.citations
    assert item.history == [{"role": "user", "content": "hi"}]

    assert store.update(fid, rating="down", comment="  Missed the other school's values.  ")
    item = store.get(fid)
    assert (item.rating, item.comment) == ("down", "Missed the other school's values.")
    assert store.update(fid, comment="changed") and store.get(fid).rating == "down"  # rating kept
    assert not store.update(fid + 99, comment="no such row")
    assert store.get(fid + 99) is None


def test_rejects_bad_input_without_writing(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    a = answered()
    with pytest.raises(ValueError, match="rating"):
        store.add("q", a.model_dump_json(), a.citations, "staff", "meh")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.add("q", "{not json", a.citations, "staff", "up")
    fid = store.add("q", a.model_dump_json(), a.citations, "staff", "up")
    with pytest.raises(ValueError, match="rating"):
        store.update(fid, rating="sideways")  # type: ignore[arg-type]
    assert [i.id for i in store.items()] == [fid]


def test_persists_across_instances_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "feedback.sqlite3"
    a = answered()
    first = FeedbackStore(path).add("What are our values?", a.model_dump_json(), a.citations, "governor", "down",
                                    comment="Too short")
    assert path.exists()
    # a brand-new store object (as after a server restart) sees the row…
    again = FeedbackStore(path)
    assert [(i.id, i.rating, i.comment, i.role) for i in again.items()] == [(first, "down", "Too short", "governor")]
    # …and so does plain sqlite3: the data is in the file, not in memory
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question, rating, comment FROM feedback").fetchall() == [
            ("What are our values?", "down", "Too short")]
    second = again.add("Another?", a.model_dump_json(), a.citations, "staff", "up")
    assert second > first


def test_export_is_the_eval_question_format(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    good, no = answered(), refused()
    up = store.add("What are our values?", good.model_dump_json(), good.citations, "staff", "up", "Spot on")
    down = store.add("What are our values?", good.model_dump_json(), good.citations, "governor", "down", "Wrong")
    agree = store.add("Term dates?", no.model_dump_json(), no.citations, "admin", "up")
    disagree = store.add("Uniform supplier?", no.model_dump_json(), no.citations, "staff", "down", "It's in there")

    out = tmp_path / "export" / "feedback.jsonl"
    assert store.export_jsonl(out) == 4
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {item["id"]: item for item in lines}
    assert list(by_id) == [f"feedback-{i:05d}" for i in (up, down, agree, disagree)]
    for item in lines:
        assert EVAL_KEYS <= set(item), item
        assert item["kind"] == "feedback"
        assert item["persona"] in {"staff", "governor", "new_hire"}

    # 👍 on an answer: cited quotes are gold, grouped per page, de-duplicated, verbatim in the source
    liked = by_id[f"feedback-{up:05d}"]
    assert liked["gold"] == [{"doc_id": DOC_ID, "page": 1, "phrases": ["Dreaming big", "Rewarding effort"]}]
    source = DUDLEY.read_text(encoding="utf-8")
    assert all(p in source for g in liked["gold"] for p in g["phrases"])
    assert (liked["unanswerable"], liked["needs_gold"]) == (False, False)
    assert (liked["rating"], liked["comment"]) == ("up", "Spot on")
    # 👎 on an answer: no gold we can trust; flagged for a person to complete
    disliked = by_id[f"feedback-{down:05d}"]
    assert (disliked["gold"], disliked["unanswerable"], disliked["needs_gold"]) == ([], False, True)
    assert (disliked["persona"], disliked["comment"]) == ("governor", "Wrong")
    # 👍 on a refusal: the user confirms the documents don't cover it
    confirmed = by_id[f"feedback-{agree:05d}"]
    assert (confirmed["gold"], confirmed["unanswerable"], confirmed["needs_gold"]) == ([], True, False)
    # 👎 on a refusal: probably answerable after all — never exported as unanswerable
    contested = by_id[f"feedback-{disagree:05d}"]
    assert (contested["gold"], contested["unanswerable"], contested["needs_gold"]) == ([], False, True)
    assert contested["refused"] is True
