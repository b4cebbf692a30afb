"""Messages are rendered where they are delivered: a case move writes rows with their event's context
and no text, in one statement, and queues one task per notify() call; the worker renders each
occurrence once, exactly as the request used to, and sends it. The inbox never waits for the worker."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from hearings.models import Hearing
from notifications import codec, delivery
from notifications.channels import DeliveryError, get_channel
from notifications.events import prepare_context
from notifications.models import Channel, Notification, Status
from notifications.rendering import ensure_rendered, full_context, render_event, render_row
from notifications.services import notify
from notifications.tasks import deliver_notification, deliver_notifications, sweep_outbox
from parties.models import User
from tests.complaints.factories import submitted_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _whatsapp_template(settings):
    """Outside a conversation window WhatsApp takes only approved templates: a generic one here."""
    settings.WHATSAPP_CONTENT_SIDS = {"*": {"es-ar": "HX" + "0" * 32, "en": "HX" + "1" * 32}}


HEARING_UTC = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 10:00 at the office (Buenos Aires)


def admitted(recipient: User, key: str = "case-event:1", **extra) -> list[Notification]:
    return notify(
        recipient=recipient,
        event="complaint_admitted",
        context={"company_name": "Electrodomésticos del Sur S.A.", "case_url": "/reclamos/1/"},
        idempotency_key=key,
        case_number="DC-2026-000123",
        **extra,
    )


@pytest.fixture
def queued(monkeypatch) -> list[list[int]]:
    """What was handed to the queue: one list of ids per task."""
    tasks: list[list[int]] = []
    monkeypatch.setattr(deliver_notifications, "apply_async", lambda args, **_options: tasks.append(list(args[0])))
    return tasks


# --- Writing --------------------------------------------------------------------------------------


def test_the_filing_writes_its_messages_without_rendering_them(consumer, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        case = submitted_case(consumer, company)
    rows = list(Notification.objects.filter(recipient=consumer, event="complaint_received"))
    assert {row.channel for row in rows} == {Channel.EMAIL, Channel.INBOX}
    assert all((row.subject, row.body_text, row.body_html, row.status) == ("", "", "", Status.PENDING) for row in rows)
    assert all(row.case_number == case.number for row in rows)

    for callback in callbacks:  # the commit: the worker (in-process here) renders and sends
        callback()

    email = Notification.objects.get(recipient=consumer, event="complaint_received", channel=Channel.EMAIL)
    assert email.status == Status.SENT
    assert str(case.number) in email.subject
    [message] = [message for message in mail.outbox if message.to == [consumer.email]]
    assert (message.subject, message.body) == (email.subject, email.body_text)
    inbox = Notification.objects.get(recipient=consumer, event="complaint_received", channel=Channel.INBOX)
    assert (inbox.status, inbox.subject) == (Status.SENT, email.subject)


def test_notify_is_one_insert_when_the_caller_has_the_profile(consumer):
    recipient = User.objects.select_related("consumer_profile").get(pk=consumer.pk)
    with CaptureQueriesContext(connection) as queries:
        rows = admitted(recipient)
    # INSERT … ON CONFLICT DO NOTHING RETURNING id, channel: nothing read before, nothing read back
    # (SQLite words it INSERT OR IGNORE).
    assert len(queries) == 1
    assert re.match(r'INSERT (OR IGNORE )?INTO "notifications_notification"', queries[0]["sql"])
    assert all(row.pk for row in rows)
    assert {row.pk for row in rows} == set(Notification.objects.values_list("pk", flat=True))


def test_each_notify_call_is_one_task_after_commit(consenting_consumer, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = admitted(consenting_consumer)
        second = admitted(consenting_consumer, key="case-event:2")
        assert queued == []  # nothing before the commit
    assert len(first) == 4
    assert queued == [[row.pk for row in first], [row.pk for row in second]]


def test_a_retried_move_writes_and_sends_nothing_twice(consenting_consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = admitted(consenting_consumer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = admitted(consenting_consumer)
    assert again == []
    assert callbacks == []  # nothing queued for rows that were already there
    assert Notification.objects.count() == 4
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(mail.outbox) == 1
    assert {row.pk for row in first} == set(Notification.objects.values_list("pk", flat=True))


def test_a_retried_move_with_one_more_channel_writes_only_that_one(consenting_consumer):
    inbox_only = admitted(consenting_consumer, channels=[Channel.INBOX])
    later = admitted(consenting_consumer)
    assert [row.channel for row in inbox_only] == [Channel.INBOX]
    assert {row.channel for row in later} == {Channel.EMAIL, Channel.SMS, Channel.WHATSAPP}


# --- Rendering ------------------------------------------------------------------------------------


def _as_before(row: Notification, context: dict) -> tuple[str, str, str]:
    """What the request rendered before this change: the context's own values, no JSON between."""
    rendered = render_event(
        event=row.event,
        context=full_context(
            prepare_context(row.event, context), recipient=row.recipient, case_number=row.case_number, formal=row.formal
        ),
        language=row.language,
    )
    short = row.channel in (Channel.SMS, Channel.WHATSAPP)
    return rendered.subject, rendered.short_text if short else rendered.body_text, "" if short else rendered.body_html


@pytest.mark.parametrize(
    ("event", "context"),
    [
        (
            "offer_made",
            {
                "offer_text": "Cambio de la heladera por una nueva.",
                "company_name": "Electrodomésticos del Sur S.A.",
                "offer_amount": Decimal("90000.50"),
                "fulfil_by": date(2027, 2, 1),
                "answer_due": HEARING_UTC,
                "offer_instalments": [
                    {"number": 1, "due": date(2026, 12, 1), "amount": Decimal("30000.50")},
                    {"number": 2, "due": date(2027, 1, 1), "amount": Decimal("30000.00")},
                    {"number": 3, "due": date(2027, 2, 1), "amount": Decimal("30000.00")},
                ],
            },
        ),
        ("hearing_scheduled", {"hearing_start": HEARING_UTC, "hearing_url": "https://concilia.test/a/1/"}),
        (
            "outcome_recorded",
            {"outcome_label": Hearing.Outcome.ADJOURNED.label, "next_steps": gettext_lazy("Agreement"), "reason": "x"},
        ),
    ],
)
@pytest.mark.parametrize("language", ["es-ar", "en"])
def test_the_worker_renders_exactly_what_the_request_rendered(consenting_consumer, event, context, language):
    consenting_consumer.preferred_language = language
    consenting_consumer.save(update_fields=["preferred_language"])
    context = {**context, "case_number": "DC-2026-000123", "case_url": "/reclamos/1/"}
    with translation.override("en"):  # the request's own language must not leak into the message
        rows = notify(
            recipient=consenting_consumer,
            event=event,
            context=context,
            idempotency_key="k",
            case_number="DC-2026-000123",
        )
    assert len(rows) == 4
    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        assert (row.subject, row.body_text, row.body_html) == ("", "", "")
        assert render_row(row).subject == _as_before(row, context)[0]
        ensure_rendered([row])
        assert (row.subject, row.body_text, row.body_html) == _as_before(row, context)
        stored = Notification.objects.get(pk=row.pk)
        assert (stored.subject, stored.body_text, stored.body_html) == _as_before(row, context)


def test_a_datetime_is_shown_at_the_offices_time_and_a_lazy_text_in_the_recipients_language(english_consumer):
    context = {"hearing_start": HEARING_UTC}
    [email] = notify(recipient=english_consumer, event="hearing_scheduled", context=context, idempotency_key="h")[:1]
    stored = Notification.objects.get(pk=email.pk)
    assert stored.context["hearing_start"] == {"$dt": "2026-11-23T13:00:00+00:00"}
    with timezone.override("UTC"):  # a worker whose clock is elsewhere still writes the office's time
        ensure_rendered([stored])
    assert "Monday 23 November 2026, 10:00" in stored.subject

    label = codec.encode({"outcome_label": Hearing.Outcome.ADJOURNED.label}, language="en")
    assert label == {"outcome_label": str(Hearing.Outcome.ADJOURNED.label)}


def test_rows_of_one_occurrence_are_rendered_once(consenting_consumer, monkeypatch):
    rows = admitted(consenting_consumer)
    calls: list[str] = []

    def counting(**kwargs):
        calls.append(kwargs["event"])
        return render_event(**kwargs)

    monkeypatch.setattr("notifications.rendering.render_event", counting)
    ensure_rendered(rows)
    assert len(calls) == 1
    by_channel = {row.channel: Notification.objects.get(pk=row.pk) for row in rows}
    assert by_channel[Channel.EMAIL].body_html and by_channel[Channel.INBOX].body_text
    assert by_channel[Channel.SMS].body_text == by_channel[Channel.WHATSAPP].body_text
    assert by_channel[Channel.SMS].body_html == ""


def test_a_stripped_row_is_never_rendered_again(consumer):
    [email] = admitted(consumer, channels=[Channel.EMAIL])
    Notification.objects.filter(pk=email.pk).update(status=Status.SENT, redacted_at=timezone.now())
    stored = Notification.objects.get(pk=email.pk)
    ensure_rendered([stored])
    assert Notification.objects.filter(pk=email.pk, subject="", body_text="").exists()


# --- Delivering -----------------------------------------------------------------------------------


def test_a_batch_where_one_row_fails_leaves_the_others_sent(consenting_consumer, monkeypatch):
    rows = admitted(consenting_consumer)

    class Down:
        def send(self, notification):
            raise DeliveryError("SMS provider down")

    monkeypatch.setattr(
        delivery, "get_channel", lambda channel: Down() if channel == Channel.SMS else get_channel(channel)
    )
    results = delivery.deliver_many([row.pk for row in rows])

    status = dict(Notification.objects.values_list("channel", "status"))
    assert status == {
        Channel.EMAIL: Status.SENT,
        Channel.WHATSAPP: Status.SENT,
        Channel.INBOX: Status.SENT,
        Channel.SMS: Status.FAILED,
    }
    assert {result.outcome for result in results.values()} == {"sent", "retry"}
    sms = Notification.objects.get(channel=Channel.SMS)
    assert "SMS provider down" in sms.last_error
    assert sms.subject  # the failure keeps the text it would have sent, for the failures page
    assert len(mail.outbox) == 1


def test_a_batch_claimed_twice_is_sent_once(consenting_consumer):
    ids = [row.pk for row in admitted(consenting_consumer)]
    first = delivery.deliver_many(ids)
    second = delivery.deliver_many(ids)
    assert {result.outcome for result in first.values()} == {"sent"}
    assert {result.outcome for result in second.values()} == {"skipped"}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert len(mail.outbox) == 1


def test_the_claim_takes_a_whole_batch_in_one_statement(consenting_consumer):
    ids = [row.pk for row in admitted(consenting_consumer)]
    with CaptureQueriesContext(connection) as queries:
        claimed = delivery.claim_many(ids)
    assert len(queries) == 1 and " RETURNING " in queries[0]["sql"]
    assert sorted(row.pk for row in claimed) == sorted(ids)
    assert {(row.status, row.attempts) for row in claimed} == {(Status.SENDING, 1)}
    assert delivery.claim_many(ids) == []  # held under lease by the first claimant


def test_a_row_queued_by_the_previous_release_is_still_delivered(consumer):
    [email] = admitted(consumer, channels=[Channel.EMAIL])
    assert deliver_notification.apply(args=(email.pk,)).get() == "sent"
    email.refresh_from_db()
    assert email.status == Status.SENT and email.subject
    assert mail.outbox[0].subject == email.subject


def test_the_sweeper_requeues_lost_rows_in_batches(consenting_consumer, settings, queued):
    settings.NOTIFICATION_QUEUE_GRACE_SECONDS = 0
    ids = [row.pk for row in admitted(consenting_consumer)] + [row.pk for row in admitted(consenting_consumer, "k2")]
    assert sweep_outbox.apply().get() == 8
    assert sorted(pk for task in queued for pk in task) == sorted(ids)
    assert len(queued) == 1


# --- Reading before the worker --------------------------------------------------------------------


def test_the_inbox_shows_a_message_the_worker_has_not_reached(consumer, client_for):
    [inbox] = admitted(consumer, channels=[Channel.INBOX])
    assert inbox.subject == ""
    response = client_for(consumer).get(reverse("inbox"))
    [shown] = response.context["page_obj"]
    assert shown.subject and shown.subject in response.content.decode()
    assert Notification.objects.get(pk=inbox.pk).subject == shown.subject

    detail = client_for(consumer).get(reverse("inbox_detail", args=[inbox.pk]))
    assert shown.subject in detail.content.decode()
    assert response.context["inbox_unread"] == 1
