"""Small typed accessors for values the stubs declare optional but the tests know are set."""

from collections.abc import Sequence

from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile

from complaints.models import Complaint


def case_number(case: Complaint) -> str:
    """The number of a case that has one (every submitted case is numbered)."""
    assert case.number is not None, f"case {case.pk} has no number yet"
    return case.number


def stored_name(file: FieldFile) -> str:
    """The storage name of a file field that holds a file."""
    assert file.name is not None, "the file field holds no file"
    return file.name


def migrate_to(target: tuple[str, str]) -> None:
    """Run the migrations forwards or backwards to `target` inside the test's transaction. The rows
    the test wrote first are checked now: PostgreSQL refuses to ALTER a table with foreign-key checks
    still deferred (pending trigger events)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def explain(query: QuerySet | tuple[str, Sequence], *, off: Sequence[str] = ("seqscan",)) -> str:
    """PostgreSQL's plan for `query` (a queryset, or SQL and its parameters) with the planner's methods
    `off` forbidden (`SET LOCAL enable_<method> = off`, in a savepoint of the test's transaction): on a
    handful of test rows a sequential scan is always cheaper than the index a national volume needs."""
    from django.db import connection, transaction

    sql, params = query.query.sql_with_params() if isinstance(query, QuerySet) else query
    with transaction.atomic(), connection.cursor() as cursor:
        for method in off:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
