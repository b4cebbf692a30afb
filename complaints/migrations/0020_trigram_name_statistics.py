"""The name searches' estimates (issue 16, session 12).

PostgreSQL estimates `upper(immutable_unaccent(name)) LIKE '%GOMEZ%'` from the 101 values of the
expression's histogram that ANALYZE samples. A surname on 2 % of the cases may appear in none of them:
on a freshly seeded million cases "Gómez" was estimated at 95 cases for 19,202, so the list read all of
them from the trigram index and sorted them (130 ms) instead of walking `complaint_recent` newest first
until 25 matched (10 ms); under load, p95 460 ms. A histogram of 1,001 values estimates it within a
tenth (17,426). ANALYZE then reads 300,000 rows instead of 30,000 (about 15 s on a million cases).
It is run here once on a database that holds cases, so that the new estimates hold from this deploy
on; autovacuum keeps them. An empty one (a new install, the tests) is left to autovacuum: analysed
empty, its tables would be planned as if they stayed empty."""

from importlib import import_module

from django.db import migrations

OnPostgreSQL = import_module("complaints.migrations.0002_search_and_list_indexes").OnPostgreSQL

TARGET = 1000
INDEXES = ("complaint_consumer_name_trgm", "complaint_company_name_trgm")


# Once, on a database that holds cases, and never cut short by a statement_timeout the site's
# connection may carry. Written as SQL, so that `sqlmigrate` shows it rather than runs it.
ANALYZE_IF_IN_USE = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM complaints_complaint OFFSET 1000) THEN
    SET LOCAL statement_timeout = 0;
    ANALYZE complaints_complaint;
  END IF;
END $$
"""


def statistics(target: int) -> str:
    return "".join(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {target};" for name in INDEXES)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0019_served_parts_carry_position"),
    ]

    operations = [
        OnPostgreSQL(migrations.RunSQL(statistics(TARGET), statistics(-1))),
        OnPostgreSQL(migrations.RunSQL([ANALYZE_IF_IN_USE], migrations.RunSQL.noop)),
    ]
