"""Once the provider has accepted a message, a database error while recording it never sends it a
second time: the record is written in its own short transaction, tried again in the worker, then by
the task alone, without sending."""

from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import OperationalError, connection

from notifications import delivery
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from notifications.tasks import deliver_notification, sweep_outbox
from tests.notifications.conftest import local

pytestmark = pytest.mark.django_db

START = local(2026, 11, 16, 9, 0)


class AcceptingChannel:
    """A provider that accepts every message and keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.after_accepting = lambda: None

    def send(self, notification: Notification) -> str:
        self.sent.append(notification.pk)
        self.after_accepting()
        return f"provider-{notification.pk}"


@pytest.fixture
def provider(monkeypatch):
    channel = AcceptingChannel()
    monkeypatch.setattr(delivery, "get_channel", lambda name: channel)
    monkeypatch.setattr(delivery, "RECORD_RETRY_DELAYS", (0.01, 0.01))
    return channel


@pytest.fixture
def database_fails(monkeypatch):
    """`database_fails(n)`: the next n writes of the acceptance hit a lost connection."""

    def fail(times: int) -> list[int]:
        real = delivery._mark_sent
        calls: list[int] = []

        def flaky(notification_id, **fields):
            calls.append(notification_id)
            if len(calls) <= times:
                raise OperationalError("server closed the connection unexpectedly")
            return real(notification_id, **fields)

        monkeypatch.setattr(delivery, "_mark_sent", flaky)
        return calls

    return fail


def write_email(recipient) -> Notification:
    return notify(
        recipient=recipient,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:1:admitted",
        channels=[Channel.EMAIL],
    )[0]


def after_the_lease_the_sweeper_runs(clock) -> None:
    clock.shift(timedelta(seconds=601))
    sweep_outbox.delay()
    sweep_outbox.delay()


def test_a_database_error_right_after_acceptance_does_not_send_the_message_again(consumer, provider, database_fails):
    row = write_email(consumer)
    calls = database_fails(1)
    with time_machine.travel(START, tick=False) as clock:
        deliver_notification.delay(row.pk)
        after_the_lease_the_sweeper_runs(clock)
    row.refresh_from_db()
    assert provider.sent == [row.pk]
    assert len(calls) == 2
    assert (row.status, row.attempts, row.provider_message_id) == (Status.SENT, 1, f"provider-{row.pk}")
    assert row.sent_at == START


def test_when_the_database_stays_away_the_task_retries_only_the_record(consumer, provider, database_fails):
    row = write_email(consumer)
    calls = database_fails(4)  # more than the worker's own tries (3): the task's retry writes it
    with time_machine.travel(START, tick=False) as clock:
        deliver_notification.delay(row.pk)
        after_the_lease_the_sweeper_runs(clock)
    row.refresh_from_db()
    assert provider.sent == [row.pk]
    assert len(calls) == 5
    assert (row.status, row.provider_message_id, row.sent_at) == (Status.SENT, f"provider-{row.pk}", START)


def test_the_record_of_another_claim_is_never_overwritten(consumer, provider):
    row = write_email(consumer)
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, attempts=2)
    delivery.record_acceptance(row.pk, attempts=1, provider_message_id="late")
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == (Status.SENDING, "")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_right_after_acceptance_is_replaced_and_the_row_ends_sent(consumer, provider):
    settings = connection.settings_dict
    admin = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )
    killed: list[int] = []

    def kill_our_connection() -> None:
        pid = connection.connection.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        killed.append(pid)

    provider.after_accepting = kill_our_connection
    try:
        # Committed at once (no surrounding transaction here): delivered in-process right away.
        row = write_email(consumer)
    finally:
        admin.close()
    row.refresh_from_db()
    assert killed and provider.sent == [row.pk]
    assert (row.status, row.attempts, row.provider_message_id) == (Status.SENT, 1, f"provider-{row.pk}")
