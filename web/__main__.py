"""`python -m web {serve,migrate,seed}`: the portal, the widget's APIs and the agent console."""

from __future__ import annotations

import argparse
import logging
import sys

from security.logs import install as mask_secrets_in_logs
from web import migrate, seed
from web.settings import WebSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed the demo users and agents once, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    commands.add_parser("migrate", help="bring the web database's schema up to date")
    commands.add_parser(
        "seed", help="migrate, then add the demo users and agents that are missing (AGENT_DEMO_PASSWORD)"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    mask_secrets_in_logs()  # also for the handlers uvicorn configures (its access log too)
    settings = WebSettings()  # type: ignore[call-arg]
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
    elif args.command == "seed":
        added = seed.prepare(settings.database_url, settings.agent_demo_password)
        print("demo users and agents seeded" if added else "demo users and agents already there")
    elif args.command == "serve":
        import uvicorn

        from web.app import create_app

        if seed.prepare(settings.database_url, settings.agent_demo_password):
            logging.getLogger("web").info("demo users and agents seeded")
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
