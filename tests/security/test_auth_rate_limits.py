"""Login limits count per client behind the proxy, and a wrong password never locks an account
for long."""

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def failed_logins(client: Client, count: int, **headers: Any) -> None:
    """`count` wrong passwords, each for a different address (so only the per-address limit counts)."""
    for number in range(count):
        client.post(reverse("account_login"), {"login": f"nadie{number}@example.com", "password": "wrong"}, **headers)


def refused(client: Client, **headers: Any) -> bool:
    response = client.post(reverse("account_login"), {"login": "otro@example.com", "password": "wrong"}, **headers)
    return TOO_MANY in response.content.decode()


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_each_client_address_has_its_own_limit(client):
    failed_logins(client, 20, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert refused(client, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert not refused(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_X_FORWARDED_FOR="198.51.100.23")


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_a_client_cannot_pick_its_address_by_prepending_to_the_header(client):
    failed_logins(client, 20, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")

    assert refused(client, HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.7")


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_the_header_is_ignored(client):
    failed_logins(client, 20, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert refused(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_X_FORWARDED_FOR="198.51.100.23")


def test_five_wrong_passwords_hold_an_account_back_for_a_minute_not_five(client, consumer):
    wrong = {"login": consumer.email, "password": "not-my-password"}
    right = {"login": consumer.email, "password": PASSWORD}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            client.post(reverse("account_login"), wrong)
        held_back = client.post(reverse("account_login"), right)
        clock.shift(timedelta(seconds=61))
        let_in = client.post(reverse("account_login"), right)

    assert TOO_MANY in held_back.content.decode()
    assert let_in.status_code == 302
    assert client.session["_auth_user_id"] == str(consumer.pk)


def diffsettings(**env: str) -> subprocess.CompletedProcess:
    """Settings are read once per process: a fresh `manage.py` reads this environment."""
    clean = {key: value for key, value in os.environ.items() if key != "TRUSTED_PROXY_COUNT"}
    return subprocess.run(
        [sys.executable, "manage.py", "diffsettings"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_ENV": "test", **env},
        capture_output=True,
        text=True,
    )


def test_the_trusted_proxy_count_comes_from_the_environment() -> None:
    assert "ALLAUTH_TRUSTED_PROXY_COUNT = 1 " in diffsettings(TRUSTED_PROXY_COUNT="1").stdout
    assert "ALLAUTH_TRUSTED_PROXY_COUNT = 0 " in diffsettings().stdout  # by default no header is trusted


def test_a_negative_proxy_count_stops_the_start() -> None:
    result = diffsettings(TRUSTED_PROXY_COUNT="-1")

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be at least 0" in result.stderr
