"""Name search on companies and the hearing list's "awaiting a date" panel (bench/RESULTS.md, items 3
and 5).

- Trigram indexes on `parties_company`'s legal and trade names, on the expression the search writes
  (`UPPER(immutable_unaccent(column)::text)`, `complaints.selectors._names_contain`), so "Gómez"
  finds its companies by a bitmap scan instead of unaccenting all of them. PostgreSQL only, like
  those of migration 0002; they live here, not in parties, because `immutable_unaccent` is created
  by complaints 0002.
- A partial index over the cases waiting for a hearing date, in the order the panel lists them."""

from importlib import import_module

from django.db import migrations, models

OnPostgreSQL = import_module("complaints.migrations.0002_search_and_list_indexes").OnPostgreSQL

COMPANY_NAME_INDEXES = [
    ("company_legal_name_trgm", "legal_name"),
    ("company_trade_names_trgm", "trade_names"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_company_recent_index"),
        ("parties", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("status__in", ["company_notified", "adjourned"])),
                fields=["company_notified_at", "id"],
                name="complaint_awaiting_date",
            ),
        ),
        *[
            OnPostgreSQL(
                migrations.RunSQL(
                    f"CREATE INDEX {name} ON parties_company "
                    f"USING gin ((UPPER(immutable_unaccent({column}))) gin_trgm_ops)",
                    f"DROP INDEX IF EXISTS {name}",
                )
            )
            for name, column in COMPANY_NAME_INDEXES
        ],
    ]
