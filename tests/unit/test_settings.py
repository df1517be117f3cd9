import os
import subprocess
import sys

import pytest

from app.settings import STANDARD_WEBHOOKS_SCHEDULE, SettingsError, load_settings


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


def test_retry_schedule_is_comma_separated_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOL_WEBHOOK_RETRY_SCHEDULE", "1, 2,30")
    assert load_settings().webhook_retry_schedule == (1, 2, 30)


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


def test_importing_the_asgi_app_with_a_bad_setting_exits_with_one_line() -> None:
    env = {**os.environ, "POOL_DATABASE_URL": "oracle://nope"}
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
    assert result.stderr.startswith("pool: invalid setting POOL_DATABASE_URL:")
