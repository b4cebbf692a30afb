"""Retention: past NOTIFICATION_RETENTION_DAYS a sent or dead message loses its text (a case's
message keeps its delivery record for the case file) or goes (a message of no case); formal notices
stay whole for ever; anything still being delivered is never touched."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Channel, FormalNotice, Notification, NotificationRetry, Status
from notifications.services import (
    NotificationError,
    formal_notice_serve,
    notification_retry,
    notifications_apply_retention,
    notify,
    notify_address,
)
from notifications.tasks import apply_notification_retention
from tests.notifications.conftest import local
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db

LONG_AGO = local(2024, 3, 4, 10, 0)
ICS = {"filename": "audiencia.ics", "content_type": "text/calendar", "content": "BEGIN:VCALENDAR\nEND:VCALENDAR"}


@pytest.fixture(autouse=True)
def _two_years(settings):
    settings.NOTIFICATION_RETENTION_DAYS = 730


def sent_long_ago(rows: list[Notification]) -> list[Notification]:
    rows = rendered(rows)  # as the worker left them
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Status.SENT, created_at=LONG_AGO, sent_at=LONG_AGO + timedelta(minutes=1)
    )
    return rows


def case_messages(user, key="complaint:1:admitted", case_number="DC-2024-000001"):
    return notify(
        recipient=user,
        event="hearing_scheduled",
        context={"hearing_start": LONG_AGO + timedelta(days=7)},
        idempotency_key=key,
        case_number=case_number,
        attachments=[ICS],
    )


def test_a_case_message_keeps_its_delivery_record_and_loses_its_text(consenting_consumer):
    rows = sent_long_ago(case_messages(consenting_consumer))
    assert {row.channel for row in rows} == {Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.INBOX}

    assert notifications_apply_retention() == {"deleted": 0, "redacted": 4}

    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        assert (row.body_text, row.body_html) == ("", "")
        assert row.redacted_at is not None
        # What the case file shows stays as it was.
        assert row.status == Status.SENT
        assert row.sent_at == LONG_AGO + timedelta(minutes=1)
        assert row.event == "hearing_scheduled"
        assert row.case_number == "DC-2024-000001"
        assert row.subject
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert email.attachments == [{"filename": "audiencia.ics", "content_type": "text/calendar"}]
    # A second run finds nothing left to do.
    assert notifications_apply_retention() == {"deleted": 0, "redacted": 0}


def test_a_message_of_no_case_is_deleted_with_its_retry_audit(consumer, officer):
    [email] = notify(
        recipient=consumer, event="complaint_admitted", context={}, idempotency_key="x", channels=[Channel.EMAIL]
    )
    Notification.objects.filter(pk=email.pk).update(status=Status.DEAD, attempts=3, last_error="SMTP down")
    notification_retry(notification=email, by=officer)
    Notification.objects.filter(pk=email.pk).update(status=Status.DEAD, created_at=LONG_AGO)
    assert NotificationRetry.objects.filter(notification=email).exists()

    assert notifications_apply_retention() == {"deleted": 1, "redacted": 0}

    assert not Notification.objects.filter(pk=email.pk).exists()
    assert not NotificationRetry.objects.exists()


def test_formal_notices_are_never_touched(company, representative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = formal_notice_serve(
            company=company, case_number="DC-2024-000001", subject="Cédula", body="Texto", idempotency_key="n"
        )
        # A hearing citation e-mailed to the electronic domicile is a formal notice too.
        notify_address(
            email=company.electronic_domicile,
            event="hearing_scheduled",
            context={"hearing_start": LONG_AGO + timedelta(days=7)},
            idempotency_key="hearing:1:scheduled",
            case_number="DC-2024-000001",
            formal=True,
        )
    formal = list(Notification.objects.all())
    assert len(formal) == 3 and all(row.formal for row in formal)
    Notification.objects.update(created_at=LONG_AGO, sent_at=LONG_AGO)
    before = {row.pk: (row.body_text, row.body_html, row.attachments) for row in formal}

    assert notifications_apply_retention() == {"deleted": 0, "redacted": 0}

    after = {row.pk: (row.body_text, row.body_html, row.attachments) for row in Notification.objects.all()}
    assert after == before
    assert not Notification.objects.filter(redacted_at__isnull=False).exists()
    assert FormalNotice.objects.filter(pk=notice.pk).exists()


def test_recent_and_undelivered_messages_are_never_touched(consumer):
    recent = rendered(notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="recent"))
    Notification.objects.filter(pk__in=[row.pk for row in recent]).update(status=Status.SENT, sent_at=timezone.now())
    old_but_open = rendered(notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="open"))
    email = next(row for row in old_but_open if row.channel == Channel.EMAIL)
    Notification.objects.filter(pk=email.pk).update(status=Status.FAILED, created_at=LONG_AGO)
    # Written long ago, sent only yesterday: the clock runs from the sending.
    late = rendered(
        notify(
            recipient=consumer, event="complaint_admitted", context={}, idempotency_key="late", channels=[Channel.EMAIL]
        )
    )
    Notification.objects.filter(pk=late[0].pk).update(
        status=Status.SENT, created_at=LONG_AGO, sent_at=timezone.now() - timedelta(days=1)
    )
    count = Notification.objects.count()

    assert notifications_apply_retention() == {"deleted": 0, "redacted": 0}

    assert Notification.objects.count() == count
    assert Notification.objects.get(pk=email.pk).body_text
    assert Notification.objects.get(pk=late[0].pk).body_text


def test_zero_days_keeps_everything(settings, consumer):
    settings.NOTIFICATION_RETENTION_DAYS = 0
    sent_long_ago(notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="a"))
    assert notifications_apply_retention() == {"deleted": 0, "redacted": 0}
    assert Notification.objects.filter(redacted_at__isnull=True).count() == 2


def test_it_works_through_every_batch(consumer):
    for n in range(7):
        sent_long_ago(case_messages(consumer, key=f"k{n}"))
        sent_long_ago(
            notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key=f"account:{n}")
        )
    assert Notification.objects.count() == 28
    assert notifications_apply_retention(batch_size=3) == {"deleted": 14, "redacted": 14}
    assert Notification.objects.count() == 14
    assert not Notification.objects.filter(redacted_at__isnull=True).exists()


def test_the_beat_task_applies_it(consumer):
    sent_long_ago(notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="a"))
    assert apply_notification_retention.delay().get() == {"deleted": 2, "redacted": 0}
    assert not Notification.objects.exists()


def test_a_stripped_dead_message_leaves_the_failures_page_and_cannot_be_sent_again(consumer, officer, client_for):
    [email] = case_messages(consumer)[:1]
    Notification.objects.filter(pk=email.pk).update(status=Status.DEAD, attempts=3, created_at=LONG_AGO)
    notifications_apply_retention()
    email.refresh_from_db()
    assert email.status == Status.DEAD and email.redacted_at is not None
    client = client_for(officer)
    assert list(client.get(reverse("notification_failures")).context["page_obj"]) == []
    assert client.post(reverse("notification_retry", args=[email.pk])).status_code == 404
    with pytest.raises(NotificationError):
        notification_retry(notification=email, by=officer)
    email.refresh_from_db()
    assert email.status == Status.DEAD


def test_the_inbox_says_the_text_is_gone(consumer, client_for):
    rows = sent_long_ago(case_messages(consumer))
    inbox = next(row for row in rows if row.channel == Channel.INBOX)
    notifications_apply_retention()
    response = client_for(consumer).get(reverse("inbox_detail", args=[inbox.pk]))
    assert response.status_code == 200
    assert "deleted when its retention period ended" in response.content.decode()


def test_the_case_file_still_lists_the_deliveries_with_their_times(consumer, company, officer, client_for):
    from tests.complaints.factories import served_case

    with time_machine.travel(LONG_AGO, tick=False):
        case = served_case(consumer, company, officer)
        Notification.objects.filter(case_number=case.number).update(status=Status.SENT, sent_at=LONG_AGO)
    deliveries = Notification.objects.filter(case_number=case.number, formal=False)
    assert deliveries.exists()
    assert notifications_apply_retention()["redacted"] == deliveries.count()

    response = client_for(officer).get(reverse("complaint_detail", args=[case.pk]))
    shown = response.context["deliveries"]
    assert {row.pk for row in shown} == set(
        Notification.objects.filter(case_number=case.number).values_list("pk", flat=True)
    )
    assert all(row.sent_at == LONG_AGO for row in shown)
    # The cédula itself and its messages are whole.
    assert Notification.objects.filter(case_number=case.number, formal=True, redacted_at__isnull=True).exists()
    assert "Messages sent about this case" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_someone_holds_is_skipped_and_taken_on_the_next_run(consumer):
    rows = sent_long_ago(
        notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="a", case_number="DC-1")
    )
    held = rows[0].pk
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        from django.db import connections

        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=held)
                locked.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(20)
        assert notifications_apply_retention() == {"deleted": 0, "redacted": 1}
        assert Notification.objects.get(pk=held).redacted_at is None
    finally:
        release.set()
        thread.join(20)
    assert notifications_apply_retention() == {"deleted": 0, "redacted": 1}
    assert Notification.objects.get(pk=held).redacted_at is not None
