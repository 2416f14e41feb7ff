"""Command line: `python -m billing {serve,migrate,seed,reset,mint-token}`."""

from __future__ import annotations

import argparse
import logging
import sys

from billing import audit, migrate, seed
from billing.clock import utcnow
from billing.db import make_engine, make_sessionmaker
from billing.models import User
from billing.settings import Settings, get_settings
from security import tokens
from security.logs import install as mask_secrets_in_logs


def _prepare(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine).begin() as session:
        if seed.seed(session, utcnow()):
            logging.getLogger("billing").info("demo data seeded")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed the demo data once, serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8081)
    commands.add_parser("migrate", help="bring the schema up to date")
    commands.add_parser("seed", help="migrate and seed the demo data unless present")
    commands.add_parser("reset", help="erase every row but the audit log and seed again")
    mint = commands.add_parser("mint-token", help="print a signed token for a seeded user")
    mint.add_argument("user")
    mint.add_argument("--ttl", type=int, default=3600, help="seconds the token stays valid")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    mask_secrets_in_logs()  # also for the handlers uvicorn configures later (its access log too)
    settings = get_settings()
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
    elif args.command == "seed":
        _prepare(settings)
    elif args.command == "reset":
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        with make_sessionmaker(engine).begin() as session:
            seed.drop_all(session)
            seed.seed(session, utcnow())
            audit.record(session, at=utcnow(), actor="system", tenant_id=None, action="demo.reset")
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

        _prepare(settings)
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level="info",
            timeout_graceful_shutdown=5,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
