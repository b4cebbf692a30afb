"""No conciliator holds two hearings at once: a PostgreSQL exclusion constraint over the time range.

Cancelled hearings free their slot; held and adjourned ones keep it (that time was used). SQLite,
the zero-setup default, has no exclusion constraints: hearings/scheduling.py checks in code there."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE hearings_hearing ADD CONSTRAINT hearing_no_double_booking
    EXCLUDE USING gist (conciliator_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled');
"""
DROP = "ALTER TABLE hearings_hearing DROP CONSTRAINT IF EXISTS hearing_no_double_booking;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("hearings", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
