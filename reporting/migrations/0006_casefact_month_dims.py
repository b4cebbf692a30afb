# Three filters or more read the fact rows (reporting/indicators.py `_from_facts`): this index finds the
# rows of a period and any combination of the low-cardinality filters without visiting the others'
# rows in the table (bench/RESULTS.md, session 7).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_pair_figures"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                fields=["filed_month", "province", "sector", "channel", "vulnerable", "conciliator", "lead"],
                name="casefact_month_dims",
            ),
        ),
    ]
