"""Celery's Django fix-up, except for what it does between two tasks.

Celery (5.7, celery/celery#10554) closes the database connections *and the connection pool* before
and after every task in a prefork worker: each task then opens a new pool, and with it new
PostgreSQL connections, which cost more than a notification's whole delivery. Here a child keeps
its connection from one task to the next while it is healthy; after a task that hit a database
error (a restart, a failover) or left a transaction open, it goes back to the pool, which drops a
broken one, and the next task takes a live one (checked as it leaves the pool: config/postgresql).
The pool a child inherits from its parent is still closed when the child starts (Celery's
`on_worker_process_init`, unchanged), so no two processes ever share one."""

from typing import Any

from celery import Celery
from celery.fixups.django import (  # type: ignore[attr-defined]  # celery-types predates DjangoWorkerFixup
    DjangoFixup,
    DjangoWorkerFixup,
)


class PoolKeepingWorkerFixup(DjangoWorkerFixup):
    def close_database(self, **kwargs: Any) -> None:
        for connection in self._db.connections.all(initialized_only=True):
            # A connection that saw an error or was left inside a transaction goes back to the pool
            # (which drops it if it is broken); a healthy one stays with the child for its next task.
            if connection.errors_occurred or not connection.get_autocommit():
                connection.close_if_unusable_or_obsolete()


class PoolKeepingDjangoFixup(DjangoFixup):
    @property
    def worker_fixup(self) -> Any:
        if self._worker_fixup is None:  # type: ignore[has-type]  # set by DjangoFixup.__init__
            self._worker_fixup = PoolKeepingWorkerFixup(self.app)
        return self._worker_fixup


def fixup(app: Celery) -> DjangoFixup:
    installed = PoolKeepingDjangoFixup(app)
    installed.install()  # returns the fix-up itself; celery-types says None
    return installed
