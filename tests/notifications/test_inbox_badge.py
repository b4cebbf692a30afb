"""The header's unread badge counts up to 100 (it reads "99+" past 99), so a page costs the same
however many messages lie unread."""

import pytest
from django.test import RequestFactory

from notifications.context_processors import inbox as inbox_context
from notifications.models import Channel, Notification
from notifications.selectors import INBOX_UNREAD_CAP

pytestmark = pytest.mark.django_db


def unread(user, count: int) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            channel=Channel.INBOX,
            event="complaint_admitted",
            idempotency_key=f"badge:{n}",
            case_number="DC-2026-000123",
            address="",
            subject="Your complaint was admitted",
            body_text="Your complaint was admitted.",
        )
        for n in range(count)
    )


def context_for(user) -> dict:
    request = RequestFactory().get("/")
    request.user = user
    return inbox_context(request)


def test_the_badge_counts_every_unread_message_up_to_the_cap(consumer) -> None:
    unread(consumer, INBOX_UNREAD_CAP - 1)
    assert context_for(consumer) == {"inbox_unread": 99}


def test_the_badge_stops_counting_at_the_cap(consumer, django_assert_num_queries) -> None:
    unread(consumer, INBOX_UNREAD_CAP + 20)
    # One query: SELECT id … WHERE recipient, inbox, unread LIMIT 100 (counted in Python)
    with django_assert_num_queries(1):
        assert context_for(consumer) == {"inbox_unread": INBOX_UNREAD_CAP}


def test_the_header_says_99_plus_past_99(consumer, client_for) -> None:
    unread(consumer, INBOX_UNREAD_CAP + 20)
    page = client_for(consumer).get("/").content.decode()
    assert ">99+<" in page
