"""Why the handoff store refuses a step: domain errors with a stable code and a sentence for people.
They carry no HTTP status: the web layer maps each kind to one (web/errors.py)."""

from __future__ import annotations


class HandoffError(Exception):
    """A refused step: `code` is stable (clients and tests match on it), `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class HandoffNotFound(HandoffError):
    def __init__(self) -> None:
        super().__init__("handoff_not_found", "There is no such handoff.")


class WrongState(HandoffError):
    """The handoff is not in the state the step needs (claimed already, back with the assistant...)."""


class HeldByAnotherAgent(HandoffError):
    def __init__(self, holder: str | None):
        super().__init__("held_by_another_agent", f"{holder} holds this conversation.")


class Refused(HandoffError):
    """The request itself is not acceptable (an unknown reason or mode, a card number in a message)."""
