"""Changing the case record behind the application's back, as a database administrator could.

On PostgreSQL a trigger refuses UPDATE and DELETE on case events; an administrator who owns the
table can switch it off first, and so do these tests:

    with as_a_dba():
        CaseEvent.objects.filter(pk=event.pk).update(reason="edited later")
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TRIGGER = "caseevent_immutable"


@contextmanager
def as_a_dba() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    # The test's transaction holds deferred foreign-key checks, and ALTER TABLE waits for none.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE complaints_caseevent DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE complaints_caseevent ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
