"""The inbox for everyone, the failed-deliveries page for staff; strangers get a 404."""

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from notifications.context_processors import inbox as inbox_context
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


def tell(user, key, event="complaint_admitted", **context):
    rows = notify(recipient=user, event=event, context=context, idempotency_key=key, case_number="DC-2026-000123")
    return next(row for row in rows if row.channel == Channel.INBOX)


def dead_email(user, key="complaint:1:admitted", event="complaint_admitted", **context):
    rows = notify(
        recipient=user,
        event=event,
        context=context,
        idempotency_key=key,
        case_number="DC-2026-000123",
        channels=[Channel.EMAIL],
    )
    Notification.objects.filter(pk=rows[0].pk).update(status=Status.DEAD, attempts=3, last_error="SMTP down")
    return rows[0]


# --- Inbox --------------------------------------------------------------------------------------


def test_the_inbox_lists_my_messages_newest_first_with_unread_ones_marked(consumer, representative, client_for):
    older = tell(consumer, "a")
    newer = tell(consumer, "b", event="complaint_rejected", reason="Fuera de la jurisdicción")
    theirs = tell(representative, "c", event="agreement_breached")
    Notification.objects.filter(pk=older.pk).update(read_at=older.created_at)
    response = client_for(consumer).get(reverse("inbox"))
    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert rows == [newer, older]
    page = response.content.decode()
    assert page.count("list-group-item-primary") == 1
    assert rendered(theirs).subject not in page
    assert response.context["inbox_unread"] == 1


def test_opening_a_message_marks_it_read(consumer, client_for):
    item = tell(consumer, "a")
    response = client_for(consumer).get(reverse("inbox_detail", args=[item.pk]))
    assert response.status_code == 200
    assert item.subject in response.content.decode()
    item.refresh_from_db()
    assert item.read_at is not None


def test_someone_elses_message_is_a_404(consumer, stranger, client_for):
    item = tell(consumer, "a")
    assert client_for(stranger).get(reverse("inbox_detail", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_an_email_row_is_not_an_inbox_message(consumer, client_for):
    rows = notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="a")
    email = next(row for row in rows if row.channel == Channel.EMAIL)
    assert client_for(consumer).get(reverse("inbox_detail", args=[email.pk])).status_code == 404


def test_mark_all_as_read(consumer, client_for):
    tell(consumer, "a")
    tell(consumer, "b")
    client = client_for(consumer)
    assert client.get(reverse("inbox_mark_all_read")).status_code == 405
    assert client.post(reverse("inbox_mark_all_read")).status_code == 302
    assert not Notification.objects.filter(channel=Channel.INBOX, read_at__isnull=True).exists()


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302
    assert "/cuenta/login/" in response["Location"]


def test_the_unread_count_costs_one_query(consumer, django_assert_num_queries):
    tell(consumer, "a")
    tell(consumer, "b")
    request = RequestFactory().get("/")
    request.user = consumer
    # One query: SELECT COUNT(*) … WHERE recipient_id = %s AND channel = 'inbox' AND read_at IS NULL
    with django_assert_num_queries(1):
        assert inbox_context(request) == {"inbox_unread": 2}


def test_the_unread_count_is_zero_for_visitors(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert inbox_context(request) == {"inbox_unread": 0}


# --- Failed deliveries --------------------------------------------------------------------------


def test_staff_see_failed_deliveries(consumer, officer, conciliator, supervisor, client_for):
    dead_email(consumer)
    notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="ok", channels=[Channel.EMAIL])
    for person in (officer, conciliator, supervisor):
        response = client_for(person).get(reverse("notification_failures"))
        assert response.status_code == 200
        rows = list(response.context["page_obj"])
        assert [row.status for row in rows] == [Status.DEAD]
        assert "SMTP down" in response.content.decode()


def test_outsiders_get_a_404_on_the_failures_page(consumer, representative, stranger, client_for):
    row = dead_email(consumer)
    for person in (consumer, representative, stranger):
        client = client_for(person)
        assert client.get(reverse("notification_failures")).status_code == 404
        assert client.post(reverse("notification_retry", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.status == Status.DEAD


def test_the_failures_page_filters_by_channel_event_and_case_number(consumer, officer, client_for):
    dead_email(consumer, key="a")
    other = dead_email(consumer, key="b", event="complaint_rejected", reason="x")
    Notification.objects.filter(pk=other.pk).update(case_number="DC-2026-000999")
    client = client_for(officer)

    def listed(**filters):
        return [row.event for row in client.get(reverse("notification_failures"), filters).context["page_obj"]]

    assert sorted(listed()) == ["complaint_admitted", "complaint_rejected"]
    assert listed(event="complaint_rejected") == ["complaint_rejected"]
    assert listed(case_number="dc-2026-000123") == ["complaint_admitted"]
    assert listed(channel="sms") == []
    assert sorted(listed(channel="email", status="dead")) == ["complaint_admitted", "complaint_rejected"]


def test_staff_send_a_failed_message_again_by_hand(consumer, officer, client_for, django_capture_on_commit_callbacks):
    row = dead_email(consumer)
    client = client_for(officer)
    assert client.get(reverse("notification_retry", args=[row.pk])).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notification_retry", args=[row.pk]), {"next": "//evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("notification_failures")
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(mail.outbox) == 1
    # Sent now: no longer on the page, and a second retry is refused with a message, not a 500.
    assert client.post(reverse("notification_retry", args=[row.pk])).status_code == 404


# --- Admin --------------------------------------------------------------------------------------


def test_the_admin_lists_and_searches_the_outbox_and_the_notices(consumer, company, client_for):
    from notifications.services import formal_notice_serve
    from tests.conftest import enrol_totp, make_user

    admin_user = make_user("admin@oficina.test", "supervisor", is_staff=True, is_superuser=True)
    enrol_totp(admin_user)
    row = dead_email(consumer)
    notice = formal_notice_serve(
        company=company, case_number="DC-2026-000123", subject="Cédula", body="…", idempotency_key="n"
    )
    client = client_for(admin_user)
    page = client.get("/admin/notifications/notification/", {"q": "DC-2026-000123", "status__exact": "dead"})
    assert page.status_code == 200
    assert row.address in page.content.decode()
    assert client.get(f"/admin/notifications/notification/{row.pk}/change/").status_code == 200
    assert client.get("/admin/notifications/formalnotice/").status_code == 200
    assert client.get(f"/admin/notifications/formalnotice/{notice.pk}/change/").status_code == 200
