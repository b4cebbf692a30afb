# The low-cardinality filters together (LowFigure): three or four of province, sector, channel and
# hipervulnerable read these rows instead of the fact rows (bench/RESULTS.md, session 7).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_casefact_month_dims"),
    ]

    operations = [
        migrations.CreateModel(
            name="LowFigure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("filed", models.PositiveIntegerField(default=0)),
                ("admitted", models.PositiveIntegerField(default=0)),
                ("rejected", models.PositiveIntegerField(default=0)),
                ("served", models.PositiveIntegerField(default=0)),
                ("answered", models.PositiveIntegerField(default=0)),
                ("closed", models.PositiveIntegerField(default=0)),
                ("with_outcome", models.PositiveIntegerField(default=0)),
                ("agreements_offer", models.PositiveIntegerField(default=0)),
                ("agreements_hearing", models.PositiveIntegerField(default=0)),
                ("no_agreement", models.PositiveIntegerField(default=0)),
                ("company_absent", models.PositiveIntegerField(default=0)),
                ("consumer_absent", models.PositiveIntegerField(default=0)),
                ("withdrawn", models.PositiveIntegerField(default=0)),
                ("referred", models.PositiveIntegerField(default=0)),
                ("compliance_settled", models.PositiveIntegerField(default=0)),
                ("complied", models.PositiveIntegerField(default=0)),
                ("hearings_held", models.PositiveIntegerField(default=0)),
                ("consumer_absences", models.PositiveIntegerField(default=0)),
                ("company_absences", models.PositiveIntegerField(default=0)),
                ("adjournments", models.PositiveIntegerField(default=0)),
                ("satisfaction_sum", models.PositiveIntegerField(default=0)),
                ("satisfaction_count", models.PositiveIntegerField(default=0)),
                ("solved_yes", models.PositiveIntegerField(default=0)),
                ("solved_partly", models.PositiveIntegerField(default=0)),
                ("solved_count", models.PositiveIntegerField(default=0)),
                ("would_return_yes", models.PositiveIntegerField(default=0)),
                ("would_return_count", models.PositiveIntegerField(default=0)),
                ("company_satisfaction_sum", models.PositiveIntegerField(default=0)),
                ("company_satisfaction_count", models.PositiveIntegerField(default=0)),
                ("company_solved_yes", models.PositiveIntegerField(default=0)),
                ("company_solved_count", models.PositiveIntegerField(default=0)),
                ("company_would_return_yes", models.PositiveIntegerField(default=0)),
                ("company_would_return_count", models.PositiveIntegerField(default=0)),
                ("stage_days", models.JSONField(default=dict)),
                ("states", models.JSONField(default=dict)),
                ("month", models.DateField()),
                ("counted", models.CharField(max_length=5)),
                ("province", models.CharField(blank=True, max_length=24)),
                ("sector", models.CharField(blank=True, max_length=24)),
                ("channel", models.CharField(blank=True, max_length=24)),
                ("vulnerable", models.CharField(blank=True, max_length=1)),
                ("by_dim", models.CharField(blank=True, max_length=12)),
                ("by_key", models.CharField(blank=True, max_length=24)),
            ],
            options={
                "indexes": [models.Index(fields=["month"], name="lowfigure_month")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("counted", "by_dim", "sector", "vulnerable", "channel", "province", "by_key", "month"),
                        name="lowfigure_unique",
                    )
                ],
            },
        ),
    ]
