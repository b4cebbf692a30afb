"""Parallel query is off for the site's connections unless DATABASE_PARALLEL_WORKERS allows it: a
request's query runs on one core (config/settings.py; bench/RESULTS.md, session 11)."""

import pytest
from django.db import connection

from tests.config.test_settings_profiles import manage

URL = "postgres://postgres@127.0.0.1:5432/concilia"


def option(alias: str, name: str = "options", **env: str) -> str:
    """OPTIONS[name] of a database alias as a fresh process configures it, as repr() writes it (None:
    not set). PGOPTIONS is the test's own, never the shell's."""
    shown = f"from django.conf import settings; print(repr(settings.DATABASES[{alias!r}]['OPTIONS'].get({name!r})))"
    result = manage("shell", "--no-imports", "-c", shown, **{"PGOPTIONS": "", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.postgres
def test_the_site_s_connections_plan_without_parallel_workers(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_a_server_with_cores_to_spare_may_allow_some_and_keeps_the_url_s_own_options():
    url = f"{URL}?options=-c%20statement_timeout%3D5000"

    shown = option("default", DATABASE_URL=url, DATABASE_PARALLEL_WORKERS="2")

    assert shown == "'-c statement_timeout=5000 -c max_parallel_workers_per_gather=2'"


def test_a_negative_number_of_workers_is_refused_by_name():
    result = manage("check", DATABASE_URL=URL, DATABASE_PARALLEL_WORKERS="-1")

    assert result.returncode != 0
    assert "DATABASE_PARALLEL_WORKERS must be at least 0, got -1." in result.stderr


def test_the_replica_keeps_its_own_options_and_plans_the_same_way():
    replica = f"{URL}_replica?options=-c%20default_transaction_read_only%3Don"

    shown = option("replica", DATABASE_URL=URL, DATABASE_REPLICA_URL=replica)

    assert shown == "'-c default_transaction_read_only=on -c max_parallel_workers_per_gather=0'"


def test_pgoptions_are_kept_when_the_url_names_none():
    # libpq ignores PGOPTIONS once a connection names its options: they are carried over.
    shown = option("default", DATABASE_URL=URL, PGOPTIONS="-c statement_timeout=1234")

    assert shown == "'-c statement_timeout=1234 -c max_parallel_workers_per_gather=0'"


def test_an_empty_value_sends_nothing_and_leaves_it_to_the_server_or_the_role():
    # For a pooler that refuses startup options (PgBouncer): set it on the role instead.
    both = {"DATABASE_URL": URL, "DATABASE_REPLICA_URL": URL, "DATABASE_PARALLEL_WORKERS": ""}

    assert [option("default", **both), option("replica", **both)] == ["None", "None"]


def test_options_that_set_it_themselves_keep_their_value():
    url = f"{URL}?options=-c%20max_parallel_workers_per_gather%3D4"

    assert option("default", DATABASE_URL=url) == "'-c max_parallel_workers_per_gather=4'"


def test_more_workers_than_postgresql_allows_are_refused_by_name():
    result = manage("check", DATABASE_URL=URL, DATABASE_PARALLEL_WORKERS="2000")

    assert result.returncode != 0
    assert "DATABASE_PARALLEL_WORKERS must be at most 1024, got 2000." in result.stderr


def test_the_replica_keeps_its_own_connection_settings_over_the_primary_s():
    primary, replica = f"{URL}?sslmode=disable", f"{URL}_replica?sslmode=require"

    assert option("replica", "sslmode", DATABASE_URL=primary, DATABASE_REPLICA_URL=replica) == "'require'"
