"""complaints 0018 rebuilds two of the cases' indexes, 0019 one of the parts', and hearings 0008 adds one, with
`parties.migration_operations.BuildIndex`: CONCURRENTLY on PostgreSQL, the new index built beside the
old one. A run stopped at any statement (a lock_timeout, a statement_timeout, a killed deploy) leaves
the cases with a usable index, and running the migration again finishes it. (A plain RemoveIndex +
AddIndex left no index at all, and on SQLite could not be applied again.)"""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from tests.complaints.factories import submitted_case

pytestmark = pytest.mark.postgres  # CONCURRENTLY is PostgreSQL's

APP, BEFORE = "complaints", "0017_f_status_newest_index"
RECENT = "(created_at DESC, id DESC) INCLUDE (status, company_id, consumer_id, filed_by_id)"
QUEUE = "(status, vulnerable DESC, submitted_at, id) INCLUDE (filed_by_id)"
SERVED = '(company_id, complaint_id DESC) INCLUDE ("position", id) WHERE (notified_at IS NOT NULL)'


def indexes(table: str = "complaints_complaint") -> dict[str, tuple[str, bool]]:
    """name → (definition from the columns on, valid) of the table's indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
            [table],
        )
        return {name: (definition.partition(" USING btree ")[2], valid) for name, definition, valid in cursor}


@pytest.fixture
def before_0018() -> Iterator[None]:
    call_command("migrate", APP, BEFORE, verbosity=0)
    assert indexes()["complaint_recent"] == ("(created_at DESC, id DESC)", True)
    yield
    call_command("migrate", verbosity=0)  # whatever happened, the schema the other tests expect


def stop_at(monkeypatch, statement: int, mentioning: str) -> list[str]:
    """Make the schema editor fail at the `statement`-th statement that names `mentioning`."""
    editor_class = connection.SchemaEditorClass
    run = editor_class.execute
    seen: list[str] = []

    def execute(editor, sql, params=()):
        if mentioning in str(sql):
            seen.append(str(sql))
            if len(seen) == statement + 1:
                raise DatabaseError(f"canceling statement due to lock timeout (test): {sql}")
        return run(editor, sql, params)

    monkeypatch.setattr(editor_class, "execute", execute)
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("statement", [0, 1, 2, 3], ids=["drop-leftover", "build", "drop-old", "rename"])
def test_a_run_stopped_anywhere_leaves_an_index_and_runs_again_to_the_end(before_0018, monkeypatch, statement):
    seen = stop_at(monkeypatch, statement, "complaint_recent")

    with pytest.raises(DatabaseError):
        call_command("migrate", APP, verbosity=0)
    assert len(seen) == statement + 1
    usable = [definition for definition, valid in indexes().values() if valid]
    assert "(created_at DESC, id DESC)" in usable or RECENT in usable  # the old one, or the new one ready

    monkeypatch.undo()
    call_command("migrate", APP, verbosity=0)
    after = indexes()
    assert after["complaint_recent"] == (RECENT, True)
    assert after["complaint_queue_vulnerable"] == (QUEUE, True)
    assert not [name for name in after if name.endswith("_next")]


@pytest.mark.django_db(transaction=True)
def test_a_build_a_stopped_run_left_invalid_is_built_again(before_0018, consumer, company):
    for _ in range(2):
        submitted_case(consumer, company)  # two cases of one status: the unique build below fails half-way
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY complaint_recent_next ON complaints_complaint (status)")
    assert indexes()["complaint_recent_next"][1] is False

    call_command("migrate", APP, verbosity=0)

    after = indexes()
    assert after["complaint_recent"] == (RECENT, True)
    assert "complaint_recent_next" not in after


@pytest.mark.django_db(transaction=True)
def test_both_migrations_go_back_and_forth():
    call_command("migrate", "hearings", "0007", verbosity=0)
    try:
        assert "hearing_time" not in indexes("hearings_hearing")
        call_command("migrate", APP, BEFORE, verbosity=0)
        assert indexes()["complaint_queue_vulnerable"] == (
            "(status, vulnerable DESC, submitted_at) INCLUDE (filed_by_id)",
            True,
        )
        assert indexes("complaints_casecompany")["casecompany_served"] == (
            "(company_id, complaint_id DESC) WHERE (notified_at IS NOT NULL)",
            True,
        )
    finally:
        call_command("migrate", verbosity=0)
    assert indexes("hearings_hearing")["hearing_time"] == ("(starts_at, id)", True)
    assert indexes()["complaint_queue_vulnerable"] == (QUEUE, True)
    assert indexes("complaints_casecompany")["casecompany_served"] == (SERVED, True)
