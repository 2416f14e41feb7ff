"""The action server: rasa-sdk's app, except that a failing action never answers 500 with the tracker.

rasa-sdk answers an exception with the whole request body (the tracker: tokens, what the user typed) and
Rasa logs it. Here an exception becomes `utter_action_failed` (in the user's language, from the domain)
and one log line with the action's name and the exception's type only. No CORS: only Rasa calls it.
Started by the Procfile: `python -m actions.server --port 5055`; `--today 2029-06-01` fixes the actions'
date (actions/clock.py; `ASSISTANT_TODAY` is the environment's way to say it).
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import date
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock, config
from assistant.settings import BadSetting, Settings
from measure import from_environment
from security.logs import install as mask_secrets_in_logs

log = logging.getLogger(__name__)
FAILED = "utter_action_failed"


def action_name(request: Request) -> str:
    try:
        body: Any = request.json
    except Exception:  # a body we cannot read names no action
        return "?"
    name = body.get("next_action") if isinstance(body, dict) else None
    return name[:100] if isinstance(name, str) else "?"


def create(package: str = "actions") -> Sanic:
    app: Sanic = create_app(package, cors_origins=None)

    @app.exception(Exception)  # type: ignore[no-untyped-call]
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException):  # 404, 405, a malformed body: not an action failing
            return response.json({"error": type(exception).__name__}, status=exception.status_code)
        # The message may quote user data (a URL with an id, a token): the type is enough to look.
        log.error("action %s failed: %s", action_name(request), type(exception).__name__)
        return response.json({"events": [], "responses": [{"response": FAILED}]})

    return app


def time_stages() -> None:
    """With `TURN_COSTS` set (the bench): time each action run and each billing call (measure/)."""
    costs = from_environment("actions")
    if costs is None:
        return
    from rasa_sdk.executor import ActionExecutor

    from clients.billing import BillingClient

    ActionExecutor.run = costs.timed("action", ActionExecutor.run)
    BillingClient._request = costs.timed("billing", BillingClient._request)  # type: ignore[method-assign,assignment]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the actions' date (default: ASSISTANT_TODAY, else the system's date)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    mask_secrets_in_logs()  # also for the handlers sanic configures when the app is created
    try:
        settings = Settings.from_environment()  # read once, here
    except BadSetting as error:
        parser.error(str(error))
    config.configure(settings)
    fixed = args.today or settings.today
    if fixed is not None:
        clock.fix(fixed)
        log.info("clock: today is %s (fixed)", fixed.isoformat())
    time_stages()
    app = create()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    log.info("Action endpoint is up and running on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
