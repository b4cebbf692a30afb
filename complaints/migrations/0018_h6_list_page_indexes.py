"""The case lists under load (session 8, "pages under load" of issue 16): two indexes widened so a
page, and a deep page's keys (`parties.paginator.KeysFirstPaginator`), are read from the index alone.

- `complaint_queue_vulnerable` ends with the id, the admission queue's tie-break: `?page=400` walks
  9,975 index entries instead of sorting the whole queue of 23,000 cases (190 ms at a million cases).
- `complaint_recent` carries the columns `complaints_visible_to` asks of each case (state, lead
  company, consumer, who filed it): a representative's cases are a few among a million, and the
  newest ones are not served yet, so page 1 of their list filtered 9,000 rows from the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    # Each index dropped and rebuilt in its own transaction: one transaction would hold the table's
    # exclusive lock, and so stop every read of the cases, for as long as both builds take.
    atomic = False

    dependencies = [
        ("complaints", "0017_f_status_newest_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="complaint", name="complaint_queue_vulnerable"),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["status", "-vulnerable", "submitted_at", "id"],
                name="complaint_queue_vulnerable",
                include=["filed_by"],
            ),
        ),
        migrations.RemoveIndex(model_name="complaint", name="complaint_recent"),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["-created_at", "-id"],
                name="complaint_recent",
                include=["status", "company", "consumer", "filed_by"],
            ),
        ),
    ]
