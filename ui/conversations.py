"""Saved conversations on the Ask tab: kept per user across reloads, listed, reopened, deleted,
and their last question regenerated or edited.

A conversation is what the chat shows (its messages, already rendered and escaped) plus the
per-answer state the chat needs to rate answers and resolve follow-ups (`turns`). It is saved
after every answer, a regenerated or edited one included (it replaces the last question and answer:
`without_last`). The owner is the access key's hash (`assistant.onboarding.user_id`, so the
database never holds a key); without a key, a random id kept in the browser's local storage,
so two people using the default role on different browsers never see each other's questions.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.onboarding import user_id

LISTED = 30  # most recent conversations offered in the picker
TITLE_CHARS = 70
_TAG = re.compile(r"<[^>]*>")


def text_of(content: object) -> str:
    """A chat message's text: Gradio hands content back as a list of parts, or a plain string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type", "text") == "text")
    return ""


def question_of(content: object) -> str:
    """The question as typed: a user message holds it escaped inside one element (`ui.chat.user_html`)."""
    return html.unescape(_TAG.sub("", text_of(content))).strip()


def without_last(messages: list | None, turns: dict | None) -> tuple[list, dict, str | None]:
    """The conversation before its last question, and that question (None if none was asked).

    Regenerate asks the same question again in its place; Edit asks a changed one. Either way the
    last question, its answer (or error, or the part shown before Stop) and its state are dropped."""
    messages, turns = list(messages or []), dict(turns or {})
    asked = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not asked:
        return messages, turns, None
    last = asked[-1]
    kept = {k: v for k, v in turns.items() if int(k) < last}
    return messages[:last], kept, question_of(messages[last].get("content"))


class ConversationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, "
                       "title TEXT NOT NULL, updated REAL NOT NULL, messages TEXT NOT NULL, turns TEXT NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def save(self, owner: str, conv_id: str | None, title: str, messages: list, turns: dict) -> str:
        conv_id = conv_id or uuid.uuid4().hex
        with self._lock, self._db() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                       "title = excluded.title, updated = excluded.updated, messages = excluded.messages, turns = excluded.turns "
                       "WHERE conversations.owner = excluded.owner",
                       (conv_id, owner, title[:TITLE_CHARS], time.time(), json.dumps(messages), json.dumps(turns)))
        return conv_id

    def listing(self, owner: str) -> list[tuple[str, str]]:
        """(label, id) of the owner's conversations, newest first."""
        with self._db() as db:
            rows = db.execute("SELECT id, title, updated FROM conversations WHERE owner = ? ORDER BY updated DESC "
                              "LIMIT ?", (owner, LISTED)).fetchall()
        return [(f"{title} — {time.strftime('%d %b %H:%M', time.localtime(updated))}", i) for i, title, updated in rows]

    def load(self, owner: str, conv_id: str) -> tuple[list, dict] | None:
        with self._db() as db:
            row = db.execute("SELECT messages, turns FROM conversations WHERE id = ? AND owner = ?",
                             (conv_id, owner)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), {int(k): v for k, v in json.loads(row[1]).items()}

    def delete(self, owner: str, conv_id: str) -> bool:
        with self._lock, self._db() as db:
            return db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conv_id, owner)).rowcount > 0


def owner_of(key: str | None, browser_id: str | None) -> str:
    """The key's owner id, or this browser's when no key is typed."""
    if (key or "").strip():
        return user_id(key)
    return f"browser:{browser_id}" if browser_id else "anonymous"


class ConversationHandlers:
    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def start(self, browser_id: str | None, key: str) -> tuple:
        """On load: give this browser an id if it has none; (browser id, the conversations list)."""
        browser_id = browser_id or uuid.uuid4().hex
        return browser_id, self.choices(key, browser_id)

    def choices(self, key: str, browser_id: str | None, value: str | None = None) -> dict:
        return gr.update(choices=self.store.listing(owner_of(key, browser_id)), value=value)

    def save(self, conv_id: str | None, messages: list | None, turns: dict | None, key: str,
             browser_id: str | None) -> tuple:
        """After an answer: (conversation id, list with it selected)."""
        if not turns:
            return conv_id, gr.update()
        first = min(turns)
        title = turns[first].get("question") or "Conversation"
        conv_id = self.store.save(owner_of(key, browser_id), conv_id, title, list(messages or []),
                                  {str(k): v for k, v in turns.items()})
        return conv_id, self.choices(key, browser_id, conv_id)

    def reopen(self, conv_id: str | None, key: str, browser_id: str | None) -> tuple:
        """(chat, turns, conversation id, starters, status) for the chosen conversation."""
        keep = gr.update()
        if not conv_id:
            return keep, keep, keep, keep, "⚠ Choose a conversation first."
        found = self.store.load(owner_of(key, browser_id), conv_id)
        if found is None:
            return keep, keep, keep, keep, "⚠ That conversation is no longer saved."
        messages, turns = found
        return gr.update(value=messages, visible=True), turns, conv_id, gr.update(visible=False), ""

    def delete(self, conv_id: str | None, current: str | None, key: str, browser_id: str | None) -> tuple:
        """(list, status, current conversation id: None if it was the one deleted, confirm row)."""
        hide = gr.update(visible=False)
        if not conv_id:
            return gr.update(), "⚠ Choose a conversation first.", current, hide
        gone = self.store.delete(owner_of(key, browser_id), conv_id)
        status = "✓ Conversation deleted." if gone else "⚠ That conversation is no longer saved."
        return self.choices(key, browser_id), status, None if conv_id == current else current, hide


def build_conversations(store: ConversationStore) -> dict[str, Any]:
    """The picker, in the current layout context; returns its components for `ui.app` to wire."""
    h = ConversationHandlers(store)
    with gr.Accordion("Your conversations", open=False, elem_id="ethos-convs"):
        pick = gr.Dropdown([], value=None, label="Saved conversations", elem_id="ethos-conv-pick")
        with gr.Row():
            reopen = gr.Button("Open", size="sm", elem_id="ethos-conv-open", scale=0, min_width=90)
            delete = gr.Button("Delete…", size="sm", variant="stop", elem_id="ethos-conv-delete", scale=0,
                               min_width=90)
        status = gr.Markdown(elem_id="ethos-conv-status", elem_classes=["ethos-status"])
        with gr.Row(visible=False, elem_id="ethos-conv-confirm", elem_classes=["ethos-confirm"]) as confirm:
            gr.Markdown("**Delete this conversation?** It cannot be brought back.", elem_classes=["ethos-confirm-text"])
            yes = gr.Button("Yes, delete it", size="sm", variant="stop", elem_id="ethos-conv-delete-yes")
            no = gr.Button("Cancel", size="sm", elem_id="ethos-conv-delete-no")
    return {"handlers": h, "pick": pick, "open": reopen, "delete": delete, "status": status, "confirm": confirm,
            "yes": yes, "no": no}
