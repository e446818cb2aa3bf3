"""What every tab's callbacks share: the process's one Assistant and Settings, and the key → Principal step.

Callbacks resolve the typed-in key on every call (through the same function as the API),
so signing in as another role takes effect at once and nothing is cached per browser.
"""

from __future__ import annotations

from assistant.access import principal_for_key
from assistant.knowledge import KnowledgeBase
from assistant.models import Principal
from assistant.service import Assistant
from ingest.settings import Settings


class TabHandlers:
    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings

    @property
    def kb(self) -> KnowledgeBase:
        return self.assistant.kb

    def principal(self, key: str | None) -> Principal:
        """Raises AuthError for an unknown key (callbacks show it as a message)."""
        return principal_for_key(self.settings, key)
