"""One settings object for the whole package, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "communicator-escalation"


class Settings(BaseSettings):
    """Configuration; every field maps to an environment variable (see README)."""

    model_config = SettingsConfigDict(env_prefix="ESCALATION_", extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=_default_home, description="Data folder: embedded database, outbox.")
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ESCALATION_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL; without it an embedded server runs under `home`.",
    )
    pool_size: int = Field(
        default=8, ge=1, le=200, description="Most pooled database connections (a request holds one at a time)."
    )
    pool_timeout_seconds: float = Field(
        default=2.0, gt=0, le=60,
        description="Most seconds an API request waits for a worker, then for a connection, before 503 + Retry-After.",
    )
    worker_threads: int | None = Field(
        default=None, ge=1, le=1000,
        description="API requests served at once (the server's worker threads); default: the pool size, "
        "at most the CPU count (at least 2).",
    )
    max_request_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest API request body; a larger one is refused with 413."
    )
    policy_file: Path | None = Field(default=None, description="TOML or JSON file overriding the SLA/approval policy.")
    mail_transport: Literal["outbox", "gmail"] = Field(default="outbox", description="Where sends go.")
    gmail_service_account_file: Path | None = Field(default=None, description="Service-account JSON with domain-wide delegation.")
    gmail_sender: str | None = Field(default=None, description="Mailbox the service account impersonates.")
    gmail_token_file: Path | None = Field(default=None, description="Authorized-user token JSON (alternative to a service account).")
    gmail_api_endpoint: str | None = Field(default=None, description="Override of the Gmail API root URL (tests, proxies).")
    gmail_timeout_seconds: float = Field(default=30.0, gt=0, description="Socket timeout of one Gmail API call.")
    send_max_attempts: int = Field(default=4, ge=1, le=10, description="Gmail send attempts before `failed`.")
    send_backoff_seconds: float = Field(default=1.0, ge=0, description="First retry delay; doubles up to the cap.")
    send_backoff_cap_seconds: float = Field(default=30.0, ge=0, description="Largest retry delay.")
    send_lease_minutes: float = Field(
        default=15.0, gt=0,
        description="Lease of one send attempt, renewed at every step; only an expired one may be taken over.",
    )
    brief_docs: Literal["markdown", "google"] = Field(
        default="markdown", description="Internal briefs as Markdown only, or also as Google Docs (Gmail's credentials)."
    )
    docs_folder_id: str | None = Field(default=None, description="Google Drive folder the brief documents go into.")
    docs_api_endpoint: str | None = Field(default=None, description="Override of the Docs/Drive API root URL (tests, proxies).")
    docs_max_attempts: int = Field(default=4, ge=1, le=10, description="Docs/Drive call attempts on 429/5xx.")
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY"), description="Selects ChatOpenAI when set."
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"), description="OpenAI-compatible server URL."
    )
    web_session_hours: float = Field(
        default=12.0, gt=0, le=720, description="How long a web UI sign-in lasts (sign-out ends it sooner)."
    )
    web_link_minutes: float = Field(
        default=15.0, gt=0, le=1440, description="How long a one-time web sign-in link works (once)."
    )
    web_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Address of `escalation serve` that sign-in links point to."
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name for ChatOpenAI.")
    llm_timeout_seconds: float = Field(default=20.0, gt=0, description="Timeout of one LLM call.")

    @model_validator(mode="after")
    def _lease_outlasts_a_step(self) -> Settings:
        """A live sender renews its lease between steps; one step (token, call, backoff) must fit in it."""
        step = 2 * self.gmail_timeout_seconds + self.send_backoff_cap_seconds
        if self.send_lease_minutes * 60 <= step:
            raise ValueError(f"ESCALATION_SEND_LEASE_MINUTES must exceed one send step ({step:g} s: twice the Gmail "
                             "timeout plus the backoff cap), or live sends would be taken over")
        return self

    @property
    def outbox_dir(self) -> Path:
        """Folder where the local outbox writes .eml files."""
        return self.home / "outbox"

    @property
    def briefs_dir(self) -> Path:
        """Folder where internal escalation briefs are written as Markdown."""
        return self.home / "briefs"

    @property
    def pgdata_dir(self) -> Path:
        """Folder of the embedded PostgreSQL cluster."""
        return self.home / "pgdata"
