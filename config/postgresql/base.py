"""Django's PostgreSQL backend, with a pool that survives a database restart.

After a PostgreSQL restart, a failover or an idle-connection reaper, every idle connection in the
pool is dead. psycopg_pool's own `check` (what CONN_HEALTH_CHECKS gives it) finds them one at a
time and waits between two dead ones (0 s, 1 s, 2 s, 4 s…): with a few idle connections, the
first requests after a restart run out of the pool's timeout and fail, one after another.

Here each connection is checked as it leaves the pool (a round trip, as psycopg's check); the
first dead one found means the others are dead too, so the pool checks all its idle connections at
once (a dead one fails at once) and the request takes a live one. Only the requests in flight at
the moment of the restart are lost. (Django always passes the pool its own `check` argument, so the
pool's OPTIONS cannot name another one: hence this small backend.)"""

import logging

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        pool = self.pool
        if pool is None:
            return connection
        try:
            ConnectionPool.check_connection(connection)
        except self.Database.Error:
            logger.warning("A pooled database connection was dead; checking every idle one.")
            pool.putconn(connection)  # a broken connection: the pool discards it and opens another
            pool.check()
            connection = super().get_new_connection(conn_params)
        return connection
