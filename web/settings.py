"""Web service settings, read once from the environment (and `.env`)."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from security import tokens


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    token_secret: str = Field(..., alias="AUTH_TOKEN_SECRET", min_length=32)
    token_ttl_seconds: int = Field(3600, alias="PORTAL_TOKEN_TTL_SECONDS")
    token_issuer: str = Field(tokens.ISSUER, alias="AUTH_TOKEN_ISSUER")
    token_audience: str = Field(tokens.AUDIENCE, alias="AUTH_TOKEN_AUDIENCE")
    billing_url: str = Field("http://127.0.0.1:8081", alias="BILLING_URL")
    billing_public_url: str = Field("http://localhost:8081", alias="BILLING_PUBLIC_URL")
    rasa_url: str = Field("http://127.0.0.1:5005", alias="RASA_URL")
    rasa_public_url: str = Field("http://localhost:5005", alias="RASA_PUBLIC_URL")
    # The widget's socket.io transports, comma-separated. "websocket" alone behind a load balancer without
    # sticky sessions: one connection stays on one replica.
    socket_transports: str = Field(
        "polling,websocket",
        alias="SOCKET_TRANSPORTS",
        pattern=r"^(polling|websocket)(,(polling|websocket))*$",
    )
    rasa_jwt_secret: str = Field(..., alias="RASA_JWT_SECRET", min_length=16)
    portal_origin: str = Field("http://localhost:8080", alias="PORTAL_ORIGIN")
    secure_cookies: bool = Field(False, alias="SECURE_COOKIES")
    database_url: str = Field("sqlite:///var/web.db", alias="WEB_DATABASE_URL")
    handoff_timeout_seconds: float = Field(300, alias="HANDOFF_TIMEOUT_SECONDS", gt=0)
    agent_demo_password: str = Field("support-demo", alias="AGENT_DEMO_PASSWORD", min_length=8)
    handoff_monitor: bool = Field(True, alias="HANDOFF_MONITOR")
    # The console's feed: with RABBITMQ_HOST set (the production profile), the events Rasa publishes on
    # RabbitMQ (the same settings as endpoints.scale.yml's event broker); without, Rasa's tracker API.
    rabbitmq_host: str = Field("", alias="RABBITMQ_HOST")
    rabbitmq_port: int = Field(5672, alias="RABBITMQ_PORT", gt=0, lt=65536)
    rabbitmq_user: str = Field("guest", alias="RABBITMQ_USER")
    rabbitmq_password: str = Field("guest", alias="RABBITMQ_PASSWORD")
    rabbitmq_queue: str = Field("settle_events", alias="RABBITMQ_QUEUE", min_length=1)
    rabbitmq_exchange: str = Field("settle_events", alias="RABBITMQ_EXCHANGE", min_length=1)
    # Agent console sign-in: this many failures within the window lock the account (normalised e-mail)
    # or the client address (IPv6: its /64) for the lockout period. Counted in the web database.
    console_signin_max_failures_per_account: int = Field(
        5, alias="CONSOLE_SIGNIN_MAX_FAILURES_PER_ACCOUNT", ge=1
    )
    console_signin_max_failures_per_address: int = Field(
        20, alias="CONSOLE_SIGNIN_MAX_FAILURES_PER_ADDRESS", ge=1
    )
    console_signin_window_seconds: int = Field(900, alias="CONSOLE_SIGNIN_WINDOW_SECONDS", gt=0)
    console_signin_lockout_seconds: int = Field(900, alias="CONSOLE_SIGNIN_LOCKOUT_SECONDS", gt=0)

    @property
    def rabbitmq_url(self) -> str:
        user, password = quote(self.rabbitmq_user, safe=""), quote(self.rabbitmq_password, safe="")
        return f"amqp://{user}:{password}@{self.rabbitmq_host}:{self.rabbitmq_port}/"

    @property
    def token_rules(self) -> tokens.TokenRules:
        """How portal user tokens are signed and checked (the same rules as billing's)."""
        return tokens.TokenRules(self.token_secret, self.token_issuer, self.token_audience)
