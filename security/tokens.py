"""Portal user tokens (JWT, HS256): one set of rules for billing, the web service and the channels.

A token names a user, their tenant and roles, and expires; it is signed with `AUTH_TOKEN_SECRET` and
carries the issuer and audience of `AUTH_TOKEN_ISSUER` / `AUTH_TOKEN_AUDIENCE` (defaults below). Every
process verifies it the same way: HS256 only, every claim required, the roles known.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt

ISSUER = "m365-portal"
JWT_SHOWN_AS = "[token]"  # what a token becomes in a log line or a stored event
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
AUDIENCE = "m365-billing"
ROLES = ("global_admin", "billing_admin", "user")
BILLING_ROLES = frozenset({"global_admin", "billing_admin"})


class InvalidToken(Exception):
    """A token that proves nothing: `code` says why (missing_token, token_expired, invalid_token)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of a user token."""

    user_id: str
    tenant_id: str
    roles: tuple[str, ...]

    @property
    def can_pay(self) -> bool:
        return bool(BILLING_ROLES.intersection(self.roles))


@dataclass(frozen=True)
class TokenRules:
    """The secret, issuer and audience a process signs and checks tokens with."""

    secret: str
    issuer: str = ISSUER
    audience: str = AUDIENCE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> TokenRules:
        return cls(
            secret=environ.get("AUTH_TOKEN_SECRET", ""),
            issuer=environ.get("AUTH_TOKEN_ISSUER", ISSUER),
            audience=environ.get("AUTH_TOKEN_AUDIENCE", AUDIENCE),
        )

    def verify(self, token: object) -> Principal:
        return verify(token, self.secret, issuer=self.issuer, audience=self.audience)


def mint(
    secret: str,
    user_id: str,
    tenant_id: str,
    roles: list[str] | tuple[str, ...],
    *,
    ttl_seconds: int = 3600,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    now: float | None = None,
) -> str:
    """A signed token for `user_id`, valid `ttl_seconds` from `now` (the caller's clock)."""
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


def verify(token: object, secret: str, *, issuer: str = ISSUER, audience: str = AUDIENCE) -> Principal:
    """The principal of a valid token, or `InvalidToken` with a specific code."""
    if not token:
        raise InvalidToken("missing_token", "Sign in first: no user token was sent.")
    if not isinstance(token, str) or not secret:
        raise InvalidToken("invalid_token", "The user token is not valid.")
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
        raise InvalidToken("token_expired", "Your session has expired: sign in again.") from None
    except jwt.PyJWTError:
        raise InvalidToken("invalid_token", "The user token is not valid.") from None
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise InvalidToken("invalid_token", "The user token carries unknown roles.")
    if not isinstance(claims["sub"], str) or not isinstance(claims["tid"], str):
        raise InvalidToken("invalid_token", "The user token is not valid.")
    return Principal(user_id=claims["sub"], tenant_id=claims["tid"], roles=tuple(roles))


def without_jwts(text: str) -> str:
    """`text` with every JWT-shaped run (`eyJ….eyJ….…`) replaced by `[token]`."""
    return _JWT.sub(JWT_SHOWN_AS, text) if "eyJ" in text else text


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without a header, and
    `InvalidToken` for any other scheme."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken("invalid_token", "Send the user token as 'Authorization: Bearer <token>'.")
    return token.strip() or None
