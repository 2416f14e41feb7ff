"""The portal's chat widget in a real browser, against the real stack."""

from __future__ import annotations

import json
import re
import time

import httpx
import jwt
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ROOT,
    TEST_SECRET,
    bot_says,
    log,
    rasa_tracker,
    reply_button,
    say,
    session_id,
    settle_button,
    sign_in,
    wait_widget_ready,
)

STANDARD = "Microsoft 365 Business Standard"
EXCHANGE = "Exchange Online (Plan 1)"


def test_the_widget_modules_load_without_an_error(page: Page) -> None:
    """The widget is native ES modules (web/static/widget/): a bad import or a syntax error in any of
    them leaves the page without a widget. Every module is fetched, and nothing logs an error (but the
    browser's own request for a favicon, which the portal has none of)."""
    errors: list[str] = []
    modules: dict[str, int] = {}

    def on_console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        if "/widget/" in response.url:
            modules[response.url.rsplit("/", 1)[1]] = response.status

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", on_response)
    sign_in(page, "alice@contoso.com", "en")
    expect(page.locator(".settlechat .sc-launcher")).to_have_text("Billing assistant")
    assert page.evaluate("typeof SettleChat.open") == "function"
    on_disk = {path.name for path in (ROOT / "web" / "static" / "widget").glob("*.js")}
    assert set(modules) == on_disk, "a module is missing, or one on disk is never imported"
    assert set(modules.values()) == {200}, modules
    assert errors == []


def test_alice_settles_business_standard_by_changing_the_expiry(page: Page, shots) -> None:
    sign_in(page, "alice@contoso.com", "en")
    expect(page.get_by_role("heading", name="Billing > Your products")).to_be_visible()
    standard = page.locator(f'article.subscription[data-product="{STANDARD}"]')
    expect(standard.get_by_text("Subscription has a past due payment")).to_be_visible()
    shots(page, "portal")

    settle_button(page, STANDARD).click()
    expect(log(page).locator(".sc-user .sc-text").last).to_have_text(re.compile("Settle balance"))
    bot_says(page, "has expired")
    shots(page, "options")

    reply_button(page, "Change the expiration date").click()
    bot_says(page, "new expiration date")
    # answered quick replies stay visible, disabled
    chosen = log(page).locator(".sc-reply", has_text="Change the expiration date").first
    expect(chosen).to_be_disabled()
    say(page, "12/27")
    bot_says(page, "security code")
    say(page, "123")
    bot_says(page, "Pay €151.20 for Microsoft 365 Business Standard")
    shots(page, "confirm")
    reply_button(page, re.compile(r"^Yes, pay")).click()
    bot_says(page, "Receipt reference: RCPT-")
    shots(page, "paid")

    page.reload()
    standard = page.locator(f'article.subscription[data-product="{STANDARD}"]')
    expect(standard).to_have_attribute("data-state", "active")
    expect(standard.locator(".past-due")).to_have_count(0)
    expect(standard.get_by_text("Subscription has a past due payment")).to_have_count(0)
    shots(page, "after-reload")


def test_a_reload_mid_flow_replays_the_history_and_the_flow_continues(page: Page, stack, shots) -> None:
    sign_in(page, "alice@contoso.com", "en")
    settle_button(page, STANDARD).click()
    bot_says(page, "has expired")
    before = log(page).locator(".sc-bot").all_inner_texts()
    shots(page, "before-reload")

    page.reload()
    wait_widget_ready(page)
    page.evaluate("SettleChat.open()")
    # the transcript comes back from the server (the tracker), not from the page's storage
    expect(log(page).locator(".sc-bot")).to_have_count(len(before))
    assert log(page).locator(".sc-bot").all_inner_texts() == before
    expect(log(page).locator(".sc-user .sc-text")).to_have_text(["Settle balance"])
    events = rasa_tracker(stack, session_id(page, "alice@contoso.com"))["events"]
    bot_events = [e for e in events if e["event"] == "bot"]
    assert len(bot_events) == len(before)
    shots(page, "after-reload")

    reply_button(page, "Change the expiration date").click()
    bot_says(page, "new expiration date")
    shots(page, "continued")


def test_french_page_gets_french_answers_and_english_page_english(new_context, shots) -> None:
    french = new_context().new_page()
    sign_in(french, "alice@contoso.com", "fr")
    expect(french.get_by_role("heading", name="Facturation > Vos produits")).to_be_visible()
    expect(french.locator(".sc-launcher")).to_have_text("Assistant facturation")
    settle_button(french, STANDARD).click()
    expect(log(french).locator(".sc-user .sc-text").last).to_have_text("Régler le solde")
    bot_says(french, "a expiré")
    expect(reply_button(french, "Modifier la date d'expiration")).to_be_visible()
    expect(french.get_by_role("textbox", name="Message à l'assistant facturation")).to_be_visible()
    expect(french.get_by_role("button", name="Recommencer")).to_be_visible()
    shots(french, "french")

    english = new_context().new_page()
    sign_in(english, "alice@contoso.com", "en")
    expect(english.locator(".sc-launcher")).to_have_text("Billing assistant")
    settle_button(english, STANDARD).click()
    bot_says(english, "has expired")
    expect(reply_button(english, "Change the expiration date")).to_be_visible()
    expect(log(english)).not_to_contain_text("a expiré")
    shots(english, "english")

    # the language toggle: the UI and the assistant switch to French
    english.locator(".settlechat .sc-lang", has_text="FR").click()
    expect(log(english).locator(".sc-user .sc-text").last).to_have_text("en français")
    bot_says(english, "continuons en français")
    expect(english.get_by_role("button", name="Recommencer")).to_be_visible()
    expect(english.locator(".settlechat .sc-lang", has_text="FR")).to_have_attribute("aria-pressed", "true")
    say(english, "je veux modifier la date d'expiration")
    bot_says(english, "nouvelle date d'expiration")
    shots(english, "switched-to-french")


def test_markup_typed_or_echoed_renders_as_text(page: Page, shots) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, "alice@contoso.com", "en")
    page.locator(".settlechat .sc-launcher").click()
    img = "<img src=x onerror=alert(1)>"
    link = "[click](javascript:alert(1))"
    say(page, img)
    expect(log(page).locator(".sc-user .sc-text").last).to_have_text(img)
    expect(log(page).locator(".sc-bot")).to_have_count(1)
    say(page, "hello")  # understood: two unusable messages in a row would bring in a person
    expect(log(page).locator(".sc-bot")).to_have_count(2)
    say(page, link)
    expect(log(page).locator(".sc-user .sc-text").last).to_have_text(link)
    expect(log(page).locator(".sc-bot")).to_have_count(3)
    # the assistant echoes a subscription name it can't find: still text
    page.evaluate(
        "(name) => SettleChat.send('/choose_subscription' + JSON.stringify({subscription: name}), name)",
        f"{img} {link} **bold**",
    )
    echoed = bot_says(page, "couldn't find")
    expect(echoed).to_contain_text(img)
    expect(echoed).to_contain_text(link)
    expect(echoed.locator("strong")).to_have_text("bold")  # the markdown subset still works
    # a safe link from the assistant is a real link, opened with noopener
    page.evaluate("SettleChat.send('/more_info', 'More information')")
    anchor = bot_says(page, "Pay for your subscription").locator("a")
    expect(anchor).to_have_attribute("href", re.compile(r"^https://learn\.microsoft\.com/"))
    expect(anchor).to_have_attribute("rel", re.compile("noopener"))
    expect(anchor).to_have_attribute("target", "_blank")
    page.wait_for_timeout(500)
    shots(page, "rendered-as-text")

    assert log(page).locator("img").count() == 0
    assert page.locator("img").count() == 0
    assert log(page).locator('a[href^="javascript"]').count() == 0
    links = page.evaluate("[...document.querySelectorAll('.settlechat a')].map(a => a.href)")
    assert links and all(re.match(r"^(https?|mailto):", href) for href in links), links
    assert dialogs == []


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) {
    return {text: "", label: "", tag: "body", product: "", cls: "", inWidget: false, outline: ""};
  }
  const style = getComputedStyle(e);
  return {text: (e.innerText || e.value || "").trim(), label: e.getAttribute("aria-label") || "",
          tag: e.tagName.toLowerCase(), product: e.dataset.product || "", cls: e.className || "",
          inWidget: !!e.closest(".settlechat"), outline: style.outlineStyle + " " + style.outlineWidth};
}"""


def press_until(page: Page, wanted, key: str = "Tab", limit: int = 60) -> dict:
    """Presses `key` until the focused element matches `wanted(info)`; returns that element's info."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = page.evaluate(FOCUSED)
        if wanted(info):
            return info
        seen.append(info.get("text") or info.get("label") or info["tag"])
    raise AssertionError(f"never focused the wanted element with {key}; went through {seen}")


def test_keyboard_only_run_through_payment(page: Page, shots) -> None:
    page.goto("/signin?lang=en")
    press_until(page, lambda f: f["text"] == "alice@contoso.com")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/portal"))
    wait_widget_ready(page)

    # the launcher is a real button: Tab reaches it, Enter opens the chat, Escape closes it
    launcher = press_until(page, lambda f: f["inWidget"] and "sc-launcher" in f["cls"])
    assert launcher["tag"] == "button"
    page.keyboard.press("Enter")
    expect(page.locator("#sc-panel")).to_be_visible()
    assert page.evaluate(FOCUSED)["label"] == "Message to the billing assistant"
    page.keyboard.press("Escape")
    expect(page.locator("#sc-panel")).to_be_hidden()
    assert "sc-launcher" in page.evaluate(FOCUSED)["cls"]

    press_until(page, lambda f: "settle-balance" in f["cls"] and f["product"] == STANDARD)
    page.keyboard.press("Enter")
    bot_says(page, "has expired")
    assert page.evaluate(FOCUSED)["label"] == "Message to the billing assistant"
    focused = press_until(page, lambda f: f["text"] == "Change the expiration date", key="Shift+Tab")
    assert not focused["outline"].startswith("none"), f"no visible focus style: {focused}"
    shots(page, "focus-on-quick-reply")
    page.keyboard.press("Enter")
    bot_says(page, "new expiration date")
    page.keyboard.type("12/27")
    page.keyboard.press("Enter")
    bot_says(page, "security code")
    page.keyboard.type("123")
    page.keyboard.press("Enter")
    bot_says(page, "Pay €151.20")
    press_until(page, lambda f: f["text"].startswith("Yes, pay"), key="Shift+Tab")
    shots(page, "focus-on-confirm")
    page.keyboard.press("Enter")
    bot_says(page, "Receipt reference: RCPT-")
    shots(page, "paid")


def test_accessibility_scan_with_the_widget_open(page: Page, shots) -> None:
    sign_in(page, "bob@contoso.com", "en")
    settle_button(page, EXCHANGE).click()
    bot_says(page, "insufficient funds")
    reply_button(page, "Add a new card").click()
    bot_says(page, "secure form below")
    expect(page.locator(".settlechat form.sc-card")).to_be_visible()
    page.wait_for_timeout(300)
    shots(page, "scanned")
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = results["violations"]
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        print(f"axe {violation['impact']}: {violation['id']}: {violation['help']} -> {targets}")
    if not violations:
        print("axe: no violation")
    grave = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == [], grave


PAN = "4242 4242 4242 4242"


def test_a_card_added_in_the_secure_form_never_reaches_the_socket_or_tracker(page: Page, stack, shots):
    frames: list[str] = []
    posts: list[tuple[str, str]] = []

    def on_websocket(ws) -> None:
        def record(payload) -> None:
            frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))

        ws.on("framesent", record)
        ws.on("framereceived", record)

    page.on("websocket", on_websocket)
    page.on("request", lambda request: posts.append((request.url, request.post_data or "")))

    sign_in(page, "bob@contoso.com", "en")
    settle_button(page, EXCHANGE).click()
    bot_says(page, "insufficient funds")
    reply_button(page, "Add a new card").click()
    bot_says(page, "Please enter the new card in the secure form below")
    form = page.locator(".settlechat form.sc-card")
    expect(form).to_be_visible()
    form.get_by_label("Card number").fill("4242 4242 4242 4241")  # fails the Luhn check
    form.get_by_label("Expiration date (MM/YY)").fill("12/28")
    form.get_by_label("Security code").fill("123")
    form.get_by_label("Cardholder name").fill("Bob Durand")
    form.get_by_role("button", name="Save the card").click()
    expect(form.get_by_role("alert")).to_have_text("This card number is not valid: check the digits.")
    expect(form).to_be_visible()
    shots(page, "form-refused")
    form.get_by_label("Card number").fill(PAN)
    shots(page, "form-filled")
    form.get_by_role("button", name="Save the card").click()
    expect(form).to_be_hidden()
    expect(log(page).locator(".sc-user .sc-text").last).to_have_text("Visa •••• 4242 (12/2028) added")
    bot_says(page, "Pay €40.00 for Exchange Online (Plan 1) with Visa •••• 4242 (12/2028)")
    shots(page, "confirm")
    reply_button(page, re.compile(r"^Yes, pay")).click()
    bot_says(page, "Receipt reference")
    shots(page, "paid")

    digits = PAN.replace(" ", "")
    assert not any("4242424242424241" in frame for frame in frames)
    socket_posts = [body for url, body in posts if "/socket.io/" in url]
    socket_text = "\n".join(frames + socket_posts)
    assert "user_uttered" in socket_text, "recorded no socket traffic"
    assert "card_added" in socket_text
    assert digits not in socket_text and PAN not in socket_text
    assert '"cvc"' not in socket_text and "Bob Durand" not in socket_text
    # the form posted to the billing vault directly, and only there
    vault_posts = [url for url, body in posts if digits in body]
    assert vault_posts and all(url.endswith("/v1/payment-methods") for url in vault_posts), vault_posts
    assert all(url.startswith(stack["billing"].url) for url in vault_posts)

    tracker = json.dumps(rasa_tracker(stack, session_id(page, "bob@contoso.com")), ensure_ascii=False)
    assert digits not in tracker and PAN not in tracker
    assert "added_card_id" in tracker
    history = page.evaluate(
        "async (sid) => await (await fetch('/api/history?session_id=' + sid)).text()",
        session_id(page, "bob@contoso.com"),
    )
    assert digits not in history and PAN not in history


def test_reconnect_banner_and_catch_up(page: Page, stack, shots) -> None:
    state: dict = {"down": False, "routes": []}

    def websocket_route(route) -> None:
        if state["down"]:
            route.close()
            return
        route.connect_to_server()
        state["routes"].append(route)

    def polling_route(route) -> None:
        if state["down"]:
            route.abort()
        else:
            route.fallback()

    page.route_web_socket(re.compile(r"/socket\.io/"), websocket_route)
    page.route(re.compile(r"/socket\.io/"), polling_route)
    sign_in(page, "alice@contoso.com", "en")
    settle_button(page, STANDARD).click()
    bot_says(page, "has expired")
    sid = session_id(page, "alice@contoso.com")

    # an agent's message reaches the widget live, marked with the agent's name
    agent_says(stack, sid, "Hi, this is Sam from support: I'm watching this payment.", "Sam (support)")
    agent = bot_says(page, "I'm watching this payment")
    expect(agent.locator(".sc-who")).to_have_text("Sam (support)")

    state["down"] = True
    for route in state["routes"]:
        route.close()
    banner = page.locator(".settlechat .sc-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Reconnecting…")
    # while the widget is away: an agent message it misses, and a message the user sends anyway
    agent_says(stack, sid, "Sam again: you can change the card's date here.", "Sam (support)")
    reply_button(page, "Change the expiration date").click()
    expect(page.locator(".settlechat .sc-typing")).to_be_visible()
    shots(page, "reconnecting")
    page.wait_for_timeout(1500)
    expect(log(page)).not_to_contain_text("Sam again")

    expect(page.locator(".settlechat")).to_have_attribute("data-state", "offline")
    state["down"] = False
    expect(banner).to_be_hidden()
    wait_widget_ready(page)
    missed = bot_says(page, "Sam again")
    expect(missed.locator(".sc-who")).to_have_text("Sam (support)")
    bot_says(page, "new expiration date")  # the queued message went out after the reconnect
    expect(log(page).locator(".sc-reply:not([disabled])")).to_have_count(0)
    expect(log(page).locator(".sc-reply.sc-chosen")).to_have_text(["Change the expiration date"])
    expect(page.locator(".settlechat .sc-typing")).to_be_hidden()
    shots(page, "caught-up")


def agent_says(stack, sid: str, text: str, agent: str) -> None:
    token = jwt.encode({"user": {"username": "qa", "role": "admin"}}, TEST_SECRET, algorithm="HS256")
    response = httpx.post(
        f"{stack['rasa'].url}/conversations/{sid}/tracker/events",
        params={"output_channel": "socketio", "execute_side_effects": "true"},
        headers={"Authorization": f"Bearer {token}"},
        json={"event": "bot", "text": text, "metadata": {"agent_name": agent}, "timestamp": time.time()},
        timeout=10,
    )
    response.raise_for_status()


def test_start_over_clears_the_transcript_for_good(page: Page, shots) -> None:
    sign_in(page, "alice@contoso.com", "en")
    settle_button(page, STANDARD).click()
    bot_says(page, "has expired")
    page.get_by_role("button", name="Start over").click()
    expect(log(page).locator(".sc-msg")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Message to the billing assistant")).to_be_focused()
    page.wait_for_timeout(1000)  # the /restart reaches the tracker
    page.reload()
    wait_widget_ready(page)
    expect(page.locator("#sc-panel")).to_be_visible()  # it stays open across the reload
    expect(log(page).locator(".sc-msg")).to_have_count(0)
    expect(log(page).locator(".sc-welcome")).to_be_visible()
    say(page, "hello")
    bot_says(page, "Hello!")
    shots(page, "started-over")
