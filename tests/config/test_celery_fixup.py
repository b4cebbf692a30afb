"""A worker keeps its connection pool from one task to the next (config/celery_fixup.py): between two
tasks a healthy connection goes back to the pool, a broken one is dropped, and the pool stays open.
Celery's own fix-up closes the whole pool around every task of a prefork worker, so each task opened
new PostgreSQL connections."""

from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection

from config.celery import app
from config.celery_fixup import PoolKeepingWorkerFixup
from tests.config.test_db_faults import terminate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

A_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))  # what a worker passes: a task it received
PREFORK_WORKER = SimpleNamespace(pool_cls="celery.concurrency.prefork:TaskPool")


def between_two_tasks() -> None:
    fixup = PoolKeepingWorkerFixup(app)
    fixup.worker = PREFORK_WORKER  # what the worker's start sets (`celery worker --pool prefork`)
    fixup.on_task_postrun(sender=A_TASK)
    fixup.on_task_prerun(sender=A_TASK)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_healthy_connection_goes_back_to_the_pool_and_the_pool_stays_open(pooled_postgres):
    backend_pid()

    between_two_tasks()

    assert connection.connection is None  # returned, not held
    assert connection.pool is pooled_postgres  # type: ignore[attr-defined]
    assert not pooled_postgres.closed
    assert backend_pid()  # the next task takes a connection from the same pool


def test_a_connection_broken_during_a_task_is_dropped_and_the_next_task_gets_a_live_one(pooled_postgres):
    dead = backend_pid()
    assert terminate([dead]) == 1
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the task's query fails, as it would after a restart

    between_two_tasks()

    assert not pooled_postgres.closed
    assert backend_pid() != dead


def test_a_connection_that_died_between_two_tasks_is_replaced_before_the_next_one(pooled_postgres):
    idle = backend_pid()
    between_two_tasks()  # back in the pool, where a restart or an idle reaper kills it
    assert terminate([idle]) == 1

    assert backend_pid() != idle
    assert not pooled_postgres.closed
    pooled_postgres.check()  # the dead connection may still wait in the pool: none left for the next test
