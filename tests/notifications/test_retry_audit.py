"""A message sent again by hand leaves an audit row: who, when, and what the row had been through."""

import pytest
from django.urls import reverse

from notifications.models import Channel, Notification, NotificationRetry, Status
from notifications.services import NotificationError, notification_retry, notify

pytestmark = pytest.mark.django_db


def dead_email(user, key="complaint:1:admitted"):
    [row] = notify(
        recipient=user,
        event="complaint_admitted",
        context={},
        idempotency_key=key,
        case_number="DC-2026-000123",
        channels=[Channel.EMAIL],
    )
    Notification.objects.filter(pk=row.pk).update(status=Status.DEAD, attempts=3, last_error="SMTP down")
    return row


def test_a_retry_from_the_failures_page_is_audited(consumer, officer, client_for, django_capture_on_commit_callbacks):
    row = dead_email(consumer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(officer).post(reverse("notification_retry", args=[row.pk])).status_code == 302
    [audit] = NotificationRetry.objects.all()
    assert audit.notification_id == row.pk
    assert audit.retried_by == officer
    assert audit.retried_at is not None
    assert (audit.previous_status, audit.previous_attempts, audit.previous_error) == (Status.DEAD, 3, "SMTP down")
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_refused_retry_leaves_no_audit(consumer, officer, representative):
    row = dead_email(consumer)
    with pytest.raises(NotificationError):
        notification_retry(notification=row, by=representative)
    Notification.objects.filter(pk=row.pk).update(status=Status.SENT)
    with pytest.raises(NotificationError):
        notification_retry(notification=row, by=officer)
    assert not NotificationRetry.objects.exists()


def test_the_failures_page_shows_who_sent_it_again_before(consumer, officer, supervisor, client_for):
    row = dead_email(consumer)
    notification_retry(notification=row, by=officer)
    # It failed for good again afterwards: back on the page, with its history.
    Notification.objects.filter(pk=row.pk).update(status=Status.DEAD, attempts=3, last_error="Mailbox full")
    response = client_for(supervisor).get(reverse("notification_failures"))
    [listed] = response.context["page_obj"]
    assert [retry.retried_by for retry in listed.retries.all()] == [officer]
    page = response.content.decode()
    assert "Sent again by hand once" in page
    assert officer.display_name in page
    assert "SMTP down" in page  # the error it had before the retry
    assert "Mailbox full" in page


def test_the_failures_page_costs_the_same_with_many_retried_rows(
    consumer, officer, supervisor, client_for, django_assert_max_num_queries
):
    for n in range(5):
        row = dead_email(consumer, key=f"k{n}")
        notification_retry(notification=row, by=officer)
        Notification.objects.filter(pk=row.pk).update(status=Status.DEAD)
    client = client_for(supervisor)
    client.get(reverse("notification_failures"))
    with django_assert_max_num_queries(12) as captured:
        client.get(reverse("notification_failures"))
    retries_queries = [q for q in captured.captured_queries if "notificationretry" in q["sql"]]
    assert len(retries_queries) == 1


def test_the_admin_shows_the_retries(consumer, officer, client_for):
    from tests.conftest import enrol_totp, make_user

    admin_user = make_user("admin@oficina.test", "supervisor", is_staff=True, is_superuser=True)
    enrol_totp(admin_user)
    row = dead_email(consumer)
    notification_retry(notification=row, by=officer)
    client = client_for(admin_user)
    page = client.get(f"/admin/notifications/notification/{row.pk}/change/")
    assert page.status_code == 200
    assert "SMTP down" in page.content.decode()
    assert client.get("/admin/notifications/notificationretry/").status_code == 200


def test_the_admin_action_audits_each_row_and_skips_the_ones_it_cannot_send(consumer, client_for):
    from tests.conftest import enrol_totp, make_user

    admin_user = make_user("admin@oficina.test", "supervisor", is_staff=True, is_superuser=True)
    enrol_totp(admin_user)
    first, second = dead_email(consumer, key="a"), dead_email(consumer, key="b")
    Notification.objects.filter(pk=second.pk).update(status=Status.SENT)
    response = client_for(admin_user).post(
        "/admin/notifications/notification/",
        {"action": "retry_selected", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert list(NotificationRetry.objects.values_list("notification_id", "retried_by")) == [(first.pk, admin_user.pk)]
