"""The Rasa process's stages, timed when `TURN_COSTS` is set (measure/; the bench sets it).

Stages: `turn` (MessageProcessor.handle_message, after the channel's checks), `nlu` (parse_message),
`policies` (each next-action prediction), `tracker read` / `tracker write` (the store, including the
channel's reads), `action server` (each call, with the actions' own billing calls inside it).
Installed by tools/rasa_run.py.
"""

from __future__ import annotations

from measure import Costs, from_environment


def install() -> Costs | None:
    costs = from_environment("rasa")
    if costs is None:
        return None
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    from components.tracker_store import GuardedSQLTrackerStore

    MessageProcessor.handle_message = costs.timed("turn", MessageProcessor.handle_message)
    MessageProcessor.parse_message = costs.timed("nlu", MessageProcessor.parse_message)
    MessageProcessor._predict_next_with_tracker = costs.timed_sync(
        "policies", MessageProcessor._predict_next_with_tracker
    )
    GuardedSQLTrackerStore.retrieve = costs.timed("tracker read", GuardedSQLTrackerStore.retrieve)
    GuardedSQLTrackerStore.save = costs.timed(  # type: ignore[method-assign,assignment]
        "tracker write", GuardedSQLTrackerStore.save
    )
    RemoteAction.run = costs.timed("action server", RemoteAction.run)
    return costs
