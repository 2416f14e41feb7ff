"""Command line: `python -m billing {serve,migrate,seed,reset,mint-token}`."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date

from billing import audit, migrate, seed
from billing.clock import Clock, clock_for
from billing.db import make_engine, make_sessionmaker
from billing.models import User
from billing.settings import Settings, get_settings
from security import tokens
from security.logs import install as mask_secrets_in_logs


def _prepare(settings: Settings, clock: Clock) -> None:
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine).begin() as session:
        if seed.seed(session, clock()):
            logging.getLogger("billing").info("demo data seeded")
    engine.dispose()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billing")
    dated = argparse.ArgumentParser(add_help=False)
    dated.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="run the clock from this date (default: BILLING_TODAY, else the system's date)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", parents=[dated], help="migrate, seed the demo data once, serve the API"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8081)
    commands.add_parser("migrate", help="bring the schema up to date")
    commands.add_parser("seed", parents=[dated], help="migrate and seed the demo data unless present")
    commands.add_parser("reset", parents=[dated], help="erase every row but the audit log and seed again")
    mint = commands.add_parser("mint-token", help="print a signed token for a seeded user")
    mint.add_argument("user")
    mint.add_argument("--ttl", type=int, default=3600, help="seconds the token stays valid")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    mask_secrets_in_logs()  # also for the handlers uvicorn configures later (its access log too)
    settings = get_settings()
    today: date | None = getattr(args, "today", None) or settings.today
    clock = clock_for(today)
    if today is not None:
        logging.getLogger("billing").info("clock: today is %s (fixed)", today.isoformat())
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
    elif args.command == "seed":
        _prepare(settings, clock)
    elif args.command == "reset":
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        with make_sessionmaker(engine).begin() as session:
            seed.drop_all(session)
            seed.seed(session, clock())
            audit.record(session, at=clock(), actor="system", tenant_id=None, action="demo.reset")
        print("demo data reset")
    elif args.command == "mint-token":
        engine = make_engine(settings.database_url)
        with make_sessionmaker(engine)() as session:
            user = session.get(User, args.user)
        if user is None:
            print(f"unknown user: {args.user}", file=sys.stderr)
            return 2
        print(
            tokens.mint(
                settings.token_secret,
                user.id,
                user.tenant_id,
                [user.role],
                ttl_seconds=args.ttl,
                issuer=settings.token_issuer,
                audience=settings.token_audience,
            )
        )
    elif args.command == "serve":
        import uvicorn

        from billing.app import create_app

        _prepare(settings, clock)
        uvicorn.run(
            create_app(settings, clock),
            host=args.host,
            port=args.port,
            log_level="info",
            timeout_graceful_shutdown=5,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
