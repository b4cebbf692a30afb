"""Build an index on a table the office is using, in a migration that can be run again if it stops.

A plain RemoveIndex + AddIndex pair drops the old index before the new one exists, and on PostgreSQL
`CREATE INDEX` blocks every write to the table until it is built (tens of seconds on the cases at a
million rows). A migration stopped between the two (a lock_timeout, a statement_timeout, a killed
deploy) leaves the table with no index at all, and on SQLite it can no longer be applied: its first
RemoveIndex meets an index that is not there.

`BuildIndex` builds the new index beside the old one under a temporary name, then drops the old one
and gives the new one its name. On PostgreSQL both the build and the drop are CONCURRENTLY (so the
migration must say `atomic = False`), and each step looks at what a stopped run left: a build left
invalid is dropped and started again, an old index already dropped is not dropped twice. Stopped
anywhere, the table keeps a usable index and the migration runs again to the end. (Run again after
it finished, because a later operation of its migration stopped, it builds the index once more: the
same careful way, only the time of a build lost.) Other databases (SQLite, the zero-setup demo)
drop and build inside one transaction, so a stopped run changed nothing.
"""

from typing import Any

from django.db import models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

# The new index's name while the old one still holds the real name.
BUILDING_SUFFIX = "_next"


class BuildIndex(Operation):
    """Add `index` to the model, or (`replaces=True`) replace the model's index of the same name by it."""

    reversible = True
    atomic = False  # CREATE INDEX CONCURRENTLY refuses to run in a transaction

    def __init__(self, model_name: str, index: models.Index, *, replaces: bool = False) -> None:
        if not index.name:
            raise ValueError("BuildIndex needs a named index.")
        self.model_name = model_name
        self.index = index
        self.replaces = replaces

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"model_name": self.model_name, "index": self.index}
        if self.replaces:
            kwargs["replaces"] = True
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        if self.replaces:
            state.remove_index(app_label, self.model_name.lower(), self.index.name)
        state.add_index(app_label, self.model_name.lower(), self.index)

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            self._build(schema_editor, model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if self.replaces:  # the earlier definition, built back the same careful way
            earlier = to_state.models[app_label, self.model_name.lower()].get_index_by_name(self.index.name)
            self._build(schema_editor, model, earlier)
        elif schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=_concurrently(schema_editor))  # type: ignore[call-arg]
        elif _exists(schema_editor, model, self.index.name):
            schema_editor.remove_index(model, self.index)

    def _build(self, editor: BaseDatabaseSchemaEditor, model: type[models.Model], index: models.Index) -> None:
        if editor.connection.vendor != "postgresql":
            with transaction.atomic(using=editor.connection.alias):
                if _exists(editor, model, index.name):
                    editor.remove_index(model, index)
                editor.add_index(model, index)
            return
        concurrently = _concurrently(editor)
        building = index.clone()
        building.name = f"{index.name}{BUILDING_SUFFIX}"
        # DROP INDEX CONCURRENTLY IF EXISTS (Django's PostgreSQL editor writes the IF EXISTS): a build
        # a stopped run left invalid is started again; one it finished is kept.
        if not _valid_on_postgresql(editor, building.name):
            editor.remove_index(model, building, concurrently=concurrently)  # type: ignore[call-arg]
            editor.add_index(model, building, concurrently=concurrently)  # type: ignore[call-arg]
        editor.remove_index(model, index, concurrently=concurrently)  # type: ignore[call-arg]
        editor.rename_index(model, building, index)

    def describe(self) -> str:
        verb = "Rebuild" if self.replaces else "Build"
        return f"{verb} index {self.index.name} on {self.model_name}, the old one kept until the new one is ready"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.index.name.lower()}"


def _concurrently(editor: BaseDatabaseSchemaEditor) -> bool:
    """CONCURRENTLY, unless a caller runs the migration inside its own transaction (a test migrating back
    and forth inside its test transaction): there the same steps run plainly, and a failure rolls them
    all back."""
    return not editor.connection.in_atomic_block


def _exists(editor: BaseDatabaseSchemaEditor, model: type[models.Model], name: str) -> bool:
    with editor.connection.cursor() as cursor:
        return name in editor.connection.introspection.get_constraints(cursor, model._meta.db_table)


def _valid_on_postgresql(editor: BaseDatabaseSchemaEditor, name: str) -> bool:
    """Whether the index exists and was built to the end (a stopped CONCURRENTLY build leaves it
    behind marked invalid: present, unused by any query, in the way of a new one of that name)."""
    with editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [editor.quote_name(name)])
        row = cursor.fetchone()
    return bool(row and row[0])
