"""Indexes for a million cases: the office's list newest first, the admission queue covering the
office's visibility rule, drafts by CUIT, the review deadline, and accent-insensitive trigram
search on names.

The trigram search is PostgreSQL's alone. SQLite, the zero-setup default, skips those operations
and searches names with a plain case-insensitive LIKE (`complaints.selectors.complaint_search`)."""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models
from django.db.migrations.operations.base import Operation


class OnPostgreSQL(Operation):
    """Run the wrapped database operation on PostgreSQL only. It must not change the model state."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, operation):
        self.operation = operation

    def deconstruct(self):
        return self.__class__.__qualname__, [self.operation], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (PostgreSQL only)"


# `unaccent()` is only STABLE (its dictionary could change), and an index expression must be
# IMMUTABLE. Pinning the dictionary makes the usual wrapper; the search calls the same function, so
# PostgreSQL matches the query's expression to the index's.
IMMUTABLE_UNACCENT = """
CREATE OR REPLACE FUNCTION immutable_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""

# The expression is the one Django writes for `icontains` on `immutable_unaccent(column)`, so a
# LIKE '%gomez%' becomes a bitmap scan of the trigram index instead of reading every row.
NAME_INDEXES = [
    ("complaint_consumer_name_trgm", "consumer_name"),
    ("complaint_company_name_trgm", "company_name"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("parties", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="complaint", name="complaint_queue"),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["status", "submitted_at"], include=("filed_by",), name="complaint_queue"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["-created_at", "-id"], name="complaint_recent"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("status", "draft")), fields=["company_cuit"], name="complaint_draft_cuit"
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("status", "submitted")), fields=["review_due_at"], name="complaint_review_due"
            ),
        ),
        OnPostgreSQL(TrigramExtension()),
        OnPostgreSQL(UnaccentExtension()),
        OnPostgreSQL(migrations.RunSQL(IMMUTABLE_UNACCENT, "DROP FUNCTION IF EXISTS immutable_unaccent(text)")),
        *[
            OnPostgreSQL(
                migrations.RunSQL(
                    f"CREATE INDEX {name} ON complaints_complaint "
                    f"USING gin ((UPPER(immutable_unaccent({column}))) gin_trgm_ops)",
                    f"DROP INDEX IF EXISTS {name}",
                )
            )
            for name, column in NAME_INDEXES
        ],
    ]
