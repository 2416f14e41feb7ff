"""With the action server down, the user is told so in their language, never an empty reply; once it is
back, the same conversation carries on."""

from __future__ import annotations

import asyncio

import httpx

from tests.live.conftest import MODEL
from tests.live.test_socketio_channel import exchange
from tests.support.stack import action_server, free_port, rasa_server

UNAVAILABLE = {"en": "can't reach my services", "fr": "ne parviens pas à joindre mes services"}


def test_a_turn_never_ends_in_silence_when_the_action_server_is_down(stack, talk, tmp_path) -> None:
    port = free_port()  # nothing listens here until the action server is started below
    alice, dave = talk("alice@contoso.com"), talk("dave@fabrikam.com")
    with rasa_server(tmp_path, MODEL, f"http://127.0.0.1:{port}", stack["billing"].url) as rasa:
        url = rasa.url + "/webhooks/rest/webhook"

        def say(convo, text: str, locale: str = "en") -> list[dict]:
            metadata = {"token": convo.token, "locale": locale}
            body = {"sender": convo.sender, "message": text, "metadata": metadata}
            response = httpx.post(url, json=body, timeout=60)
            assert response.status_code == 200, response.text
            return list(response.json())

        [english] = say(alice, "I need to pay my balance")
        assert UNAVAILABLE["en"] in english["text"]
        [french] = say(dave, "je veux régler mon solde", locale="fr")
        assert UNAVAILABLE["fr"] in french["text"]
        print(f"\naction server down, REST: {english['text']!r} / {french['text']!r}")

        replies = asyncio.run(exchange(rasa.url, alice.token, "hello"))
        assert [UNAVAILABLE["en"] in r["text"] for r in replies] == [True]

        with action_server(tmp_path, stack["billing"].url, port=port):
            back = say(alice, "I need to pay my balance")
            assert back and all(UNAVAILABLE["en"] not in r.get("text", "") for r in back)
            assert "€151.20" in "\n".join(r.get("text", "") for r in back)
            charges = alice.billing("/v1/subscriptions/sub_contoso_business_standard/charges")
            assert [c for c in charges if c["outcome"] == "succeeded"] == []
