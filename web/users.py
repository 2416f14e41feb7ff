"""The portal's user directory: who may sign in to the demo portal, in which tenant, with which role,
and the name and language the widget greets them with.

It stands for the identity provider a real portal would use: the portal mints the user's token from it
(billing checks that token and keeps its own copy of who is who for authorization). The demo users are
the people of docs/design.md, seeded into the web database by `python -m web seed` (and once by
`serve`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from web.db import Base, make_read_sessionmaker


class PortalUserRow(Base):
    __tablename__ = "portal_users"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(2))


@dataclass(frozen=True)
class PortalUser:
    user_id: str
    tenant_id: str
    display_name: str
    role: str
    locale: str

    @classmethod
    def of(cls, row: PortalUserRow) -> PortalUser:
        return cls(row.id, row.tenant_id, row.display_name, row.role, row.locale)


DEMO_USERS = (
    PortalUser("alice@contoso.com", "contoso", "Alice Martin", "global_admin", "fr"),
    PortalUser("bob@contoso.com", "contoso", "Bob Durand", "billing_admin", "en"),
    PortalUser("carol@contoso.com", "contoso", "Carol Petit", "user", "fr"),
    PortalUser("dave@fabrikam.com", "fabrikam", "Dave Wilson", "billing_admin", "en"),
)


def seed_users(session: Session, users: Iterable[PortalUser] = DEMO_USERS) -> bool:
    """Add the users that are not there yet (existing ones are left as they are); True if any was."""
    added = False
    for user in users:
        if session.get(PortalUserRow, user.user_id) is None:
            session.add(
                PortalUserRow(
                    id=user.user_id,
                    tenant_id=user.tenant_id,
                    display_name=user.display_name,
                    role=user.role,
                    locale=user.locale,
                )
            )
            added = True
    return added


class UserDirectory:
    def __init__(self, engine: Engine):
        self._read = make_read_sessionmaker(engine)

    def all(self) -> list[PortalUser]:
        """Everyone who may sign in, by e-mail address."""
        with self._read() as session:
            rows = session.scalars(select(PortalUserRow).order_by(PortalUserRow.id))
            return [PortalUser.of(row) for row in rows]

    def get(self, user_id: str) -> PortalUser | None:
        with self._read() as session:
            row = session.get(PortalUserRow, user_id)
        return PortalUser.of(row) if row else None
