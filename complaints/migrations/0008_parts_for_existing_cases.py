"""Every existing case gets its company as its first (and only) part, with the part's status read
from the case's, and its offers and answers point at that part.

Written as INSERT … SELECT and UPDATE statements, not a Python loop: at a million cases it runs in
seconds. The mapping below is frozen here as it was when written (the live rule is
complaints/services/parts.py)."""

from django.db import migrations

PART_STATUS_FOR_CASE_STATE = {
    "draft": "named",
    "submitted": "named",
    "observed": "named",
    "admitted": "named",
    "rejected": "ended",
    "withdrawn": "ended",
    "archived": "ended",
    "referred_out": "ended",
    "company_notified": "served",
    "hearing_scheduled": "served",
    "adjourned": "served",
    "consumer_absent": "served",
    "agreement": "agreement",
    "agreement_approved": "agreement",
    "breached": "agreement",
    "no_agreement": "no_agreement",
    "company_absent": "absent",
    "complied": "complied",
    "referred": "referred",
    "concluded": "ended",
}
CLOSED = ("complied", "referred", "ended")


def _status_case_sql() -> str:
    whens = " ".join(f"WHEN '{state}' THEN '{part}'" for state, part in PART_STATUS_FOR_CASE_STATE.items())
    return f"CASE c.status {whens} ELSE 'named' END"


def forwards(apps, schema_editor):
    status = _status_case_sql()
    closed = ", ".join(f"'{s}'" for s in CLOSED)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO complaints_casecompany
                (complaint_id, position, company_id, cuit, name, role, address, province, status,
                 service_method, notified_at, domicile_due_at, justification_due_at, closed_at, created_at)
            SELECT c.id, 1, c.company_id,
                   COALESCE(co.cuit, c.company_cuit), COALESCE(co.legal_name, c.company_name),
                   '', COALESCE(co.legal_address, ''), '', {status},
                   CASE WHEN c.company_notified_at IS NULL THEN '' ELSE 'electronic' END,
                   c.company_notified_at,
                   c.domicile_due_at,
                   CASE WHEN c.status = 'company_absent' THEN c.justification_due_at END,
                   CASE WHEN {status} IN ({closed}) THEN COALESCE(c.closed_at, c.updated_at) END,
                   c.created_at
            FROM complaints_complaint c
            LEFT JOIN parties_company co ON co.id = c.company_id
            WHERE c.company_id IS NOT NULL OR c.company_cuit <> ''
            """
        )
        for table in ("complaints_offer", "complaints_companyanswer"):
            cursor.execute(
                f"""
                UPDATE {table} SET part_id = (
                    SELECT p.id FROM complaints_casecompany p
                    WHERE p.complaint_id = {table}.complaint_id AND p.position = 1
                )
                WHERE part_id IS NULL
                """
            )
        if schema_editor.connection.vendor == "postgresql":
            # Check the new rows' foreign keys now: a later migration in the same transaction may
            # ALTER a referenced table, which PostgreSQL refuses while deferred checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0007_case_parties")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
