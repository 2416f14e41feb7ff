"""Who the portal cookie says is signed in."""

from __future__ import annotations

from billing import tokens
from billing.errors import Unauthenticated


def signed_in(token: str | None, secret: str) -> tokens.Principal | None:
    """The principal of a valid portal token, else None."""
    try:
        return tokens.verify(token, secret)
    except Unauthenticated:
        return None
