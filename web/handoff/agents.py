"""Support agents: the demo accounts, and signing in with a password stored scrypt-hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from web.db import make_read_sessionmaker
from web.handoff.models import AgentRow
from web.handoff.records import Agent

# The hash of a random, forgotten password: checked against when the e-mail is no agent's.
NO_AGENT_HASH = (
    "scrypt$5b330ad437f58a2c075b45edc8b387eb$4f68c8a94d44e881944adf43eb4f6e5417ecc8706d59806aa528cb167103e1"
    "2f9868f53ed5a11d24cf3406b109423b5fd8ca8d295ed1a1994ed35198d502f38c"
)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _scheme, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def seed_agents(session: Session, agents: Iterable[Agent], password: str) -> bool:
    """The demo agents, with `password` (hashed); existing agents keep theirs. True if any was added."""
    added = False
    for agent in agents:
        if session.get(AgentRow, agent.email) is None:
            session.add(AgentRow(email=agent.email, name=agent.name, password_hash=hash_password(password)))
            added = True
    return added


class Agents:
    """The agent accounts of the web database."""

    def __init__(self, engine: Engine):
        self._read = make_read_sessionmaker(engine)

    def get(self, email: str) -> Agent | None:
        with self._read() as session:
            row = session.get(AgentRow, email)
        return Agent(row.email, row.name) if row else None

    def authenticate(self, email: str, password: str) -> Agent | None:
        """The agent whose e-mail (normalised) and password these are, else None; the same work (one
        scrypt) whether or not the account exists."""
        with self._read() as session:
            row = session.get(AgentRow, email.strip().lower())
        if row is None:
            password_matches(password, NO_AGENT_HASH)
            return None
        return Agent(row.email, row.name) if password_matches(password, row.password_hash) else None
