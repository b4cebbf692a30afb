"""Rows written by notify()/notify_address() before keys named the event: append the event, so a
move retried after the upgrade finds its rows and sends nothing twice.

Old form: f"{key}:{scope}"[:255], scope "u<user pk>" or "a<16 hex>". New form (see
notifications.services.outbox._stored_key): f"{key}:{scope}:{event}", a too-long key ending in a
SHA-256 digest of the whole. Each row keeps its own event, so two rows can only meet under one new
key if they already shared (key, channel): the unique constraint holds. Keys that were cut at 255
before (their scope lost) and allauth's keys ("account:<hex>") do not match and are left alone.
Reversing leaves the keys as they are."""

import hashlib

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Length

KEY_MAX = 255
OLD_SCOPED = r":(u[0-9]+|a[0-9a-f]{16})$"


def name_the_event(apps, schema_editor):  # type: ignore[no-untyped-def]
    Notification = apps.get_model("notifications", "Notification")
    old = Notification.objects.filter(idempotency_key__regex=OLD_SCOPED).annotate(
        new_length=Length("idempotency_key") + Length("event") + 1
    )
    # One UPDATE for all that fit; the few that do not are hashed one by one.
    old.filter(new_length__lte=KEY_MAX).update(idempotency_key=Concat(F("idempotency_key"), Value(":"), F("event")))
    for row in old.filter(new_length__gt=KEY_MAX).only("pk", "idempotency_key", "event").iterator():
        key = f"{row.idempotency_key}:{row.event}"
        digest = hashlib.sha256(key.encode()).hexdigest()
        Notification.objects.filter(pk=row.pk).update(idempotency_key=f"{key[: KEY_MAX - len(digest) - 1]}:{digest}")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_retention_and_retry_audit"),
    ]

    operations = [
        migrations.RunPython(name_the_event, migrations.RunPython.noop, elidable=True),
    ]
