"""What every action needs from the tracker: the user's token, language and the billing client."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config
from actions.language import language_of
from clients.billing import BillingClient, BillingRefused, BillingUnavailable
from clients.http import timeout


def user_token(tracker: Tracker) -> str | None:
    """The signed token of the message this turn answers, and of no other.

    The channel verified it and put it in that message's metadata; the tracker store keeps no token
    (components/tracker_store.py), so an earlier message's token is never there to borrow. A turn
    that no user message started (an agent's hand-back) has none: it cannot call billing."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            token = (event.get("metadata") or {}).get("token")
            return token if isinstance(token, str) and token else None
    return None


def billing(tracker: Tracker) -> BillingClient:
    """Billing on behalf of the user of this turn's message (its token only)."""
    settings = config.current()
    limit = timeout(settings.billing_timeout_seconds)
    return BillingClient(settings.billing_url, user_token(tracker), limit)


def latest_user_index(tracker: Tracker) -> int:
    """Where the newest user message is in `tracker.events` (its length when there is none)."""
    events = tracker.events
    return max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata of the newest user message (Rasa does not copy it into `latest_message`)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return dict(event.get("metadata") or {})
    return {}


def label(domain: dict[str, Any], name: str, language: str) -> str:
    """The text of a `label_*` response of the domain in `language` (buttons built in Python)."""
    variations = domain.get("responses", {}).get(name, [])
    for variation in variations:
        for condition in variation.get("condition") or []:
            if condition.get("name") == "language" and condition.get("value") == language:
                return str(variation["text"])
    for variation in variations:
        if not variation.get("condition"):
            return str(variation["text"])
    return name


def explain_refusal(dispatcher: CollectingDispatcher, error: Exception) -> bool:
    """Utter the answer to a billing refusal every action shares; False when it is not one."""
    if isinstance(error, BillingUnavailable):
        dispatcher.utter_message(response="utter_billing_unavailable")
        return True
    if not isinstance(error, BillingRefused):
        return False
    if error.status == 401:
        dispatcher.utter_message(response="utter_sign_in_required")
    elif error.code == "billing_role_required":
        dispatcher.utter_message(response="utter_no_billing_role")
    elif error.code == "too_many_attempts":
        minutes = max(1, round(int(error.body.get("retry_after_seconds", 600)) / 60))
        dispatcher.utter_message(response="utter_too_many_attempts", minutes=minutes)
    else:
        return False
    return True


__all__ = [
    "BillingAction",
    "BillingRefused",
    "BillingUnavailable",
    "billing",
    "explain_refusal",
    "label",
    "language_of",
    "latest_metadata",
    "latest_user_index",
    "user_token",
]


class BillingAction(Action, ABC):
    """An action that calls billing: the refusals every action shares (signed out, no billing role,
    too many attempts, billing down) become answers; others propagate."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            return await self.act(dispatcher, tracker, domain)
        except (BillingRefused, BillingUnavailable) as error:
            if not (explain_refusal(dispatcher, error) or self.refused(dispatcher, domain, tracker, error)):
                raise
            if isinstance(error, BillingRefused) and error.code == "billing_role_required":
                # Asking for a person from here hands off with the reason "no billing role".
                return [*self.after_refusal(), SlotSet("no_billing_role", True)]
            return self.after_refusal()

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """What the action does; billing errors it does not handle itself reach `run`."""

    def refused(
        self, dispatcher: CollectingDispatcher, domain: dict[str, Any], tracker: Tracker, error: Exception
    ) -> bool:
        """Answer a refusal only this action expects; False lets it propagate."""
        return False

    def after_refusal(self) -> list[EventType]:
        """Events to return once a refusal was explained."""
        return []
