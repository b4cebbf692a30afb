"""Parallel query is off for the site's connections unless DATABASE_PARALLEL_WORKERS allows it: a
request's query runs on one core (config/settings.py; bench/RESULTS.md, session 11)."""

import pytest
from django.db import connection

from tests.config.test_settings_profiles import manage

URL = "postgres://postgres@127.0.0.1:5432/concilia"
PRINT_OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"


def test_the_site_s_connections_plan_without_parallel_workers(db):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_a_server_with_cores_to_spare_may_allow_some_and_keeps_the_url_s_own_options():
    url = f"{URL}?options=-c%20statement_timeout%3D5000"

    result = manage("shell", "--no-imports", "-c", PRINT_OPTIONS, DATABASE_URL=url, DATABASE_PARALLEL_WORKERS="2")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c statement_timeout=5000 -c max_parallel_workers_per_gather=2"


def test_a_negative_number_of_workers_is_refused_by_name():
    result = manage("check", DATABASE_URL=URL, DATABASE_PARALLEL_WORKERS="-1")

    assert result.returncode != 0
    assert "DATABASE_PARALLEL_WORKERS must be at least 0, got -1." in result.stderr


def test_the_replica_keeps_its_own_options_and_plans_the_same_way():
    replica = f"{URL}_replica?options=-c%20default_transaction_read_only%3Don"
    show = "from django.conf import settings; print(settings.DATABASES['replica']['OPTIONS']['options'])"

    result = manage("shell", "--no-imports", "-c", show, DATABASE_URL=URL, DATABASE_REPLICA_URL=replica)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c default_transaction_read_only=on -c max_parallel_workers_per_gather=0"
