"""`python -m web serve [--port 8080]`: the portal."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from security.logs import install as mask_secrets_in_logs
from web.app import create_app
from web.settings import WebSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the portal and the widget")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    mask_secrets_in_logs()  # also for the handlers uvicorn configures (its access log too)
    settings = WebSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
