"""notify() writes the outbox inside the caller's transaction: once per key and channel, on the
channels the person allows, in their language."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Channel, Notification, Status
from notifications.services import notify, notify_address
from tests.notifications.conftest import local
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db

HEARING = local(2026, 11, 23, 10, 0)


def admitted(recipient, key="complaint:1:admitted", **extra):
    return notify(
        recipient=recipient,
        event="complaint_admitted",
        context={"company_name": "Electrodomésticos del Sur S.A.", "case_url": "/expedientes/1/"},
        idempotency_key=key,
        case_number="DC-2026-000123",
        **extra,
    )


def test_it_writes_the_rows_inside_the_callers_transaction_and_sends_only_after_commit(
    consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = admitted(consumer)
        # Inside the move's transaction: the rows exist, nothing has left yet.
        assert {row.channel for row in rows} == {Channel.EMAIL, Channel.INBOX}
        assert Notification.objects.count() == 2
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@example.com"]
    email_row = Notification.objects.get(channel=Channel.EMAIL)
    assert email_row.status == Status.SENT
    assert email_row.sent_at is not None
    assert email_row.case_number == "DC-2026-000123"


def test_it_leaves_no_row_and_sends_nothing_when_the_move_rolls_back(consumer, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        admitted(consumer)
        raise RuntimeError("the case move failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_it_writes_one_row_per_channel_when_the_same_key_comes_twice(consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = admitted(consumer)
        again = admitted(consumer)
    assert len(first) == 2
    assert again == []
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == 1
    assert Notification.objects.filter(channel=Channel.INBOX).count() == 1
    assert len(mail.outbox) == 1


def test_it_scopes_the_key_to_the_recipient_so_one_move_reaches_every_party(consumer, representative):
    admitted(consumer, key="hearing:7:scheduled")
    admitted(representative, key="hearing:7:scheduled")
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == 2


def test_two_events_of_one_move_under_one_key_both_reach_the_recipient(consumer, django_capture_on_commit_callbacks):
    context = {"company_name": "Electrodomésticos del Sur S.A."}
    with django_capture_on_commit_callbacks(execute=True):
        for event in ("complaint_admitted", "company_served"):
            notify(recipient=consumer, event=event, context=context, idempotency_key="case-event:41")
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert sorted(emails.values_list("event", flat=True)) == ["company_served", "complaint_admitted"]
    assert Notification.objects.filter(channel=Channel.INBOX).count() == 2
    assert len(mail.outbox) == 2


def test_each_event_under_one_key_is_still_written_only_once(consumer):
    context = {"company_name": "Electrodomésticos del Sur S.A."}
    for _twice in range(2):
        for event in ("complaint_admitted", "company_served"):
            notify(recipient=consumer, event=event, context=context, idempotency_key="case-event:41")
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == 2


def test_two_events_under_one_key_both_reach_a_bare_address():
    company = {"company_name": "Electrodomésticos del Sur S.A."}
    invitation = {**company, "accept_url": "https://concilia.test/i/abc/"}
    notify_address(email="legales@electrosur.test", event="company_invitation", context=invitation, idempotency_key="k")
    notify_address(email="legales@electrosur.test", event="company_served", context=company, idempotency_key="k")
    assert Notification.objects.filter(address="legales@electrosur.test").count() == 2


def test_a_key_too_long_to_store_stays_distinct_per_event(consumer):
    long_key = "case-event:" + "x" * 300
    notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key=long_key, channels=["email"])
    notify(recipient=consumer, event="company_served", context={}, idempotency_key=long_key, channels=["email"])
    keys = set(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2
    assert all(len(key) <= 255 for key in keys)


def test_it_uses_sms_and_whatsapp_only_with_consent_and_a_phone(consumer, consenting_consumer):
    assert {row.channel for row in admitted(consumer)} == {Channel.EMAIL, Channel.INBOX}
    rows = {row.channel: row for row in admitted(consenting_consumer)}
    assert set(rows) == {Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.INBOX}
    assert rows[Channel.SMS].address == "+5491155550000"
    assert rows[Channel.WHATSAPP].address == "+5491155550000"


def test_it_keeps_sms_short_and_free_of_the_cases_details(consenting_consumer):
    rows = {row.channel: row for row in rendered(admitted(consenting_consumer))}
    sms = rows[Channel.SMS]
    assert len(sms.body_text) <= 320
    assert sms.body_html == ""
    assert "https://concilia.test/expedientes/1/" in sms.body_text
    assert "Electrodomésticos" not in sms.body_text


def test_it_can_narrow_the_channels_to_the_inbox(consenting_consumer):
    rows = admitted(consenting_consumer, channels=[Channel.INBOX])
    assert [row.channel for row in rows] == [Channel.INBOX]


def test_it_delivers_the_inbox_row_with_the_others_after_commit(consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbox = next(row for row in admitted(consumer) if row.channel == Channel.INBOX)
        # Written without its words: the worker renders it when it delivers it.
        assert (inbox.status, inbox.subject) == (Status.PENDING, "")
    inbox.refresh_from_db()
    assert inbox.status == Status.SENT
    assert inbox.sent_at is not None
    assert inbox.read_at is None
    assert "DC-2026-000123" in inbox.subject


def test_it_renders_in_the_recipients_language(consumer, english_consumer):
    """Day and month names come from Django's own catalogue, so they show which language the
    message was rendered in without depending on our (not yet translated) msgids."""
    context = {"hearing_start": HEARING, "case_url": "/expedientes/1/"}
    spanish, english = rendered(
        notify(recipient=recipient, event="hearing_scheduled", context=context, idempotency_key="h:1")[0]
        for recipient in (consumer, english_consumer)
    )
    assert spanish.language == "es-ar"
    assert "noviembre" in spanish.subject
    assert "lunes" in spanish.subject.lower()
    assert "10:00" in spanish.subject
    assert english.language == "en"
    assert "Monday 23 November 2026, 10:00" in english.subject
    assert 'lang="en"' in english.body_html
    assert 'lang="es-ar"' in spanish.body_html


def test_it_renders_text_html_and_the_office_header(english_consumer):
    row = rendered(next(row for row in admitted(english_consumer) if row.channel == Channel.EMAIL))
    assert row.subject == "Your complaint DC-2026-000123 was admitted"
    assert "Hello John," in row.body_text
    assert "https://concilia.test/expedientes/1/" in row.body_text
    assert "Concilia · Defensa del Consumidor" in row.body_html
    assert "#0072BB" in row.body_html
    assert "\n\n\n" not in row.body_text


def test_it_escapes_what_people_wrote_in_the_html_body(consumer):
    row = rendered(
        notify(
            recipient=consumer,
            event="complaint_rejected",
            context={"reason": "<script>alert(1)</script> Not a consumer relationship"},
            idempotency_key="c:1:rejected",
            channels=[Channel.EMAIL],
        )[0]
    )
    assert "<script>" not in row.body_html
    assert "&lt;script&gt;" in row.body_html
    assert "<script>alert(1)</script>" in row.body_text


def test_it_refuses_an_unknown_event(consumer):
    with pytest.raises(ValueError, match="Unknown notification event"):
        notify(recipient=consumer, event="complaint_teleported", context={}, idempotency_key="x")
    assert not Notification.objects.exists()


# A context that does not match its event's declaration: tests/notifications/test_event_contexts.py.


def test_it_writes_an_email_to_a_bare_address(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_address(
            email="Legales@ElectroSur.test",
            event="company_invitation",
            context={"company_name": "Electrodomésticos del Sur S.A.", "accept_url": "https://concilia.test/i/abc/"},
            idempotency_key="invitation:1",
        )
    assert len(rows) == 1
    assert rows[0].recipient is None
    assert rows[0].address == "legales@electrosur.test"
    assert rows[0].language == "es-ar"
    assert mail.outbox[0].to == ["legales@electrosur.test"]


def test_it_keeps_small_ics_attachments_inline_and_checks_their_shape(consumer):
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    attachment = {"filename": "audiencia.ics", "content_type": "text/calendar; method=REQUEST", "content": ics}
    rows = notify(
        recipient=consumer,
        event="hearing_scheduled",
        context={"hearing_start": HEARING},
        idempotency_key="h:2",
        attachments=[attachment],
    )
    by_channel = {row.channel: row for row in rows}
    assert by_channel[Channel.EMAIL].attachments == [attachment]
    assert by_channel[Channel.INBOX].attachments == []
    with pytest.raises(ValueError, match="either a storage path or inline content"):
        notify(
            recipient=consumer,
            event="hearing_scheduled",
            context={"hearing_start": HEARING},
            idempotency_key="h:3",
            attachments=[{"filename": "x.ics", "content_type": "text/calendar"}],
        )
