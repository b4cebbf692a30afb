"""A case that ends before its hearing (withdrawn, offer accepted) frees the conciliator's time and
tells everyone, with a calendar cancellation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints import services
from hearings.models import Hearing
from notifications.models import Notification
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


def _cancellations(hearing: Hearing) -> list[Notification]:
    return list(
        Notification.objects.filter(event="hearing_cancelled", channel="email", case_number=hearing.complaint.number)
    )


def test_withdrawing_the_complaint_cancels_its_hearing_and_sends_a_calendar_cancellation(
    hearing, consumer, conciliator
):
    services.complaint_withdraw(complaint=hearing.complaint, by=consumer, reason="Ya me devolvieron el dinero.")

    hearing.refresh_from_db()
    assert hearing.status == Hearing.Status.CANCELLED
    assert hearing.ical_sequence == 1
    sent = _cancellations(hearing)
    assert {n.recipient_id for n in sent} >= {consumer.pk, conciliator.pk}
    ics = next(a for a in sent[0].attachments if a["filename"].endswith(".ics"))["content"]
    assert "METHOD:CANCEL" in ics and str(hearing.ical_uid) in ics


def test_accepting_an_offer_cancels_the_hearing(hearing, consumer, representative):
    offer = services.offer_make(
        complaint=hearing.complaint,
        by=representative,
        terms="Cambio de la heladera en 10 días.",
        fulfil_by=timezone.localdate() + timedelta(days=10),
        amount=Decimal("0"),
    )
    services.offer_accept(offer=offer, by=consumer)

    hearing.refresh_from_db()
    assert hearing.status == Hearing.Status.CANCELLED


def test_a_move_that_is_refused_leaves_the_hearing_on_the_calendar(hearing, representative):
    with pytest.raises(services.CaseError):
        services.complaint_withdraw(complaint=hearing.complaint, by=representative)

    hearing.refresh_from_db()
    assert hearing.status == Hearing.Status.SCHEDULED
    assert _cancellations(hearing) == []


def test_the_hearing_slot_is_free_again_after_the_case_ends(hearing, consumer):
    from hearings.scheduling import conflicts

    services.complaint_withdraw(complaint=hearing.complaint, by=consumer)

    assert not conflicts(hearing.conciliator, hearing.starts_at, hearing.ends_at)
