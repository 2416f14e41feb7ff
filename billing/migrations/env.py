"""Alembic environment: the URL comes from `billing.migrate`, never from an ini file."""

from __future__ import annotations

from alembic import context

from billing.db import make_engine
from billing.models import Base

config = context.config
url = config.attributes.get("database_url")
if not url:  # the alembic CLI (revision --autogenerate) used by developers
    from billing.settings import get_settings

    url = get_settings().database_url

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
