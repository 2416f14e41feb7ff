"""Agent console sign-in rate limiting, per account (the normalised e-mail) and per client address.

Each key has a counter row in the web database, so every replica sees the same count. An attempt is
counted *before* the password is checked, in one transaction holding the key's rows (`FOR UPDATE` on
PostgreSQL; SQLite's write transactions are serialised): simultaneous guesses, on one replica or
several, get no more tries than the limit. The attempt that reaches the limit locks the key for the
lockout period; a locked key refuses every attempt without a password check. A successful sign-in gives
its try back: it deletes the account's row and takes one attempt off the address's count.

Keys are stored as SHA-256 digests (`account:<hex>`, `address:<hex>`): the table keeps no e-mail
address anyone typed and no client address. Nothing here depends on whether the account exists.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, Index, Integer, String, and_, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from web.clock import Clock, as_utc, utcnow
from web.db import Base, make_sessionmaker
from web.settings import WebSettings

SWEEP_BATCH = 200  # stale rows deleted per attempt, at most


class SigninFailures(Base):
    """Recent sign-in attempts of one account or one client address (successes given back)."""

    __tablename__ = "console_signin_failures"
    __table_args__ = (Index("console_signin_failures_by_window", "window_started"),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


@dataclass(frozen=True)
class SigninLimits:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: WebSettings) -> SigninLimits:
        return cls(
            per_account=settings.console_signin_max_failures_per_account,
            per_address=settings.console_signin_max_failures_per_address,
            window=timedelta(seconds=settings.console_signin_window_seconds),
            lockout=timedelta(seconds=settings.console_signin_lockout_seconds),
        )


@dataclass(frozen=True)
class Lock:
    until: datetime
    retry_after: int  # whole seconds from the attempt, at least 1 (the Retry-After header)

    @classmethod
    def at(cls, until: datetime, now: datetime) -> Lock:
        return cls(until, max(1, math.ceil((until - now).total_seconds())))

    def when(self) -> str:
        """'in 15 minutes (after 12:15 UTC)': a wait people can act on, never shorter than the lock."""
        minutes = math.ceil(self.retry_after / 60)
        shown = self.until.astimezone(timezone.utc)
        if shown.second or shown.microsecond:
            shown = shown.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return f"in {minutes} minute{'' if minutes == 1 else 's'} (after {shown:%H:%M} UTC)"


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str
    refused: Lock | None = None  # the account or the address is locked: do not check the password
    locked: Lock | None = None  # this attempt was the last one allowed: the key is locked from now on
    locked_scopes: tuple[str, ...] = ()
    _address_window: datetime | None = field(default=None, repr=False)
    _address_lock: datetime | None = field(default=None, repr=False)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def client_network(address: str) -> str:
    """The address a limit applies to: IPv4 as is, IPv6 by /64 (what one subscriber usually holds)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, value: str) -> str:
    return f"{scope}:{hashlib.sha256(value.encode()).hexdigest()}"


def account_key(email: str) -> str:
    return _key("account", normalise_email(email))


def address_key(address: str) -> str:
    return _key("address", client_network(address))


class SigninThrottle:
    def __init__(self, engine: Engine, limits: SigninLimits, clock: Clock = utcnow):
        self.limits = limits
        self.clock = clock
        self._postgresql = engine.dialect.name == "postgresql"
        self._write = make_sessionmaker(engine)

    def attempt(self, email: str, address: str) -> Attempt:
        """Count a sign-in attempt before its password is checked, or refuse it while locked."""
        now = self.clock()
        account, client = account_key(email), address_key(address)
        limits = {account: self.limits.per_account, client: self.limits.per_address}
        with self._write.begin() as session:
            rows = self._hold(session, sorted(limits), now)
            for row in rows.values():
                self._forget_expired(row, now)
            held = [as_utc(r.locked_until) for r in rows.values() if r.locked_until is not None]
            if held:
                result = Attempt(account, client, refused=Lock.at(max(held), now))
            else:
                until = now + self.limits.lockout
                scopes = []
                for key, row in rows.items():
                    row.failures += 1
                    if row.failures >= limits[key]:
                        row.locked_until = until
                        scopes.append(key.split(":", 1)[0])
                result = Attempt(
                    account,
                    client,
                    locked=Lock.at(until, now) if scopes else None,
                    locked_scopes=tuple(scopes),
                    _address_window=as_utc(rows[client].window_started),
                    _address_lock=until if rows[client].locked_until is not None else None,
                )
        self._sweep(now)
        return result

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget the account's failures and give the address its try back."""
        with self._write.begin() as session:
            session.execute(delete(SigninFailures).where(SigninFailures.key == attempt.account))
            row = session.scalars(
                select(SigninFailures).where(SigninFailures.key == attempt.address).with_for_update()
            ).first()
            if row is None or as_utc(row.window_started) != attempt._address_window:
                return  # the address's window has moved on since: nothing of this attempt is left
            row.failures = max(0, row.failures - 1)
            if row.locked_until is not None and as_utc(row.locked_until) == attempt._address_lock:
                row.locked_until = None  # this very attempt had locked the address

    # --- helpers --------------------------------------------------------------------------------
    def _hold(self, session: Session, keys: list[str], now: datetime) -> dict[str, SigninFailures]:
        """The keys' rows, created if missing, locked until the transaction ends (in key order, so two
        attempts never wait for each other in a cycle)."""
        for key in keys:
            values = {"key": key, "failures": 0, "window_started": now, "locked_until": None}
            if self._postgresql:
                session.execute(
                    postgresql.insert(SigninFailures)
                    .values(values)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
            else:
                session.execute(
                    sqlite.insert(SigninFailures)
                    .values(values)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
        rows = session.scalars(
            select(SigninFailures)
            .where(SigninFailures.key.in_(keys))
            .order_by(SigninFailures.key)
            .with_for_update()
        ).all()
        return {row.key: row for row in rows}

    def _forget_expired(self, row: SigninFailures, now: datetime) -> None:
        if row.locked_until is not None:
            if as_utc(row.locked_until) > now:
                return
            row.failures, row.window_started, row.locked_until = 0, now, None  # the lock is over
        elif as_utc(row.window_started) + self.limits.window <= now:
            row.failures, row.window_started = 0, now

    def _sweep(self, now: datetime) -> None:
        """Delete rows that no longer count (window over, no lock in force), skipping rows another
        attempt holds right now."""
        stale = or_(
            and_(
                SigninFailures.locked_until.is_(None),
                SigninFailures.window_started <= now - self.limits.window,
            ),
            SigninFailures.locked_until <= now,
        )
        with self._write.begin() as session:
            keys = session.scalars(
                select(SigninFailures.key).where(stale).limit(SWEEP_BATCH).with_for_update(skip_locked=True)
            ).all()
            if keys:
                session.execute(delete(SigninFailures).where(SigninFailures.key.in_(keys), stale))
