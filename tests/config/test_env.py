"""The environment helpers: each pytest-xdist test process has Redis databases of its own."""

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured

from config.env import env_redis_url, redis_db


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


def test_a_database_chosen_by_its_query_is_shifted_there(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379?db=1")

    shifted = env_redis_url("REDIS_URL", test=True)

    assert redis_db(shifted) == 3
    assert redis.Redis.from_url(shifted).connection_pool.connection_kwargs["db"] == 3  # as redis-py reads it


def test_a_socket_url_is_refused_for_a_suite_in_several_processes(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("REDIS_URL", "unix:///run/redis.sock?db=1")

    with pytest.raises(ImproperlyConfigured, match="redis://"):
        env_redis_url("REDIS_URL", test=True)


def test_a_cache_and_broker_an_even_number_apart_are_refused_for_the_test_suite():
    from tests.config.test_settings_profiles import manage

    refused = manage(
        "check", DJANGO_ENV="test", CELERY_BROKER_URL="redis://127.0.0.1:6379/0", REDIS_URL="redis://127.0.0.1:6379/2"
    )

    assert refused.returncode != 0
    assert "odd number apart" in refused.stderr
