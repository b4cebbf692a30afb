"""Search and the company filter count a case for each of its companies: the parts after the lead
(the lead is `Complaint.company`) and a draft's unregistered companies, each on a small partial index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_parts_for_existing_cases"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casecompany",
            index=models.Index(
                condition=models.Q(("position__gt", 1)),
                fields=["company", "complaint"],
                name="casecompany_later_company",
            ),
        ),
        migrations.AddIndex(
            model_name="casecompany",
            index=models.Index(
                condition=models.Q(("company__isnull", True)), fields=["cuit"], name="casecompany_unregistered"
            ),
        ),
    ]
