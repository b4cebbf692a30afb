"""Rows written before keys named the event are rewritten by migration 0003, so a move retried
after the upgrade finds them and sends nothing twice."""

import hashlib

import pytest

from notifications.models import Channel, Notification, Status
from notifications.services import notify, notify_address
from tests.helpers import migrate_to

# Migrating back and forth inside the test's transaction needs PostgreSQL's transactional DDL: SQLite's
# schema editor refuses to run while foreign-key checks are deferred.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BEFORE = ("notifications", "0002_retention_and_retry_audit")
AFTER = ("notifications", "0003_idempotency_key_names_the_event")
# Today's schema, which notify() writes to.
LATEST = ("notifications", "0004_provider_feedback_and_worker_rendering")


def migrate(target: tuple[str, str]) -> None:
    migrate_to(target)


def old_row(key: str, *, event: str = "complaint_admitted", channel: str = Channel.EMAIL, **fields) -> Notification:
    """A row as the release before 0003 wrote it, through the model as it was then (today's model
    has columns the old table lacks)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    historical = MigrationLoader(connection).project_state(BEFORE).apps.get_model("notifications", "Notification")
    if "recipient" in fields:
        fields["recipient_id"] = fields.pop("recipient").pk
    return historical.objects.create(
        idempotency_key=key,
        event=event,
        channel=channel,
        address=fields.pop("address", "maria@example.com"),
        subject="Tu reclamo fue admitido",
        body_text="…",
        status=Status.SENT,
        **fields,
    )


def test_a_move_retried_after_the_upgrade_finds_its_old_rows_and_writes_nothing(consumer):
    migrate(BEFORE)
    old_row(f"case-event:41:u{consumer.pk}", recipient=consumer)
    old_row(f"case-event:41:u{consumer.pk}", recipient=consumer, channel=Channel.INBOX)
    domicile = "a" + hashlib.sha256(b"legales@electrosur.test").hexdigest()[:16]
    old_row(f"case-event:41:{domicile}", event="company_served", address="legales@electrosur.test")
    migrate(AFTER)
    migrate(LATEST)

    context = {"company_name": "Electrodomésticos del Sur S.A."}
    again = notify(recipient=consumer, event="complaint_admitted", context=context, idempotency_key="case-event:41")
    assert again == []
    assert (
        notify_address(
            email="legales@electrosur.test", event="company_served", context=context, idempotency_key="case-event:41"
        )
        == []
    )
    assert Notification.objects.count() == 3


def test_it_leaves_account_keys_alone_and_hashes_what_would_not_fit(consumer):
    migrate(BEFORE)
    account = old_row("account:0123456789abcdef0123456789abcdef", event="account_email_confirmation")
    long_key = ("case-event:" + "x" * 300)[:240] + f":u{consumer.pk}"  # fits; with the event it would not
    long = old_row(long_key, recipient=consumer)
    migrate(AFTER)

    account.refresh_from_db()
    long.refresh_from_db()
    assert account.idempotency_key == "account:0123456789abcdef0123456789abcdef"
    assert len(long.idempotency_key) == 255
    assert long.idempotency_key.endswith(hashlib.sha256(f"{long_key}:complaint_admitted".encode()).hexdigest())
