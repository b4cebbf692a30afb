"""Delivery: a row is claimed once, sent once, retried with backoff, buried after the last attempt,
and never lost when the broker or a worker goes away."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from notifications import delivery
from notifications.channels import PermanentDeliveryError
from notifications.channels.mail import EmailChannel, message_id
from notifications.models import Channel, Notification, Status
from notifications.services import NotificationError, notification_retry, notify
from notifications.tasks import deliver_notification, sweep_outbox
from tests.notifications.conftest import UNREACHABLE_BROKER, broker, local

pytestmark = pytest.mark.django_db

HEARING = local(2026, 11, 23, 10, 0)
START = local(2026, 11, 16, 9, 0)


def write_email(recipient, key="complaint:1:admitted"):
    """An e-mail row written and committed, but not yet handed to a worker."""
    return notify(
        recipient=recipient,
        event="complaint_admitted",
        context={},
        idempotency_key=key,
        case_number="DC-2026-000123",
        channels=[Channel.EMAIL],
    )[0]


def refreshed(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


def test_it_sends_an_email_with_text_html_and_a_calendar_invitation(consumer, django_capture_on_commit_callbacks):
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient=consumer,
            event="hearing_scheduled",
            context={"hearing_start": HEARING},
            idempotency_key="hearing:1:scheduled",
            attachments=[
                {"filename": "audiencia.ics", "content_type": "text/calendar; method=REQUEST", "content": ics}
            ],
        )
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][1] == "text/html"
    raw = message.message().as_string()
    assert 'Content-Type: text/calendar; charset="utf-8"; method=REQUEST' in raw
    assert 'filename="audiencia.ics"' in raw
    row = Notification.objects.get(channel=Channel.EMAIL)
    # Stable per row, and signed: a bounce report is believed only if it quotes it (notifications/bounces.py).
    assert message.extra_headers["Message-ID"] == message_id(row)
    assert message.extra_headers["Message-ID"].startswith(f"<notification.{row.pk}.")
    assert message.extra_headers["Message-ID"].endswith("@concilia.example>")
    assert row.provider_message_id == message.extra_headers["Message-ID"]


def test_it_attaches_a_stored_document(consumer, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cedula.pdf").write_bytes(b"%PDF-1.4 test")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient=consumer,
            event="complaint_admitted",
            context={},
            idempotency_key="k",
            channels=[Channel.EMAIL],
            attachments=[{"filename": "cedula.pdf", "content_type": "application/pdf", "path": "cedula.pdf"}],
        )
    raw = mail.outbox[0].message().as_bytes()
    assert b"Content-Type: application/pdf" in raw
    assert b'filename="cedula.pdf"' in raw


def test_it_retries_with_growing_backoff_then_gives_up(consumer, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.backends.UnreachableBackend"
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            row = write_email(consumer)
        # First attempt failed; Celery's in-process retry came too early and was refused by the claim.
        row = refreshed(row)
        assert (row.status, row.attempts) == (Status.FAILED, 1)
        assert "SMTP server unreachable" in row.last_error
        assert START + timedelta(seconds=30) <= row.next_attempt_at <= START + timedelta(seconds=60)

        sweep_outbox.delay()  # not due yet
        assert refreshed(row).attempts == 1

        clock.move_to(row.next_attempt_at + timedelta(seconds=1))
        second_try = timezone.now()
        sweep_outbox.delay()
        row = refreshed(row)
        assert (row.status, row.attempts) == (Status.FAILED, 2)
        assert second_try + timedelta(seconds=60) <= row.next_attempt_at <= second_try + timedelta(seconds=120)

        clock.move_to(row.next_attempt_at + timedelta(seconds=1))
        sweep_outbox.delay()
        row = refreshed(row)
        assert (row.status, row.attempts) == (Status.DEAD, 3)

        clock.shift(timedelta(days=1))
        sweep_outbox.delay()
        assert refreshed(row).attempts == 3
    assert mail.outbox == []


def test_it_buries_at_once_what_retrying_cannot_fix(consumer, monkeypatch):
    row = write_email(consumer)

    def refuse(self, notification):
        raise PermanentDeliveryError("Recipient refused")

    monkeypatch.setattr(EmailChannel, "send", refuse)
    assert delivery.deliver(row.pk).outcome == "dead"
    row = refreshed(row)
    assert (row.status, row.attempts) == (Status.DEAD, 1)


def test_it_claims_a_row_only_once(consumer):
    row = write_email(consumer)
    assert delivery.claim(row.pk) is True
    assert delivery.claim(row.pk) is False
    assert delivery.deliver(row.pk).outcome == "skipped"
    assert mail.outbox == []


def test_it_sends_a_row_queued_twice_only_once(consumer):
    row = write_email(consumer)
    deliver_notification.delay(row.pk)
    deliver_notification.delay(row.pk)
    assert len(mail.outbox) == 1
    assert refreshed(row).status == Status.SENT


def test_it_commits_the_move_and_keeps_the_row_when_the_broker_is_down(consumer, django_capture_on_commit_callbacks):
    with (
        broker(UNREACHABLE_BROKER, eager=False),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        row = write_email(consumer)
    # No exception reached the caller; the row waits, pending, for the sweeper.
    row = refreshed(row)
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert mail.outbox == []

    # The broker is back (tasks run in-process again); once the grace is over the sweeper sends it, once.
    sweep_outbox.delay()
    assert mail.outbox == []
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        sweep_outbox.delay()
        sweep_outbox.delay()
    assert len(mail.outbox) == 1
    assert refreshed(row).status == Status.SENT


def test_it_fails_fast_when_the_broker_is_down(consumer):
    import time

    row = write_email(consumer)
    with broker(UNREACHABLE_BROKER, eager=False):
        started = time.monotonic()
        delivery.enqueue([row.pk])
        assert time.monotonic() - started < 2


def test_it_takes_back_a_row_whose_worker_died_while_sending(consumer):
    row = write_email(consumer)
    with time_machine.travel(START, tick=False) as clock:
        # A worker claimed it and died before saying how it went (acks_late brings the task back).
        assert delivery.claim(row.pk)
        assert delivery.deliver(row.pk).outcome == "skipped"  # the redelivered task: lease still held
        sweep_outbox.delay()
        assert refreshed(row).status == Status.SENDING
        assert mail.outbox == []

        clock.shift(timedelta(seconds=601))  # the lease is over
        sweep_outbox.delay()
        sweep_outbox.delay()
    row = refreshed(row)
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_it_retries_a_delivery_that_blew_up_after_claiming(consumer, monkeypatch):
    row = write_email(consumer)
    real_send = EmailChannel.send
    calls = []

    def crash_once(self, notification):
        calls.append(notification.pk)
        if len(calls) == 1:
            raise MemoryError("worker in trouble")
        return real_send(self, notification)

    monkeypatch.setattr(EmailChannel, "send", crash_once)
    with time_machine.travel(START, tick=False) as clock:
        deliver_notification.delay(row.pk)
        assert refreshed(row).status == Status.FAILED
        clock.shift(timedelta(minutes=2))
        sweep_outbox.delay()
        sweep_outbox.delay()
    assert refreshed(row).status == Status.SENT
    assert len(mail.outbox) == 1


def test_it_buries_a_row_whose_worker_died_on_the_last_attempt(consumer):
    row = write_email(consumer)
    with time_machine.travel(START, tick=False) as clock:
        Notification.objects.filter(pk=row.pk).update(
            status=Status.SENDING, attempts=3, next_attempt_at=timezone.now() + timedelta(seconds=600)
        )
        clock.shift(timedelta(seconds=601))
        sweep_outbox.delay()
    row = refreshed(row)
    assert row.status == Status.DEAD
    assert "last allowed attempt" in row.last_error
    assert mail.outbox == []


def test_staff_can_send_a_dead_row_again(consumer, officer, settings, django_capture_on_commit_callbacks):
    row = write_email(consumer)
    Notification.objects.filter(pk=row.pk).update(status=Status.DEAD, attempts=3, last_error="boom")
    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification=row, by=officer)
    row = refreshed(row)
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 1


def test_only_staff_and_only_failed_rows_can_be_sent_again(consumer, officer):
    row = write_email(consumer)
    with pytest.raises(NotificationError):
        notification_retry(notification=row, by=officer)  # pending, not failed
    Notification.objects.filter(pk=row.pk).update(status=Status.DEAD)
    with pytest.raises(NotificationError):
        notification_retry(notification=row, by=consumer)
    assert refreshed(row).status == Status.DEAD


def test_the_backoff_grows_and_is_capped(settings):
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 60
    settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = 600
    assert 30 <= delivery.backoff_seconds(1) <= 60
    assert 120 <= delivery.backoff_seconds(3) <= 240
    assert 300 <= delivery.backoff_seconds(10) <= 600
