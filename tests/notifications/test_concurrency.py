"""On PostgreSQL, with real row locks: concurrent sweepers and workers never send a row twice."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import delivery
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from tests.notifications.conftest import UNREACHABLE_BROKER, broker, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def due_rows(consumer, count: int) -> list[int]:
    # Written while the broker was down: nothing queued them.
    with broker(UNREACHABLE_BROKER, eager=False), transaction.atomic():
        ids = [
            notify(
                recipient=consumer,
                event="complaint_admitted",
                context={},
                idempotency_key=f"complaint:{n}:admitted",
                channels=[Channel.EMAIL],
            )[0].pk
            for n in range(count)
        ]
    # Due for the sweeper now.
    Notification.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
    return ids


def test_two_sweepers_at_once_never_send_the_same_row(consumer):
    ids = due_rows(consumer, 30)
    results = run_in_threads(lambda: delivery.sweep(batch_size=4), count=2)
    assert sum(results) >= 30  # type: ignore[arg-type]
    sent_ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert len(sent_ids) == 30
    assert len(set(sent_ids)) == 30
    assert Notification.objects.filter(pk__in=ids, status=Status.SENT).count() == 30


def test_sweepers_lock_disjoint_rows(consumer):
    """SKIP LOCKED: while one sweeper holds its batch, another picks different rows."""
    due_rows(consumer, 6)
    picked: list[list[int]] = []

    def pick() -> list[int]:
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("pk")
                .values_list("pk", flat=True)[:3]
            )
            picked.append(ids)
            import time

            time.sleep(0.5)  # hold the locks while the other thread picks
        return ids

    run_in_threads(pick, count=2)
    assert len(picked) == 2
    assert set(picked[0]).isdisjoint(picked[1])
    assert len(picked[0]) == len(picked[1]) == 3


def test_many_workers_delivering_one_row_send_it_once(consumer):
    [pk] = due_rows(consumer, 1)
    outcomes = run_in_threads(lambda: delivery.deliver(pk).outcome, count=4)
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]  # type: ignore[type-var]
    assert len(mail.outbox) == 1
