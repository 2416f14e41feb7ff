"""Who is typing right now in a handed-off conversation: the user, as the agent console shows it.

Kept in memory for a few seconds (a typing indicator is not worth a database row); with several web
replicas an agent may miss an indicator, never a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SHOWN_FOR_SECONDS = 5.0


class TypingBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = SHOWN_FOR_SECONDS):
        self._clock = clock
        self._ttl = ttl
        self._until: dict[str, float] = {}

    def set(self, conversation_id: str, typing: bool) -> None:
        if typing:
            self._until[conversation_id] = self._clock() + self._ttl
        else:
            self._until.pop(conversation_id, None)

    def is_typing(self, conversation_id: str) -> bool:
        until = self._until.get(conversation_id)
        if until is None:
            return False
        if until <= self._clock():
            del self._until[conversation_id]
            return False
        return True
