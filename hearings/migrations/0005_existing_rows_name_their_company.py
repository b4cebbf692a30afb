"""Existing agreements, company attendance, acta confirmations and company absence justifications
name their case's company part (every case had one company until now). Plain UPDATEs: seconds at a
million cases."""

from django.db import migrations

FIRST_PART = """(
    SELECT p.id FROM complaints_casecompany p
    JOIN hearings_hearing h ON h.complaint_id = p.complaint_id
    WHERE h.id = {table}.hearing_id AND p.position = 1
)"""


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE hearings_agreement SET part_id = (
                SELECT p.id FROM complaints_casecompany p
                WHERE p.complaint_id = hearings_agreement.complaint_id AND p.position = 1
            )
            WHERE part_id IS NULL
            """
        )
        for table in ("hearings_attendance", "hearings_absencejustification"):
            cursor.execute(
                f"UPDATE {table} SET part_id = {FIRST_PART.format(table=table)} "
                "WHERE part_id IS NULL AND party = 'company'"
            )
        cursor.execute(
            """
            UPDATE hearings_actaconfirmation SET part_id = (
                SELECT p.id FROM complaints_casecompany p
                JOIN hearings_hearing h ON h.complaint_id = p.complaint_id
                JOIN hearings_acta a ON a.hearing_id = h.id
                WHERE a.id = hearings_actaconfirmation.acta_id AND p.position = 1
            )
            WHERE part_id IS NULL AND party = 'company'
            """
        )
        if schema_editor.connection.vendor == "postgresql":
            # Check the new rows' foreign keys now: a later migration in the same transaction may
            # ALTER a referenced table, which PostgreSQL refuses while deferred checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("hearings", "0004_parts_guests_and_outcomes_per_company"),
        ("complaints", "0008_parts_for_existing_cases"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
