"""Who the portal cookie says is signed in."""

from __future__ import annotations

from security import tokens


def signed_in(token: str | None, rules: tokens.TokenRules) -> tokens.Principal | None:
    """The principal of a valid portal token, else None."""
    try:
        return rules.verify(token)
    except tokens.InvalidToken:
        return None
