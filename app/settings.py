"""Configuration from the environment (prefix ``POOL_``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

STANDARD_WEBHOOKS_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
# Stores the rate limiter can count in: this process's memory, or a shared Redis (which the
# ``limits`` library reaches through its async client, ``coredis``).
RATE_LIMIT_SCHEMES = ("memory", "redis", "rediss")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class Settings(BaseSettings):
    """Every knob of the service. Unknown ``POOL_`` variables are ignored."""

    model_config = SettingsConfigDict(env_prefix="POOL_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./pool.db"
    admin_api_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    run_worker: bool = True
    migrate_on_start: bool = True
    log_level: LogLevel = LogLevel.info
    webhook_allow_private: bool = False
    webhook_retry_schedule: Annotated[tuple[int, ...], NoDecode] = STANDARD_WEBHOOKS_SCHEDULE
    webhook_timeout_seconds: float = Field(15, gt=0, le=120)
    webhook_disable_after_seconds: int = Field(3 * 24 * 3600, ge=60)
    webhook_lease_seconds: int = Field(60, ge=5, le=3600)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    db_pool_size: int = Field(8, ge=1, le=200)
    idempotency_ttl_seconds: int = Field(24 * 3600, ge=60)
    max_deadline_days: int = Field(365, ge=1)
    worker_poll_seconds: float = Field(1.0, gt=0, le=60)
    event_retention_days: int = Field(30, ge=1, le=3650)
    demand_poll_seconds: int = Field(5, ge=1, le=3600)

    rate_limits_enabled: bool = True
    rate_limit_reads: str = "6000/minute"
    rate_limit_writes: str = "3000/minute"
    rate_limit_long_polls: str = "600/minute"
    rate_limit_failed_auth: str = "60/minute"  # per client address
    rate_limit_storage: str = "memory://"
    long_polls_per_key: int = Field(5, ge=1, le=1000)
    long_polls_max: int = Field(200, ge=1, le=100_000)
    max_intents_per_consumer: int = Field(20, ge=1, le=1_000_000)
    body_timeout_seconds: float = Field(30, gt=0, le=600)
    max_connections: int = Field(1000, ge=10, le=100_000)
    workers: int = Field(1, ge=1, le=64)  # API processes `pool serve` starts

    @field_validator(
        "rate_limit_reads", "rate_limit_writes", "rate_limit_long_polls", "rate_limit_failed_auth"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate such as 600/minute or 10/second") from None
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _usable_storage(cls, value: str) -> str:
        from limits.errors import ConfigurationError
        from limits.storage import storage_from_string

        scheme, separator, _ = value.partition("://")
        if not separator or scheme not in RATE_LIMIT_SCHEMES:
            raise ValueError("must be memory:// or redis://host:port (rediss:// for TLS)")
        try:  # what app.ratelimit builds: tells a missing client library or a malformed address
            storage_from_string(f"async+{value}")
        except (ConfigurationError, ValueError) as exc:
            # One line, and never the address itself: a Redis URL may carry a password.
            reason = " ".join(str(exc).replace(value, "…").split()) or type(exc).__name__
            raise ValueError(f"unusable {scheme}:// store: {reason}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("admin_api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                seconds = tuple(int(part) for part in value.split(",") if part.strip())
            except ValueError:
                raise ValueError("must be whole seconds separated by commas") from None
            if not seconds or min(seconds) < 0:
                raise ValueError("must be one or more non-negative whole seconds")
            return seconds
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """A bad setting, described in one line that names it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "POOL_" + str(first["loc"][0]).upper() if first["loc"] else "POOL_*"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {message}") from None
