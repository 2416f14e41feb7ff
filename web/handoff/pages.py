"""The agent console's HTML (sign-in and the console shell; console.js fills it). Values escaped."""

from __future__ import annotations

from html import escape


def _page(title: str, body: str, script: bool) -> str:
    assets = '<script src="/console.js" defer></script>' if script else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/console.css">
{assets}
</head>
<body>
{body}
</body>
</html>"""


def signin(problem: str = "") -> str:
    alert = f'<p class="problem" role="alert">{escape(problem)}</p>' if problem else ""
    return _page(
        "Agent console: sign in",
        f"""<main class="signin">
<h1>Support agent console</h1>
{alert}
<form method="post" action="/console/signin">
<label for="email">Work e-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main>""",
        script=False,
    )


def console(name: str, email: str) -> str:
    return _page(
        "Agent console",
        f"""<header class="bar">
<h1>Support agent console</h1>
<span class="me" data-email="{escape(email)}">{escape(name)}</span>
<span id="live" class="live" aria-live="polite">connecting…</span>
<form method="post" action="/console/signout"><button type="submit">Sign out</button></form>
</header>
<main class="console">
<nav class="queue" aria-label="Queue">
<h2>Waiting <span id="waiting-count" class="count">0</span></h2>
<ul id="waiting" class="items"></ul>
<h2>With an agent</h2>
<ul id="assigned" class="items"></ul>
<h2>Missed: follow up</h2>
<ul id="follow-up" class="items"></ul>
</nav>
<section class="conversation" aria-label="Conversation">
<p id="placeholder" class="placeholder">Pick a conversation from the queue.</p>
<div id="chosen" hidden>
<header class="conv-head">
<h2 id="conv-title"></h2>
<p id="conv-state" class="state"></p>
<button id="claim" type="button" disabled>Claim</button>
</header>
<p id="notice" class="notice" role="alert" hidden></p>
<ol id="transcript" class="transcript" role="log" aria-live="polite"></ol>
<p id="user-typing" class="user-typing" role="status" hidden></p>
<form id="reply" class="reply">
<label for="reply-text" class="visually-hidden">Reply</label>
<textarea id="reply-text" rows="2" maxlength="2000" disabled
 placeholder="Write to the user… (never card numbers)"></textarea>
<button id="send" type="submit" disabled>Send</button>
</form>
<div class="handback" role="group" aria-label="Hand back to the assistant">
<button id="back-resume" type="button" disabled>Hand back: resume where it stood</button>
<button id="back-restart" type="button" disabled>Hand back: start over</button>
<button id="back-payment" type="button" disabled>Let the assistant take the payment</button>
</div>
</div>
</section>
<aside class="context" aria-label="Context">
<h2>Context</h2>
<div id="context"><p class="placeholder">No conversation chosen.</p></div>
</aside>
</main>""",
        script=True,
    )
