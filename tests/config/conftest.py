import pytest
from django.db import connection


@pytest.fixture
def pooled_postgres():
    """The site's psycopg connection pool (PostgreSQL with DATABASE_POOL on), or a skip."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    pool = getattr(connection, "pool", None)
    if pool is None:
        pytest.skip("needs the connection pool (DATABASE_POOL is off)")
    return pool
