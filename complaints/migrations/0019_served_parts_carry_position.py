"""The company API's case list filtered by a state that only older cases are in (issue 16, session 12).

For the biggest company "state=breached" read its newest 51 parts' rows by walking the cases' foreign
key index backwards, 167,000 parts of other companies dropped on the way (27-43 ms alone, p95 602 ms
under 4 clients). `casecompany_served` now carries the position and the part's id: the page's keys
are read from this index and `complaint_status_newest` alone (a merge of two index-only scans, 2 ms),
and then only those 51 rows.

Built beside the old index and given its name once ready (`parties.migration_operations.BuildIndex`):
CONCURRENTLY on PostgreSQL, so the parts stay writable throughout."""

from django.db import migrations, models

from parties.migration_operations import BuildIndex


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("complaints", "0018_h6_list_page_indexes"),
    ]

    operations = [
        BuildIndex(
            model_name="casecompany",
            index=models.Index(
                fields=["company", "-complaint"],
                name="casecompany_served",
                condition=models.Q(notified_at__isnull=False),
                include=["position", "id"],
            ),
            replaces=True,
        ),
    ]
