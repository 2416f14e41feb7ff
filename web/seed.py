"""The web service's demo data: the portal's users and the support agents (docs/design.md), seeded
once; `python -m web seed` (and `serve`, after migrating)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from web import migrate
from web.db import make_engine, make_sessionmaker
from web.handoff.agents import seed_agents
from web.handoff.records import Agent
from web.users import seed_users

DEMO_AGENTS = (Agent("agent1@support.example", "Agent One"), Agent("agent2@support.example", "Agent Two"))


def seed(session: Session, agent_password: str) -> bool:
    """The demo users and agents that are missing (the agents with `agent_password`, hashed; existing
    rows keep theirs); True if anything was added."""
    users = seed_users(session)
    agents = seed_agents(session, DEMO_AGENTS, agent_password)
    return users or agents


def prepare(database_url: str, agent_password: str) -> bool:
    """Migrate the database at `database_url`, then seed what is missing; True if anything was seeded."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            return seed(session, agent_password)
    finally:
        engine.dispose()
