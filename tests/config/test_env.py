"""The environment helpers: each pytest-xdist test process has Redis databases of its own."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_redis_url


@pytest.mark.parametrize(
    ("worker", "broker", "cache"),
    [("", "/0", "/1"), ("gw0", "/0", "/1"), ("gw1", "/2", "/3"), ("gw3", "/6", "/7")],
)
def test_each_test_process_has_its_own_broker_and_cache_databases(monkeypatch, worker, broker, cache):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:6379/1?socket_timeout=1")

    assert env_redis_url("CELERY_BROKER_URL", test=True) == f"redis://127.0.0.1:6379{broker}"
    assert env_redis_url("REDIS_URL", test=True) == f"redis://:secret@127.0.0.1:6379{cache}?socket_timeout=1"


def test_outside_the_test_suite_the_configured_database_is_used_as_given(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")

    assert env_redis_url("REDIS_URL", test=False) == "redis://127.0.0.1:6379/1"
    monkeypatch.delenv("REDIS_URL")
    assert env_redis_url("REDIS_URL", test=True) == ""


def test_a_test_process_beyond_redis_s_sixteen_databases_is_refused(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")

    with pytest.raises(ImproperlyConfigured, match="gw7"):
        env_redis_url("REDIS_URL", test=True)
