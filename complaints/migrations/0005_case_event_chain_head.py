"""Tamper evidence that holds against a database administrator (complaints/integrity.py):

- `CaseEvent.key_id`: the server key an event's HMAC was made with ("" for the plain SHA-256 of
  events written before this migration, which keep verifying as they are).
- The case's chain head (`chain_length`, `chain_head_hash`, `chain_seal`), filled here for every
  existing case from its events as they are now, and sealed with the current key.
- On PostgreSQL, a trigger that refuses UPDATE and DELETE on case events. Nothing in the
  application deletes them: the case is PROTECTed from deletion while it has events, and drafts,
  the only cases ever deleted, have none. Test databases are emptied with TRUNCATE, which row
  triggers do not see. Whoever must really change an event has to `ALTER TABLE
  complaints_caseevent DISABLE TRIGGER caseevent_immutable` as the table's owner, and the HMAC and
  the case's seal still show the change."""

from importlib import import_module

from django.db import migrations, models

OnPostgreSQL = import_module("complaints.migrations.0002_search_and_list_indexes").OnPostgreSQL

IMMUTABLE_EVENTS = """
CREATE FUNCTION complaints_caseevent_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case events are immutable: % refused on complaints_caseevent (id %)', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER caseevent_immutable BEFORE UPDATE OR DELETE ON complaints_caseevent
    FOR EACH ROW EXECUTE FUNCTION complaints_caseevent_immutable();
"""

MUTABLE_EVENTS = """
DROP TRIGGER IF EXISTS caseevent_immutable ON complaints_caseevent;
DROP FUNCTION IF EXISTS complaints_caseevent_immutable();
"""


def seal_existing_chains(apps, schema_editor):  # type: ignore[no-untyped-def]
    from complaints.integrity import seal_existing_chains

    seal_existing_chains(
        complaint_model=apps.get_model("complaints", "Complaint"),
        event_model=apps.get_model("complaints", "CaseEvent"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_company_name_trgm_awaiting_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="key_id",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=16),
        ),
        migrations.AddField(
            model_name="complaint",
            name="chain_head_hash",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="complaint",
            name="chain_length",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="complaint",
            name="chain_seal",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=96),
        ),
        migrations.RunPython(seal_existing_chains, migrations.RunPython.noop, elidable=False),
        OnPostgreSQL(migrations.RunSQL(IMMUTABLE_EVENTS, MUTABLE_EVENTS)),
    ]
