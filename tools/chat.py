"""Chat with the running assistant from a terminal, signed in as a demo user.

    .venv-svc/bin/python tools/chat.py alice@contoso.com [--locale fr]

Buttons are numbered: type the number to press one. Ctrl-D or "quit" ends.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import uuid
from typing import Any

import httpx


def mint(user: str) -> str:
    result = subprocess.run([sys.executable, "-m", "billing", "mint-token", user],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(result.stderr.strip() or f"could not sign in as {user}")
    return result.stdout.strip()


def show(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    for reply in replies:
        if reply.get("text"):
            print(f"bot> {reply['text']}")
        for button in reply.get("buttons", []):
            buttons.append(button)
            print(f"     [{len(buttons)}] {button['title']}")
    return buttons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("user", help="a seeded user, e.g. alice@contoso.com")
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    parser.add_argument("--locale", default="", help="fr or en, as the widget would send")
    args = parser.parse_args()
    token, sender, buttons = mint(args.user), f"terminal-{uuid.uuid4().hex[:8]}", []
    metadata = {"token": token, **({"locale": args.locale} if args.locale else {})}
    print(f"Signed in as {args.user}. Say hello (\"bonjour\" for French).")
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            break
        if text == "quit":
            break
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        response = httpx.post(args.url, json={"sender": sender, "message": text, "metadata": metadata},
                              timeout=60)
        buttons = show(response.json() if response.status_code == 200 else [])
        if response.status_code != 200:
            try:
                reason = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                reason = response.text[:200]
            print(f"(refused, HTTP {response.status_code}: {reason})")


if __name__ == "__main__":
    main()
