"""A company's offer in instalments: the representative types the schedule ("one per line: YYYY-MM-DD
amount"), checked as an agreement's is and refused naming its line; the consumer reads it on the offer
and in the message; accepted and homologated, the Agreement gets the instalments and the follow-up asks
about each."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.instalments import as_json, check_schedule, from_json, parse_schedule
from complaints.models import CaseEvent, Offer
from complaints.services import CaseError
from hearings.models import Agreement
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import ask_consumers_about_compliance
from notifications.models import Notification
from tests.complaints.factories import served_case
from tests.notifications.conftest import translated
from tests.notifications.helpers import rendered


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def lines(*rows: tuple[int, str]) -> str:
    return "\n".join(f"{days(n).isoformat()} {amount}" for n, amount in rows)


def offer_data(**overrides: str) -> dict[str, str]:
    return {
        "offer-amount": "90000",
        "offer-terms": "Devolución del precio en tres cuotas por transferencia.",
        "offer-fulfil_by": "",
        "offer-instalments": lines((30, "30000"), (60, "30000"), (90, "30000")),
        **{f"offer-{key}": value for key, value in overrides.items()},
    }


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer)


def make_offer(client, case, **overrides: str):
    return client.post(reverse("offer_make", args=[case.pk]), offer_data(**overrides))


# --- The schedule, shared with the hearing's agreement ---------------------------------------------------


def test_the_schedule_reads_the_same_for_an_offer_and_keeps_as_json():
    schedule = check_schedule(parse_schedule(lines((30, "25000,50"), (60, "64999.50"))), amount=Decimal("90000"))
    assert as_json(schedule) == [
        {"due": days(30).isoformat(), "amount": "25000.50"},
        {"due": days(60).isoformat(), "amount": "64999.50"},
    ]
    assert from_json(as_json(schedule)) == schedule
    assert from_json([]) == []


def test_the_hearing_refuses_with_its_own_error_from_the_one_parser():
    from hearings.errors import HearingError
    from hearings.services.instalments import parse_schedule as hearing_parse

    with pytest.raises(HearingError, match="Line 2: cinco is not an amount"):
        hearing_parse(lines((30, "5000"), (60, "cinco")))


# --- The form ----------------------------------------------------------------------------------------


def test_the_offer_form_shows_the_schedule_field_with_its_label(served, representative, client_for):
    page = client_for(representative).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert 'name="offer-instalments"' in page
    assert "Paid in instalments (optional)" in page
    assert 'aria-describedby="id_offer-instalments_helptext"' in page


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (f"{days(30).isoformat()} 45000\n10/03/2030 45000", "Line 2: write the date as YYYY-MM-DD"),
        (f"{days(30).isoformat()} 45000\n\n2030-02-30 45000", "Line 3: 2030-02-30 is not a date"),
        (f"{days(30).isoformat()} cuarenta", "Line 1: cuarenta is not an amount"),
        (lines((30, "90000")), "at least two instalments"),
        (lines((60, "45000"), (30, "45000")), "Instalment 2: the due dates must go forward"),
        (lines((30, "40000"), (60, "40000")), "add up to 80000.00, not to the agreed amount of 90000.00"),
        (lines((30, "45000"), (3650, "45000")), "the last instalment is due too late"),
    ],
)
def test_a_schedule_that_does_not_hold_is_refused_next_to_the_field(
    served, representative, client_for, schedule, message
):
    response = make_offer(client_for(representative), served, instalments=schedule)
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html
    assert message in html
    assert 'id="id_offer-instalments_error"' in html
    assert not Offer.objects.filter(complaint=served).exists()


def test_without_a_schedule_the_offer_still_needs_its_date(served, representative, client_for):
    response = make_offer(client_for(representative), served, instalments="")
    assert response.status_code == 200
    assert "Enter the date by which the company will fulfil the offer." in response.content.decode()
    assert not Offer.objects.exists()


def test_a_bad_amount_with_a_schedule_is_an_error_not_a_500(served, representative, client_for):
    response = make_offer(client_for(representative), served, amount="mucho")
    assert response.status_code == 200
    assert not Offer.objects.exists()


# --- The offer -------------------------------------------------------------------------------------------


def test_the_offer_keeps_the_schedule_and_its_last_date_is_the_date_to_fulfil_it(
    served, representative, consumer, client_for
):
    response = make_offer(client_for(representative), served, fulfil_by=days(5).isoformat())
    assert response.status_code == 302
    offer = Offer.objects.get(complaint=served)
    assert offer.fulfil_by == days(90)  # the last instalment, not the date typed
    assert offer.instalments == [
        {"due": days(30).isoformat(), "amount": "30000.00"},
        {"due": days(60).isoformat(), "amount": "30000.00"},
        {"due": days(90).isoformat(), "amount": "30000.00"},
    ]
    assert CaseEvent.objects.filter(complaint=served, action="offer_made").count() == 1

    page = client_for(consumer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "The company made you an offer" in page
    assert "Paid in instalments" in page
    assert page.count("<li>ARS\u00a030,000.00 by ") >= 3

    told = rendered(Notification.objects.get(recipient=consumer, event="offer_made", channel="email")).body_text
    assert translated("es-ar", "Paid in instalments:") in told
    one = translated("es-ar", "Instalment %(number)s: %(amount)s by %(day)s.")
    assert one.split("%(amount)s")[0] % {"number": 3} in told
    assert told.count("30000") == 3  # one line per instalment


def test_the_service_checks_the_schedule_too(served, representative):
    with pytest.raises(CaseError, match="not to the agreed amount"):
        services.offer_make(
            complaint=served,
            by=representative,
            terms="En cuotas.",
            fulfil_by=None,
            amount=Decimal("100"),
            instalments=[(days(30), Decimal("10")), (days(60), Decimal("20"))],
        )
    assert not Offer.objects.exists()


def test_an_offer_paid_at_once_keeps_no_schedule(served, representative, consumer):
    offer = services.offer_make(
        complaint=served, by=representative, terms="Cambio del equipo.", fulfil_by=days(15), amount=None
    )
    assert (offer.instalments, offer.fulfil_by) == ([], days(15))
    told = rendered(Notification.objects.get(recipient=consumer, event="offer_made", channel="email")).body_text
    assert translated("es-ar", "Paid in instalments:") not in told


# --- Accepted and homologated -------------------------------------------------------------------------------


def at_nine_on(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


def test_accepted_and_homologated_the_agreement_is_paid_in_the_offers_instalments(
    served, representative, consumer, director, client_for
):
    make_offer(client_for(representative), served)
    offer = Offer.objects.get(complaint=served)
    assert client_for(consumer).post(reverse("offer_accept", args=[offer.pk])).status_code == 302
    agreement_approve(complaint=served, by=director)

    agreement = Agreement.objects.get(complaint=served)
    assert (agreement.amount, agreement.compliance_due, agreement.hearing_id) == (Decimal("90000"), days(90), None)
    rows = list(agreement.instalments.order_by("number").values_list("number", "due_date", "amount"))
    assert rows == [(1, days(30), Decimal("30000")), (2, days(60), Decimal("30000")), (3, days(90), Decimal("30000"))]

    first, second, _third = agreement.instalments.order_by("number")
    with time_machine.travel(at_nine_on(days(29))):
        assert ask_consumers_about_compliance() == 0
    with time_machine.travel(at_nine_on(days(30))):
        assert ask_consumers_about_compliance() == 1
    asked = Notification.objects.filter(event="compliance_due", recipient=consumer)
    assert asked.filter(idempotency_key__contains=f"instalment:{first.pk}:due").exists()
    assert not asked.filter(idempotency_key__contains=f"instalment:{second.pk}:due").exists()
    assert CaseEvent.objects.filter(complaint=served, action="instalment_asked").count() == 1
    with time_machine.travel(at_nine_on(days(60))):
        assert ask_consumers_about_compliance() == 1
    assert asked.filter(idempotency_key__contains=f"instalment:{second.pk}:due").exists()
