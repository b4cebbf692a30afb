from django.db import migrations, models


class Migration(migrations.Migration):
    """An offer may be paid in instalments (its schedule as JSON; empty for an offer fulfilled at once)."""

    dependencies = [
        ("complaints", "0014_c_admission_allocation_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="instalments",
            field=models.JSONField(blank=True, default=list, verbose_name="instalments"),
        ),
    ]
