"""Helpers for action tests: trackers as the channel makes them, running an action."""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.actions.forms import FormAction
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from components.language import LanguageDetector
from tests.support.stack import ROOT


def tracker(
    token: str | None,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "settle_balance",
    metadata: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest user message carries the token, like the REST channel makes."""
    meta = {"token": token, **(metadata or {})} if token else dict(metadata or {})
    user = {
        "event": "user",
        "text": text,
        "metadata": meta,
        "parse_data": {
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
            "metadata": meta,
        },
    }
    return Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": {"language": "en", **(slots or {})},
            "events": [user],
            "latest_message": user["parse_data"],
        }
    )


async def run(
    action: Any, trk: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages uttered, events returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, trk, domain)
    return dispatcher.messages, [dict(e) for e in events]


def responses(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m.get("response") for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def billing_get(billing: dict[str, str], token: str, path: str) -> Any:
    return httpx.get(billing["url"] + path, headers={"Authorization": f"Bearer {token}"}).json()


# --- The procedure's form, turn by turn, as Rasa runs it ---------------------------------------------
# Rasa's own code makes the trackers the action server receives: `action_extract_slots` after each user
# message (slot mappings and their conditions), the form's slot candidates, the temporary tracker it
# sends `validate_settle_form` (earlier events, the candidates last), then the question it asks next.

FORM = "settle_form"
# The intents whose rule starts (or resumes) the procedure (data/rules/settle.yml).
STARTS_THE_FORM = frozenset(
    {"settle_balance", "choose_subscription", "retry_card", "update_expiry", "use_other_card", "add_card"}
    | {"card_added"}
)
_SAME_TOKEN = object()


@functools.cache
def rasa_domain() -> Domain:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa warns about slot auto-fill on every domain it loads
        return Domain.load(str(ROOT / "domain"))


def vaulted(
    billing: dict[str, str], token: str, *, number: str | None = None, cvc: str | None = None
) -> dict[str, Any]:
    """The `vault` metadata channels/vault.py adds to a message with card data: real vault tokens."""
    entry: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {token}"}
    if number is not None:
        response = httpx.post(
            f"{billing['url']}/v1/vault/card-numbers", json={"number": number}, headers=headers
        )
        response.raise_for_status()
        body = response.json()
        entry.update(card_number_token=body["token"], brand=body["brand"], last4=body["last4"])
    if cvc is not None:
        response = httpx.post(f"{billing['url']}/v1/vault/security-codes", json={"cvc": cvc}, headers=headers)
        response.raise_for_status()
        entry["security_code_token"] = response.json()["token"]
    return entry


@functools.cache
def action_server() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")  # what actions.server (rasa-sdk's create_app) does
    return executor


class ExtractSlots(ActionExtractSlots):  # type: ignore[misc]
    """Rasa's `action_extract_slots`, whose custom mapping actions (if a slot has one) run here instead
    of on an action server."""

    def __init__(self, domain: dict[str, Any]) -> None:
        super().__init__(None)
        self.domain_dict = domain

    async def _run_custom_action(
        self, custom_action: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Event]:
        dispatcher = CollectingDispatcher()
        run = action_server().actions[custom_action]
        returned = await run(dispatcher, sdk_tracker(tracker), self.domain_dict)
        events = deserialise_events([dict(e) for e in returned])
        return [e for e in events if isinstance(e, SlotSet | BotUttered)]


def sdk_tracker(state: DialogueStateTracker) -> Tracker:
    """What the action server makes of the tracker Rasa posts (`current_state(EventVerbosity.ALL)`)."""
    return Tracker.from_dict(state.current_state(EventVerbosity.ALL))


@dataclass
class Turn:
    """One user message in the procedure: what `validate_settle_form` said and returned, the question
    the form asked next, and what `action_settle` did when the form completed."""

    said: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, Any]] = field(default_factory=list)
    settled: list[dict[str, Any]] = field(default_factory=list)
    settle_events: list[dict[str, Any]] = field(default_factory=list)
    rejected: bool = False  # nothing for the form: Rasa rejects it and the rules answer

    @property
    def slots(self) -> dict[str, Any]:
        return slots(self.events)

    @property
    def requested(self) -> Any:
        return self.slots.get("requested_slot")

    @property
    def responses(self) -> list[str | None]:
        return responses(self.said + self.asked + self.settled)


class Conversation:
    """A conversation of one user (each message carries their token, as the REST channel's do)."""

    def __init__(
        self,
        token: str | None,
        domain: dict[str, Any],
        slots: dict[str, Any] | None = None,
        *,
        language: str = "en",
        requested: str | None = None,
    ) -> None:
        """`slots` were set earlier; with `requested`, the form is running and asked for that slot."""
        self.token = token
        self.domain = domain
        self.rasa = rasa_domain()
        events: list[Event] = [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("language", language),
            *(SlotSet(name, value) for name, value in (slots or {}).items()),
        ]
        if requested:
            events += [ActionExecuted(FORM), ActiveLoop(FORM), SlotSet(REQUESTED_SLOT, requested)]
        events.append(ActionExecuted("action_listen"))
        self.tracker = DialogueStateTracker.from_events("conversation", events, slots=self.rasa.slots)
        self.nlg = TemplatedNaturalLanguageGenerator(self.rasa.responses)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def fork(self) -> Conversation:
        """The same conversation from here on, separately (a retried turn, a second browser tab)."""
        twin = copy.copy(self)
        twin.tracker = self.tracker.copy()
        return twin

    async def utter(self, response: str) -> None:
        """A response action of the domain (`utter_*`), as a rule predicts it."""
        self.tracker.update(ActionExecuted(response))
        await self._apply([{"response": response}], [])

    @property
    def form_active(self) -> bool:
        return bool(self.tracker.active_loop_name == FORM)

    async def message(
        self,
        text: str,
        intent: str = "inform",
        entities: list[dict[str, Any]] | None = None,
        vault: dict[str, Any] | None = None,
        token: Any = _SAME_TOKEN,
    ) -> None:
        """The user's message, then Rasa's `action_extract_slots`."""
        token = self.token if token is _SAME_TOKEN else token
        metadata: dict[str, Any] = {"token": token} if token else {}
        if vault is not None:
            metadata["vault"] = vault
        parse = {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text}
        # The NLU pipeline's last step, as Rasa runs it: the language the message is written in.
        parsed = LanguageDetector().process([Message(data=dict(parse))])[0]
        parse["entities"] = parsed.get("entities") or []
        self.tracker.update(
            UserUttered(text, parse["intent"], parse["entities"], parse_data=parse, metadata=metadata)
        )
        extracted = await ExtractSlots(self.domain).run(None, self.nlg, self.tracker, self.rasa)
        self.tracker.update_with_events(extracted, self.rasa)

    async def run(self, action: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Run an action on the conversation as it stands and keep what it did."""
        dispatcher = CollectingDispatcher()
        returned = [dict(e) for e in await action.run(dispatcher, sdk_tracker(self.tracker), self.domain)]
        self.tracker.update(ActionExecuted(action.name()))
        await self._apply(dispatcher.messages, returned)
        return dispatcher.messages, returned

    async def say(
        self,
        text: str,
        intent: str = "inform",
        entities: list[dict[str, Any]] | None = None,
        vault: dict[str, Any] | None = None,
        token: Any = _SAME_TOKEN,
    ) -> Turn:
        """A message to the procedure: the form validates it (or starts with it), then asks the next
        question; once complete, `action_settle` runs (the rule "the procedure is complete")."""
        from actions.settle import ValidateSettleForm
        from actions.settle_payment import ActionSettle

        await self.message(text, intent, entities, vault, token)
        form = FormAction(FORM, None)
        activating = not self.form_active
        assert not activating or intent in STARTS_THE_FORM, f"no rule starts the form on {intent}"
        requested = self.tracker.get_slot(REQUESTED_SLOT) if not activating else None
        state = self.tracker.copy()
        if activating:
            state.update(ActiveLoop(FORM))
            candidates = {
                name: state.get_slot(name)
                for name in form.required_slots(self.rasa)
                if state.get_slot(name) is not None
            }
        else:
            candidates = form._get_slot_extractions(state, self.rasa)
        sent = form._temporary_tracker(state, [SlotSet(k, v) for k, v in candidates.items()], self.rasa)
        dispatcher = CollectingDispatcher()
        returned = [
            dict(e) for e in await ValidateSettleForm().run(dispatcher, sdk_tracker(sent), self.domain)
        ]
        turn = Turn(said=dispatcher.messages, events=returned)
        validated = [e for e in returned if e.get("event") == "slot" and e["name"] != REQUESTED_SLOT]
        if requested and not candidates and not validated:
            turn.rejected = True  # ActionExecutionRejection: the form does not run this turn
            return turn
        self.tracker.update(ActionExecuted(FORM))
        if activating:
            self.tracker.update(ActiveLoop(FORM))
        await self._apply(dispatcher.messages, returned)
        requests = [e["value"] for e in returned if e.get("event") == "slot" and e["name"] == REQUESTED_SLOT]
        loops = [e for e in returned if e.get("event") == "active_loop"]
        # FormAction.is_done: the last `requested_slot` set to None (or the loop stopped); else it asks
        # for the first one set (or, with none, the first empty slot of the domain's list).
        done = bool(requests and requests[-1] is None) or bool(loops and loops[-1].get("name") is None)
        asked = requests[0] if requests else form._find_next_slot_to_request(self.tracker, self.rasa)
        if done:
            self.tracker.update(ActiveLoop(None))
            turn.settled, turn.settle_events = await self.run(ActionSettle())
        elif asked:
            turn.asked = await self._ask(str(asked))
        self.tracker.update(ActionExecuted("action_listen"))
        return turn

    async def _ask(self, slot: str) -> list[dict[str, Any]]:
        from actions.settle_asks import ASKS

        if slot in ASKS:
            dispatcher = CollectingDispatcher()
            returned = [
                dict(e) for e in await ASKS[slot]().run(dispatcher, sdk_tracker(self.tracker), self.domain)
            ]
            await self._apply(dispatcher.messages, returned)
            return list(dispatcher.messages)
        message = {"response": f"utter_ask_{slot}"}
        await self._apply([message], [])
        return [message]

    async def _apply(self, messages: list[dict[str, Any]], returned: list[dict[str, Any]]) -> None:
        """The action's events, and its messages as the bot events Rasa logs (texts and buttons)."""
        for message in messages:
            draft = dict(message)
            name = draft.pop("response", None)
            bot: dict[str, Any] = {}
            if name:
                kwargs = {k: v for k, v in draft.items() if k not in ("buttons", "text")}
                bot = await self.nlg.generate(name, self.tracker, "rest", **kwargs) or {}
            if draft.get("buttons"):
                bot["buttons"] = [*bot.get("buttons", []), *draft["buttons"]]
            if draft.get("text"):
                bot["text"] = draft["text"]
            self.tracker.update(
                BotUttered(bot.get("text"), {"buttons": bot.get("buttons")}, {"utter_action": name})
            )
        self.tracker.update_with_events(deserialise_events(returned), self.rasa)
