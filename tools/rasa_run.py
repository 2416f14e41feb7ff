"""`rasa run` with the HTTP API's JWT secret from the environment, never from the command line.

`rasa run --jwt-secret S` would show S to every local user in `ps`. This launcher appends the option to
Rasa's own argument list inside the process, so /proc/<pid>/cmdline holds only what the Procfile wrote.
It also makes Rasa fail closed on tracker store errors instead of carrying on in memory
(components/tracker_store.py), and skip two per-turn costs that buy nothing (components/hot_path.py).
Usage (the Procfile): python tools/rasa_run.py run --model ... (every `rasa run` option but the secret).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    secret = os.environ.get("RASA_JWT_SECRET", "")
    if len(secret) < 16:
        sys.exit("RASA_JWT_SECRET is not set (at least 16 characters): `make .env` creates one.")
    if any(arg.startswith("--jwt-secret") for arg in sys.argv[1:]):
        sys.exit("Pass the JWT secret in RASA_JWT_SECRET, not on the command line.")
    sys.argv = ["rasa", *sys.argv[1:], "--jwt-secret", secret]
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from security.logs import install as mask_secrets_in_logs

    # Before Rasa configures logging: its coloredlogs and `--log-file` handlers, sanic's and the
    # socket.io loggers' come later and still mask (security.logs wraps logging.Handler.handle).
    mask_secrets_in_logs()
    from rasa.__main__ import main as rasa_main

    from components import hot_path, turn_costs
    from components.tracker_store import install_fail_closed

    install_fail_closed()
    hot_path.install()
    turn_costs.install()  # only when TURN_COSTS is set (the bench)

    rasa_main()


if __name__ == "__main__":
    main()
