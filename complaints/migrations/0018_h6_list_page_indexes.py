"""The case lists under load (session 8, "pages under load" of issue 16): two indexes widened so a
page, and a deep page's keys (`parties.paginator.KeysFirstPaginator`), are read from the index alone.

- `complaint_queue_vulnerable` ends with the id, the admission queue's tie-break: `?page=400` walks
  9,975 index entries instead of sorting the whole queue of 23,000 cases (190 ms at a million cases).
- `complaint_recent` carries the columns `complaints_visible_to` asks of each case (state, lead
  company, consumer, who filed it): a representative's cases are a few among a million, and the
  newest ones are not served yet, so page 1 of their list filtered 9,000 rows from the table.

Each index is built beside the one it replaces and takes its name once ready
(`parties.migration_operations.BuildIndex`): CONCURRENTLY on PostgreSQL, so the cases stay readable
and writable throughout, and a run stopped anywhere leaves a usable index and can be run again."""

from django.db import migrations, models

from parties.migration_operations import BuildIndex


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; each step commits on its own.
    atomic = False

    dependencies = [
        ("complaints", "0017_f_status_newest_index"),
    ]

    operations = [
        BuildIndex(
            model_name="complaint",
            index=models.Index(
                fields=["status", "-vulnerable", "submitted_at", "id"],
                name="complaint_queue_vulnerable",
                include=["filed_by"],
            ),
            replaces=True,
        ),
        BuildIndex(
            model_name="complaint",
            index=models.Index(
                fields=["-created_at", "-id"],
                name="complaint_recent",
                include=["status", "company", "consumer", "filed_by"],
            ),
            replaces=True,
        ),
    ]
