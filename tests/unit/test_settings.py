import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import STANDARD_WEBHOOKS_SCHEDULE, Settings, SettingsError, load_settings

APP = Path(__file__).resolve().parents[2] / "app"


def test_defaults_run_on_sqlite_in_the_working_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("POOL_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./pool.db"
    assert settings.is_sqlite
    assert settings.run_worker is True
    assert settings.webhook_retry_schedule == STANDARD_WEBHOOKS_SCHEDULE
    assert settings.max_body_bytes == 64 * 1024


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("POOL_PORT", "eighty", "POOL_PORT"),
        ("POOL_PORT", "70000", "POOL_PORT"),
        ("POOL_RUN_WORKER", "perhaps", "POOL_RUN_WORKER"),
        ("POOL_LOG_LEVEL", "loud", "POOL_LOG_LEVEL"),
        ("POOL_DATABASE_URL", "mysql://localhost/pool", "POOL_DATABASE_URL"),
        ("POOL_WEBHOOK_RETRY_SCHEDULE", "5,soon,60", "POOL_WEBHOOK_RETRY_SCHEDULE"),
        ("POOL_ADMIN_API_KEY", "short", "POOL_ADMIN_API_KEY"),
        ("POOL_RATE_LIMIT_STORAGE", "foo://x", "POOL_RATE_LIMIT_STORAGE"),
        ("POOL_RATE_LIMIT_STORAGE", "memcached://localhost:11211", "POOL_RATE_LIMIT_STORAGE"),
        ("POOL_RATE_LIMIT_STORAGE", "localhost:6379", "POOL_RATE_LIMIT_STORAGE"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting {says}:")
    assert "\n" not in message


def test_every_setting_is_read_by_the_service() -> None:
    """A POOL_ variable that nothing reads misleads operators: they set it and nothing changes."""
    sources = "\n".join(
        path.read_text() for path in APP.rglob("*.py") if path != APP / "settings.py"
    )
    unread = [name for name in Settings.model_fields if not re.search(rf"\b{name}\b", sources)]
    assert not unread, f"settings nothing reads: {unread}"


def test_retry_schedule_is_comma_separated_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOL_WEBHOOK_RETRY_SCHEDULE", "1, 2,30")
    assert load_settings().webhook_retry_schedule == (1, 2, 30)


def test_rate_limits_are_counted_in_memory_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POOL_RATE_LIMIT_STORAGE", "memory://")
    assert load_settings().rate_limit_storage == "memory://"


@pytest.mark.parametrize("uri", ["redis://localhost:6379", "rediss://cache.example:6380/0"])
def test_a_redis_rate_limit_storage_needs_the_async_redis_client(
    monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    monkeypatch.setenv("POOL_RATE_LIMIT_STORAGE", uri)
    if importlib.util.find_spec("coredis") is not None:
        assert load_settings().rate_limit_storage == uri
        return
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("invalid setting POOL_RATE_LIMIT_STORAGE:")
    assert "coredis" in message
    assert "\n" not in message


@pytest.mark.parametrize("command", [["migrate"], ["serve"]])
def test_the_cli_stops_on_a_bad_setting_without_a_traceback(command: list[str]) -> None:
    env = {**os.environ, "POOL_PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pool: invalid setting POOL_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("POOL_DATABASE_URL", "oracle://nope"), ("POOL_RATE_LIMIT_STORAGE", "foo://x")],
)
def test_importing_the_asgi_app_with_a_bad_setting_exits_with_one_line(
    name: str, value: str
) -> None:
    env = {**os.environ, name: value}
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"pool: invalid setting {name}:")
    assert len(result.stderr.strip().splitlines()) == 1
