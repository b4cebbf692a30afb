from django.db import migrations, models

from parties.migration_operations import BuildIndex


class Migration(migrations.Migration):
    """The office's hearing list and the calendar's week read hearings in time order whatever their
    status; the partial index `hearing_upcoming` covers only scheduled ones (issue 16, pages under
    load). Built CONCURRENTLY on PostgreSQL (`BuildIndex`), so scheduling goes on during the build."""

    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("hearings", "0007_homologation_dispositions_and_instalments"),
    ]

    operations = [
        BuildIndex(model_name="hearing", index=models.Index(fields=["starts_at", "id"], name="hearing_time")),
    ]
