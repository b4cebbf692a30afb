"""Offers left pending in cases that moved past them, before the case's moves lapsed them, are lapsed
by migration 0006; those the consumer can still accept stay pending."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint, Offer, OfferStatus
from complaints.states import State
from tests.complaints.factories import served_case
from tests.helpers import migrate_to

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BEFORE = ("complaints", "0005_case_event_chain_head")
AFTER = ("complaints", "0006_lapse_offers_in_moved_on_cases")


def migrate(target: tuple[str, str]) -> None:
    migrate_to(target)


def offer_in(case: Complaint, status: str, *, offer_status: str = OfferStatus.PENDING) -> Offer:
    """An offer as an older release left it: the case's status set on the row, the offer untouched.
    Written before migrating back (the rows outlive the columns the older schema lacks)."""
    offer = Offer.objects.create(
        complaint=case,
        made_by=case.consumer,
        terms="Reintegro del precio.",
        fulfil_by=timezone.localdate() + timedelta(days=10),
        status=offer_status,
    )
    Complaint.objects.filter(pk=case.pk).update(status=status)
    return offer


@pytest.fixture
def case_in(consumer, company, officer):
    return lambda: served_case(consumer, company, officer)


def status_of(offer: Offer) -> str:
    """Read at the migration's schema: only the columns it has (later ones, such as `part`, are gone)."""
    return Offer.objects.filter(pk=offer.pk).values_list("status", flat=True).get()


def test_it_lapses_the_offers_pending_in_cases_that_moved_past_them(case_in):
    stale = [
        offer_in(case_in(), status)
        for status in (State.NO_AGREEMENT, State.COMPANY_ABSENT, State.WITHDRAWN, State.REFERRED, State.AGREEMENT)
    ]
    migrate(BEFORE)
    migrate(AFTER)

    assert {offer.pk: status_of(offer) for offer in stale} == {offer.pk: OfferStatus.LAPSED for offer in stale}


def test_it_leaves_alone_the_offers_the_consumer_can_still_answer_and_those_answered(case_in):
    live = [
        offer_in(case_in(), status) for status in (State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.ADJOURNED)
    ]
    answered = offer_in(case_in(), State.NO_AGREEMENT, offer_status=OfferStatus.REJECTED)
    migrate(BEFORE)
    migrate(AFTER)

    assert [status_of(offer) for offer in live] == [OfferStatus.PENDING] * 3
    assert status_of(answered) == OfferStatus.REJECTED
