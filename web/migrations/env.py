"""Alembic environment of the web database: the URL comes from `web.migrate`, never from an ini file."""

from __future__ import annotations

from alembic import context

import web.handoff.models
import web.handoff.throttle
import web.users
from web.db import Base, make_engine

MODELS = (web.handoff.models, web.handoff.throttle, web.users)  # every table is in Base.metadata

config = context.config
url = config.attributes.get("database_url")
if not url:  # the alembic CLI (revision --autogenerate) used by developers
    from web.settings import WebSettings

    url = WebSettings().database_url  # type: ignore[call-arg]

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
