"""Celery's Django fix-up, except for what it does between two tasks.

Celery (5.7, celery/celery#10554) closes the database connections *and the connection pool* before
and after every task in a prefork worker: each task then opens a new pool, and with it new
PostgreSQL connections, which cost more than a notification's whole delivery. Between tasks we do
what Django does between two requests, `close_old_connections()`: a healthy connection goes back
to the child's pool, a broken one (a restart, a failover) is dropped and the next task gets a live
one; a connection that died while it waited in the pool is caught as the next task takes it
(config/postgresql checks each one on its way out). The connection is not kept between tasks: an
idle worker's connection can die unseen, and most tasks have no retry. The pool a child inherits
from its parent is still closed when the child starts (Celery's `on_worker_process_init`,
unchanged), so no two processes ever share one."""

from typing import Any

from celery import Celery
from celery.fixups.django import (  # type: ignore[attr-defined]  # celery-types predates DjangoWorkerFixup
    DjangoFixup,
    DjangoWorkerFixup,
)


class PoolKeepingWorkerFixup(DjangoWorkerFixup):
    def close_database(self, **kwargs: Any) -> None:
        self._db.close_old_connections()


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
