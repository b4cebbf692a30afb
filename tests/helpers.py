"""Small typed accessors for values the stubs declare optional but the tests know are set."""

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
