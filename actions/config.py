"""The action server's settings: read once from the environment by `actions.server.main` and given to
the actions here (rasa-sdk creates the actions itself, so they cannot take them as arguments). Tests
`configure` their own `Settings(...)`; until a process configures them, the embedded defaults hold."""

from __future__ import annotations

from assistant.settings import Settings

_settings = Settings()


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def current() -> Settings:
    return _settings
