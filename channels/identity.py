"""Who sent a message, and whose conversation it is: from a verified token only, never from what a
client says about itself. A conversation belongs to the user of its first message."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Optional

from security.tokens import InvalidToken, Principal, TokenRules

SENDER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")  # the tracker store's column holds 255
CACHED_OWNERS = 10_000


def verify_user_token(token: Any, rules: TokenRules) -> Optional[Principal]:
    """The principal of a valid portal token (the rules every process shares), else None."""
    try:
        return rules.verify(token)
    except InvalidToken:
        return None


class Owners:
    """The owner of each conversation, read from its tracker once and then remembered (it never
    changes: the channel writes the verified user on every user message)."""

    def __init__(self, size: int = CACHED_OWNERS) -> None:
        self._known: OrderedDict[str, str] = OrderedDict()
        self._size = size

    async def of(self, agent: Any, sender_id: str) -> Optional[str]:
        if sender_id in self._known:
            self._known.move_to_end(sender_id)
            return self._known[sender_id]
        owner = await _stored_owner(agent, sender_id)
        if owner:
            self.remember(sender_id, owner)
        return owner

    def remember(self, sender_id: str, owner: str) -> None:
        self._known[sender_id] = owner
        self._known.move_to_end(sender_id)
        while len(self._known) > self._size:
            self._known.popitem(last=False)


async def _stored_owner(agent: Any, sender_id: str) -> Optional[str]:
    if agent is None or agent.tracker_store is None:
        raise RuntimeError("no tracker store: the conversation's owner cannot be checked")
    tracker = await agent.tracker_store.retrieve(sender_id)
    for event in tracker.events if tracker else []:
        user = (getattr(event, "metadata", None) or {}).get("user") if event.type_name == "user" else None
        if user:
            return str(user)
    return None
