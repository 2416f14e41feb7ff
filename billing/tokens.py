"""Signed user tokens (JWT, HS256): claims user, tenant, roles, expiry."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from billing.errors import Unauthenticated

ROLES = ("global_admin", "billing_admin", "user")
BILLING_ROLES = frozenset({"global_admin", "billing_admin"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of a user token."""

    user_id: str
    tenant_id: str
    roles: tuple[str, ...]

    @property
    def can_pay(self) -> bool:
        return bool(BILLING_ROLES.intersection(self.roles))


def mint(
    secret: str,
    user_id: str,
    tenant_id: str,
    roles: list[str] | tuple[str, ...],
    *,
    ttl_seconds: int = 3600,
    issuer: str = "m365-portal",
    audience: str = "m365-billing",
    now: float | None = None,
) -> str:
    """A signed token for `user_id`, valid `ttl_seconds`."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": user_id,
        "tid": tenant_id,
        "roles": list(roles),
        "iat": issued,
        "exp": issued + ttl_seconds,
        "iss": issuer,
        "aud": audience,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(
    token: str | None,
    secret: str,
    *,
    issuer: str = "m365-portal",
    audience: str = "m365-billing",
) -> Principal:
    """The principal of a valid token, or `Unauthenticated` with a specific code."""
    if not token:
        raise Unauthenticated("missing_token", "Sign in first: no user token was sent.")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=issuer,
            audience=audience,
            options={"require": ["sub", "tid", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token_expired", "Your session has expired: sign in again.") from None
    except jwt.PyJWTError:
        raise Unauthenticated("invalid_token", "The user token is not valid.") from None
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise Unauthenticated("invalid_token", "The user token carries unknown roles.")
    if not isinstance(claims["sub"], str) or not isinstance(claims["tid"], str):
        raise Unauthenticated("invalid_token", "The user token is not valid.")
    return Principal(user_id=claims["sub"], tenant_id=claims["tid"], roles=tuple(roles))
