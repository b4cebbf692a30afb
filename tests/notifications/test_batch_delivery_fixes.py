"""Rendering in the worker and sending in batches, where the two meet other processes: a lease bounds
one send, never a whole batch (each send starts with at least half a lease ahead); a row stripped of
its text (retention, anonymisation) stays stripped, context included, and never goes out blank; an
acceptance written late keeps the text that was sent."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from complaints import services as case_services
from notifications import delivery
from notifications.channels import DeliveryError, PermanentDeliveryError
from notifications.models import Channel, Notification, Status
from notifications.rendering import render_row
from notifications.services import notifications_apply_retention, notify
from notifications.tasks import deliver_notification, deliver_notifications
from privacy.services.anonymisation import case_anonymise
from tests.complaints.factories import submitted_case
from tests.notifications.conftest import local

pytestmark = pytest.mark.django_db

SECRET = "Juan Pérez, DNI 30111222, CBU 0000003100012345678901"
START = local(2026, 11, 16, 9, 0)


def rejected(recipient, key: str, **extra) -> list[Notification]:
    return notify(
        recipient=recipient,
        event="complaint_rejected",
        context={"reason": SECRET},
        idempotency_key=key,
        case_number="DC-2026-000001",
        **extra,
    )


def strip(row: Notification) -> None:
    """What anonymisation does to a case's outbox row (privacy/services/anonymisation.py)."""
    Notification.objects.filter(pk=row.pk).update(body_text="", body_html="", context={}, redacted_at=timezone.now())


class Provider:
    """A provider that accepts every message and keeps what it was given; `during_send` runs while
    the provider has the message."""

    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.texts: dict[int, tuple[str, str]] = {}
        self.during_send = lambda row: None

    def send(self, row: Notification) -> str:
        self.sent[row.pk] += 1
        self.texts[row.pk] = (row.subject, row.body_text)
        self.during_send(row)
        return f"<{row.pk}@concilia.test>"


@pytest.fixture
def provider(monkeypatch) -> Provider:
    channel = Provider()
    monkeypatch.setattr(delivery, "get_channel", lambda name: channel)
    return channel


@pytest.fixture
def unqueued(monkeypatch):
    """Rows written and left pending: each test hands them to the worker itself."""
    monkeypatch.setattr(delivery, "enqueue", lambda ids: None)


# --- A lease bounds one send ---------------------------------------------------------------------


def test_a_slow_batch_leaves_its_later_rows_to_whoever_took_them(consumer, provider, unqueued, settings):
    ids = [row.pk for key in ("a", "b", "c") for row in rejected(consumer, key, channels=[Channel.EMAIL])]
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    other_worker: dict[int, delivery.Result] = {}
    with time_machine.travel(START, tick=False) as clock:

        def slow(row: Notification) -> None:
            if other_worker:
                return  # the other worker's sends are quick
            # Each send of this worker takes a little over half the lease: well within it, as the
            # settings ask, but the whole batch outlasts the lease it was claimed with.
            clock.shift(lease / 2 + timedelta(seconds=1))
            if row.pk == ids[1]:
                # Meanwhile the sweeper hands over the row whose lease ran out, and another worker sends it.
                assert delivery.sweep() == 1
                other_worker.update(delivery.deliver_many(ids))

        provider.during_send = slow
        first_worker = delivery.deliver_many(ids)

    assert provider.sent == {ids[0]: 1, ids[1]: 1, ids[2]: 1}
    assert first_worker == {
        ids[0]: delivery.Result("sent"),
        ids[1]: delivery.Result("sent"),
        ids[2]: delivery.Result("skipped"),
    }
    assert other_worker[ids[2]] == delivery.Result("sent")
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.SENT}


def test_every_send_starts_with_at_least_half_a_lease_ahead(consumer, provider, unqueued, settings):
    ids = [row.pk for key in ("a", "b", "c") for row in rejected(consumer, key, channels=[Channel.EMAIL])]
    full = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    leases: dict[int, timedelta] = {}
    with time_machine.travel(START, tick=False) as clock:

        def note_lease(row: Notification) -> None:
            leases[row.pk] = Notification.objects.get(pk=row.pk).next_attempt_at - timezone.now()
            clock.shift(full * 0.4)  # each send takes 40% of the lease

        provider.during_send = note_lease
        delivery.deliver_many(ids)

    # The claim's lease serves while more than half of it is left; then it is renewed in full.
    assert leases == {ids[0]: full, ids[1]: full * 0.6, ids[2]: full}
    assert provider.sent == {pk: 1 for pk in ids}


@pytest.mark.parametrize("timeout", ["EMAIL_TIMEOUT", "NOTIFICATION_HTTP_TIMEOUT"])
def test_a_lease_whose_half_cannot_hold_two_slow_sends_is_refused_at_start(timeout):
    from tests.config.test_settings_profiles import manage

    quick = {"EMAIL_TIMEOUT": "1", "NOTIFICATION_HTTP_TIMEOUT": "1", timeout: "20"}  # only `timeout` is slow
    refused = manage("check", DJANGO_ENV="development", NOTIFICATION_LEASE_SECONDS="79", **quick)
    accepted = manage("check", DJANGO_ENV="development", NOTIFICATION_LEASE_SECONDS="80", **quick)

    assert refused.returncode != 0
    assert "NOTIFICATION_LEASE_SECONDS" in refused.stderr and "four times" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr


# --- A stripped row stays stripped ---------------------------------------------------------------


def test_anonymisation_takes_the_context_the_text_is_rendered_from(
    consumer, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_services.complaint_withdraw(complaint=submitted_case(consumer, company), by=consumer, reason=SECRET)
    withdrawn = Notification.objects.filter(case_number=case.number, event="complaint_withdrawn")
    assert any(SECRET in row.body_text for row in withdrawn)
    assert all(SECRET in str(row.context) for row in withdrawn)

    assert case_anonymise(complaint_id=case.pk) is not None

    for row in Notification.objects.filter(case_number=case.number):
        assert row.redacted_at is not None
        assert (row.body_text, row.body_html, row.context) == ("", "", {})
    # Nothing can bring the words back: rendering the stripped rows again gives a message without them.
    assert all(SECRET not in render_row(row).body_text for row in withdrawn.all())


def test_retention_takes_the_context_the_text_is_rendered_from(consumer, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        rows = rejected(consumer, "old")
    long_ago = timezone.now() - timedelta(days=60)
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(created_at=long_ago, sent_at=long_ago)

    assert notifications_apply_retention()["redacted"] == len(rows)

    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        assert row.redacted_at is not None
        assert (row.body_text, row.body_html, row.context) == ("", "", {})


class Refused(PermanentDeliveryError):
    pass


@pytest.mark.parametrize(
    ("answer", "status"),
    [(None, Status.SENT), (DeliveryError("timed out"), Status.FAILED), (Refused("no such box"), Status.DEAD)],
    ids=["accepted", "failed", "refused"],
)
def test_a_row_stripped_while_it_is_sent_keeps_its_text_gone(consumer, provider, unqueued, answer, status):
    [row] = rejected(consumer, "k", channels=[Channel.EMAIL])

    def stripped_meanwhile(sending: Notification) -> None:
        strip(sending)
        if answer is not None:
            raise answer

    provider.during_send = stripped_meanwhile
    delivery.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == status
    assert provider.texts[row.pk][0]  # it was sent rendered
    assert (row.subject, row.body_text, row.body_html) == ("", "", "")


def test_a_row_stripped_before_the_worker_reaches_it_is_never_sent(representative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = rejected(representative, "k")
    for row in rows:
        strip(row)

    for callback in callbacks:
        callback()

    assert not mail.outbox
    assert {row.channel for row in rows} >= {Channel.EMAIL}
    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        assert row.status == Status.DEAD
        assert row.last_error == "The message's text was removed before it could be sent."
        assert row.subject == ""
    assert not Notification.objects.filter(fallback_of__in=rows).exists()


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.INBOX])
def test_a_row_stripped_while_its_batch_is_sent_is_not_sent(consumer, provider, unqueued, channel):
    [first] = rejected(consumer, "a", channels=[Channel.EMAIL])
    [second] = rejected(consumer, "b", channels=[channel])
    provider.during_send = lambda row: strip(second) if row.pk == first.pk else None

    results = delivery.deliver_many([first.pk, second.pk])

    assert provider.sent == {first.pk: 1}
    assert results[second.pk] == delivery.Result("dead")
    second.refresh_from_db()
    assert second.status == Status.DEAD
    assert second.last_error == delivery.STRIPPED
    assert second.subject == ""


def test_a_row_stripped_while_its_batch_is_rendered_is_not_sent(consumer, provider, unqueued, monkeypatch):
    [row] = rejected(consumer, "k", channels=[Channel.EMAIL])
    render = delivery.rendering.render_missing

    def rendered_then_anonymised(rows, save=True):
        failed = render(rows, save=save)
        strip(row)  # anonymisation commits while the worker renders what it claimed
        return failed

    monkeypatch.setattr(delivery.rendering, "render_missing", rendered_then_anonymised)
    results = delivery.deliver_many([row.pk])

    assert provider.sent[row.pk] == 0
    assert results[row.pk] == delivery.Result("dead")
    row.refresh_from_db()
    assert (row.status, row.last_error, row.subject) == (Status.DEAD, delivery.STRIPPED, "")


# --- An acceptance written late keeps the text that was sent -------------------------------------


@pytest.fixture
def first_record_fails(monkeypatch):
    """The first write of an acceptance hits a lost connection, and the worker does not wait to try
    again: the task must write it later, alone."""
    monkeypatch.setattr(delivery, "RECORD_RETRY_DELAYS", ())
    real = delivery._mark_sent
    calls: list[int] = []

    def flaky(notification_id, **fields):
        calls.append(notification_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(notification_id, **fields)

    monkeypatch.setattr(delivery, "_mark_sent", flaky)
    return calls


@pytest.mark.parametrize(
    "run",
    [
        lambda pk: deliver_notifications.apply(args=([pk],)),
        lambda pk: deliver_notification.apply(args=(pk,)),
    ],
    ids=["batch", "single"],
)
def test_an_acceptance_written_late_keeps_the_text_that_was_sent(consumer, provider, unqueued, first_record_fails, run):
    [row] = rejected(consumer, "k", channels=[Channel.EMAIL])

    run(row.pk)

    row.refresh_from_db()
    assert first_record_fails == [row.pk, row.pk]
    assert provider.sent == {row.pk: 1}
    assert row.status == Status.SENT
    assert row.provider_message_id == f"<{row.pk}@concilia.test>"
    assert (row.subject, row.body_text) == provider.texts[row.pk]
    assert SECRET in row.body_text
