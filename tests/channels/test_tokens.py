"""The token rules every process shares (security/tokens.py)."""

from __future__ import annotations

import jwt
import pytest

from channels.identity import verify_user_token
from security.tokens import InvalidToken, TokenRules, bearer, mint, verify

SECRET = "s" * 64
LONG_AGO = 1_000_000_000.0  # 2001-09-09: a token minted then expired whatever the date of the run


def test_a_minted_token_verifies_to_its_principal() -> None:
    token = mint(SECRET, "bob@contoso.com", "contoso", ["billing_admin"])
    principal = verify(token, SECRET)
    assert (principal.user_id, principal.tenant_id, principal.can_pay) == ("bob@contoso.com", "contoso", True)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "missing_token"),
        ("", "missing_token"),
        (42, "invalid_token"),
        ("not-a-jwt", "invalid_token"),
        (mint(SECRET, "bob@contoso.com", "contoso", ["user"], now=LONG_AGO), "token_expired"),
        (mint("another-secret" * 3, "bob@contoso.com", "contoso", ["user"]), "invalid_token"),
        (mint(SECRET, "bob@contoso.com", "contoso", ["user"], issuer="elsewhere"), "invalid_token"),
        (mint(SECRET, "bob@contoso.com", "contoso", ["user"], audience="elsewhere"), "invalid_token"),
        (mint(SECRET, "bob@contoso.com", "contoso", ["root"]), "invalid_token"),
        (jwt.encode({"sub": "bob@contoso.com", "exp": 9_999_999_999}, SECRET), "invalid_token"),
        (jwt.encode({"sub": "b", "tid": "t", "exp": 9_999_999_999, "iss": "m365-portal",
                     "aud": "m365-billing"}, SECRET, algorithm="HS512"), "invalid_token"),
    ],
    ids=["none", "empty", "not a string", "garbage", "expired", "forged", "issuer", "audience",
         "unknown role", "claims missing", "other algorithm"],
)
def test_every_bad_token_is_refused_with_its_reason(token: object, code: str) -> None:
    with pytest.raises(InvalidToken) as refused:
        verify(token, SECRET)
    assert refused.value.code == code
    assert verify_user_token(token, TokenRules(SECRET)) is None


def test_issuer_and_audience_come_from_the_environment() -> None:
    rules = TokenRules.from_env(
        {"AUTH_TOKEN_SECRET": SECRET, "AUTH_TOKEN_ISSUER": "portal-2", "AUTH_TOKEN_AUDIENCE": "billing-2"}
    )
    token = mint(SECRET, "bob@contoso.com", "contoso", ["user"], issuer="portal-2", audience="billing-2")
    assert rules.verify(token).user_id == "bob@contoso.com"
    with pytest.raises(InvalidToken):
        TokenRules(SECRET).verify(token)
    assert TokenRules.from_env({}).secret == ""
    with pytest.raises(InvalidToken):
        TokenRules.from_env({}).verify(token)  # no secret: nothing verifies


def test_bearer_headers() -> None:
    assert bearer(None) is None and bearer("") is None
    assert bearer("Bearer abc") == "abc" and bearer("bearer  abc ") == "abc"
    assert bearer("Bearer ") is None
    with pytest.raises(InvalidToken):
        bearer("Basic dXNlcjpwYXNz")
