from django.db import migrations, models


class Migration(migrations.Migration):
    """The office's hearing list and the calendar's week read hearings in time order whatever their
    status; the partial index `hearing_upcoming` covers only scheduled ones (issue 16, pages under
    load)."""

    dependencies = [
        ("hearings", "0007_homologation_dispositions_and_instalments"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="hearing",
            index=models.Index(fields=["starts_at", "id"], name="hearing_time"),
        ),
    ]
