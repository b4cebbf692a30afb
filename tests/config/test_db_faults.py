"""A PostgreSQL restart, a failover or an idle-connection reaper kills the pooled connections while
they sit idle. The next requests must not inherit them: each connection is checked as it leaves the
pool and, when one is dead, every idle one is (config/postgresql/base.py). Only the requests in
flight at that moment may fail; a pool full of dead connections must not make the next ones wait
out its timeout one after another.

Against the real thing: the live server, the psycopg pool built from the site's own settings, and
`pg_terminate_backend` from a separate connection."""

import urllib.error
import urllib.request

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from psycopg_pool import ConnectionPool, PoolTimeout

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS_AFTER = 12


def terminate(pids: list[int]) -> int:
    """What a restart does to the pool: its connections die, from outside. Only the pool's own
    backends are killed, so whatever else this test session holds open (a Celery worker thread,
    another test's connection) lives on."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)


def fill_with_idle_connections(pool: ConnectionPool) -> list[int]:
    """A pool that has served a busy moment: as many idle connections as it can hold (threads of
    earlier tests may still hold some). Returns the server process ids behind them."""
    busy: list[psycopg.Connection] = []
    try:
        while len(busy) < pool.max_size:
            busy.append(pool.getconn(timeout=2))
    except PoolTimeout:
        pass
    finally:
        pids = [conn.info.backend_pid for conn in busy]
        for conn in busy:
            pool.putconn(conn)
    return pids


def status_of(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_requests_after_a_database_restart_all_succeed(pooled_postgres, live_server, consumer):
    client = Client()
    client.force_login(consumer)  # the session lives in the database: every request reads it
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    home = f"{live_server.url}/"
    assert [status_of(home, cookie) for _ in range(4)] == [200] * 4
    connection.close()  # this thread's connection goes back to the pool, to die with the others
    pooled = fill_with_idle_connections(pooled_postgres)

    killed = terminate(pooled)

    assert killed == len(pooled) >= 2
    assert [status_of(home, cookie) for _ in range(REQUESTS_AFTER)] == [200] * REQUESTS_AFTER
