"""Settings are read once per process, so each profile is checked in a fresh `manage.py` process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-for-tests-only-0123456789",
    "ALLOWED_HOSTS": "concilia.example.gob.ar",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/concilia",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "JITSI_DOMAIN": "meet.concilia.example.gob.ar",
    "JITSI_APP_SECRET": "a-jitsi-app-secret-of-more-than-32-characters",
    "JITSI_EVENTS_SECRET": "a-jitsi-events-secret-of-more-than-32-characters",
    "CASE_EVENT_HMAC_KEYS": "k1:a-case-event-hmac-secret-of-more-than-32-characters",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    leaks = {"DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by other tests
    clean = {k: v for k, v in os.environ.items() if k not in leaks}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_the_production_profile_passes_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "override, message",
    [
        ({"MFA_REQUIRED_FOR_STAFF": "0"}, "MFA_REQUIRED_FOR_STAFF cannot be turned off in production"),
        ({"DEBUG": "1"}, "DEBUG cannot be on in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random string"),
        ({"DATABASE_URL": ""}, "DATABASE_URL (PostgreSQL) is required in production"),
        ({"JITSI_DOMAIN": ""}, "JITSI_DOMAIN is required in production"),
        ({"JITSI_APP_SECRET": "short"}, "Set JITSI_APP_SECRET (32+ characters)"),
        ({"JITSI_EVENTS_SECRET": ""}, "JITSI_EVENTS_SECRET must be 32 or more characters"),
    ],
)
def test_the_production_profile_refuses_unsafe_values(override, message):
    result = manage("check", **{**PRODUCTION, **override})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_malformed_value_names_the_variable():
    result = manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
