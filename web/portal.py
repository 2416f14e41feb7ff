"""The portal: demo sign-in, "Billing > Your products" (read from billing on the user's behalf), and the
widget's session and transcript APIs (portal cookie)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Cookie, Form, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from clients.billing import BillingRefused
from security import tokens
from web import history, pages
from web.errors import NotFound, PageRefusal, Unauthenticated, Unavailable
from web.rasa_client import RasaUnavailable
from web.services import SIGNED_OUT, MaybeSignedInUser, PortalToken, Services, SignedInUser, Svc

COOKIE = "portal_session"
ROLE_NAMES = {"global_admin": "Global admin", "billing_admin": "Billing admin", "user": "User"}
Lang = Annotated[str, Query(pattern="^(fr|en)$")]
SessionCookie = Annotated[str | None, Cookie(alias=COOKIE)]

router = APIRouter()


async def billing_view(svc: Services, token: str) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The signed-in user and, when they may see billing, their subscriptions."""
    billing = svc.billing(token)
    me = await billing.me()
    subscriptions = await billing.subscriptions() if me["can_pay"] else None
    return cast(dict[str, Any], me), cast(list[dict[str, Any]] | None, subscriptions)


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/portal", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(svc: Svc, lang: Lang = "en") -> str:
    users = [(u.user_id, u.display_name, ROLE_NAMES.get(u.role, u.role)) for u in svc.users.all()]
    return pages.signin(lang, users)


@router.post("/signin")
def signin(
    svc: Svc,
    user: Annotated[str, Form(max_length=254)],
    lang: Annotated[str, Form(pattern="^(fr|en)$")] = "en",
) -> Response:
    known = svc.users.get(user)
    if known is None:
        raise PageRefusal(400, "Unknown demo user.")
    settings = svc.settings
    rules = settings.token_rules
    token = tokens.mint(
        rules.secret,
        known.user_id,
        known.tenant_id,
        [known.role],
        ttl_seconds=settings.token_ttl_seconds,
        issuer=rules.issuer,
        audience=rules.audience,
    )
    response = RedirectResponse(f"/portal?lang={lang}", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.token_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/signout")
def signout() -> RedirectResponse:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/portal", response_class=HTMLResponse)
async def portal(
    svc: Svc, caller: MaybeSignedInUser, portal_session: SessionCookie = None, lang: Lang | None = None
) -> Response:
    signin_again = RedirectResponse(f"/signin?lang={lang or 'en'}", status_code=303)
    if caller is None or portal_session is None:
        return signin_again
    try:
        me, subscriptions = await billing_view(svc, portal_session)
    except BillingRefused:  # billing does not take this token (any more): sign in again
        return signin_again
    return HTMLResponse(pages.portal(lang or me.get("locale", "en"), me, subscriptions))


@router.get("/portal/products", response_class=HTMLResponse)
async def portal_products(svc: Svc, token: PortalToken, lang: Lang = "en") -> Response:
    """The products list alone, for the page to refresh itself (after a payment in the widget)."""
    try:
        _me, subscriptions = await billing_view(svc, token)
    except BillingRefused:
        raise Unauthenticated(*SIGNED_OUT) from None
    return HTMLResponse(pages.products(lang, subscriptions), headers={"Cache-Control": "no-store"})


@router.get("/api/session")
async def session(svc: Svc, caller: SignedInUser, token: PortalToken) -> JSONResponse:
    user = await run_in_threadpool(svc.users.get, caller.user_id)
    settings = svc.settings
    return JSONResponse(
        {
            "token": token,
            "user": caller.user_id,
            "display_name": user.display_name if user else caller.user_id,
            "locale": user.locale if user else "en",
            "socket_url": settings.rasa_public_url,
            "socket_transports": settings.socket_transports.split(","),
            "billing_url": settings.billing_public_url,
        }
    )


@router.get("/api/history")
async def chat_history(
    svc: Svc, caller: SignedInUser, session_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
) -> JSONResponse:
    try:
        events = await svc.rasa.events(session_id)
    except RasaUnavailable:
        raise Unavailable("assistant_unavailable", "The assistant is not reachable.") from None
    if history.owner(events) not in (None, caller.user_id):
        raise NotFound("not_found", "No such conversation.")
    return JSONResponse({"messages": history.transcript(events)})
