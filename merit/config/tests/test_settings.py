"""Settings fail loudly, production refuses DEBUG and weak secrets, and passes `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from merit.config.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]
STRONG = "k9Vq2-xL7pZr4tW8mN3bY6cH1sD5fG0jK-aQeRuIoPlMnBvCxZ7yT2wE9"


def test_env_helpers_name_the_bad_variable(monkeypatch):
    monkeypatch.setenv("MERIT_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="MERIT_FLAG='maybe' is not a boolean"):
        env_bool("MERIT_FLAG")
    monkeypatch.setenv("MERIT_FLAG", "Yes")
    assert env_bool("MERIT_FLAG") is True
    monkeypatch.setenv("MERIT_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="MERIT_N='ten' is not a whole number"):
        env_int("MERIT_N", 1)
    monkeypatch.delenv("MERIT_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MERIT_REQUIRED is required"):
        env_str("MERIT_REQUIRED")
    monkeypatch.setenv("MERIT_HOSTS", "a.example, b.example ,")
    assert env_list("MERIT_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("MERIT_ENGINE", "hadoop")
    with pytest.raises(ImproperlyConfigured, match="MERIT_ENGINE='hadoop' is not one of duckdb, spark"):
        env_choice("MERIT_ENGINE", "duckdb", ("duckdb", "spark"))
    monkeypatch.setenv("MERIT_ENGINE", "Spark")
    assert env_choice("MERIT_ENGINE", "duckdb", ("duckdb", "spark")) == "spark"


def test_database_is_sqlite_in_wal_with_immediate_transactions_unless_database_url():
    db = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL"):  # the PostgreSQL run of CI
        assert db["ENGINE"] == "django.db.backends.postgresql"
    else:
        assert db["ENGINE"] == "django.db.backends.sqlite3"
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert settings.LANGUAGE_CODE == "zh-hans" and settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


def _production(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    base.update({"DJANGO_SETTINGS_MODULE": "merit.config.production", "MERIT_VAR_DIR": str(ROOT / "var")})
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
    )


def test_production_refuses_debug():
    out = _production(DEBUG="1", SECRET_KEY=STRONG)
    assert out.returncode != 0 and "DEBUG must be off in production" in out.stderr


@pytest.mark.parametrize("key", [None, "short", "django-insecure-" + "x" * 60, "a" * 60])
def test_production_refuses_a_missing_or_weak_secret_key(key):
    out = _production(**({"SECRET_KEY": key} if key else {}))
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


def test_check_deploy_is_clean_with_production_settings():
    out = _production(SECRET_KEY=STRONG)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
