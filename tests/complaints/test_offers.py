"""Before the hearing: the company answers in writing and makes offers; the consumer accepts,
rejects or counters. Every move leaves a case event and tells the other side."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import CaseEvent, CompanyAnswer, Complaint, Offer, OfferStatus
from complaints.selectors import offer_terms_in
from complaints.states import State
from notifications.models import Notification
from parties.models import Representation, Role
from tests.complaints.factories import served_case, submitted_case
from tests.conftest import make_user
from tests.notifications.conftest import translated
from tests.notifications.helpers import rendered


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer)


@pytest.fixture
def other_representative(other_company):
    user = make_user("lucia@conectar.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Sosa")
    Representation.objects.create(user=user, company=other_company)
    return user


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def offer_data(**overrides: str) -> dict[str, str]:
    return {
        "offer-amount": "850000",
        "offer-terms": "Devolución total del precio por transferencia bancaria.",
        "offer-fulfil_by": in_days(10),
        **{f"offer-{key}": value for key, value in overrides.items()},
    }


def pending_offer(case, representative) -> Offer:
    return services.offer_make(
        complaint=case,
        by=representative,
        terms="Cambio de la heladera por una nueva",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def last_outbox_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- The company's written answer ---------------------------------------------------------------


def test_it_records_the_companys_written_answer(served, representative, consumer, client_for):
    before = last_outbox_pk()
    response = client_for(representative).post(
        reverse("company_answer", args=[served.pk]),
        {"answer-text": "El service concurrió el 5/3; adjuntamos constancia."},
        follow=True,
    )
    answer = CompanyAnswer.objects.get(complaint=served)
    assert (answer.author, answer.text) == (representative, "El service concurrió el 5/3; adjuntamos constancia.")
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.actor, event.from_state, event.to_state) == ("company_answered", representative, "", "")
    served.refresh_from_db()
    assert served.status == State.COMPANY_NOTIFIED
    assert Notification.objects.filter(pk__gt=before, recipient=consumer, case_number=served.number).exists()
    assert any("answer was added" in message for message in messages_of(response))
    consumer_page = client_for(consumer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "El service concurrió el 5/3; adjuntamos constancia." in consumer_page


def test_it_shows_the_error_when_the_answer_is_empty(served, representative, client_for):
    response = client_for(representative).post(reverse("company_answer", args=[served.pk]), {"answer-text": "  "})
    assert response.status_code == 200
    assert "Write the company&#x27;s answer." in response.content.decode()
    assert not CompanyAnswer.objects.exists()


def test_it_refuses_an_answer_from_the_consumer_for_who_she_is(served, consumer, client_for):
    response = client_for(consumer).post(reverse("company_answer", args=[served.pk]), {"answer-text": "Yo"})
    assert response.status_code == 403
    assert not CompanyAnswer.objects.exists()
    with pytest.raises(services.CaseError, match="Only a representative"):
        services.company_answer(complaint=served, by=consumer, text="Yo")


def test_it_answers_404_to_another_companys_representative(served, other_representative, client_for):
    response = client_for(other_representative).post(reverse("company_answer", args=[served.pk]), {"answer-text": "x"})
    assert response.status_code == 404
    assert not CompanyAnswer.objects.exists()


# --- Offers -------------------------------------------------------------------------------------


def test_the_company_makes_an_offer_and_the_consumer_accepts_it(served, representative, consumer, client_for):
    response = client_for(representative).post(reverse("offer_make", args=[served.pk]), offer_data(), follow=True)
    offer = Offer.objects.get(complaint=served)
    assert (offer.status, offer.amount, offer.made_by) == (OfferStatus.PENDING, Decimal("850000"), representative)
    assert served.events.latest("created_at", "pk").action == "offer_made"
    assert any("offer was sent" in message for message in messages_of(response))

    consumer_client = client_for(consumer)
    page = consumer_client.get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "The company made you an offer" in page
    assert "ARS\u00a0850,000.00" in page
    assert reverse("offer_accept", args=[offer.pk]) in page

    before = last_outbox_pk()
    response = consumer_client.post(reverse("offer_accept", args=[offer.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("complaint_detail", args=[served.pk])
    served.refresh_from_db()
    offer.refresh_from_db()
    assert served.status == State.AGREEMENT
    assert (offer.status, offer.answered_by) == (OfferStatus.ACCEPTED, consumer)
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "accept_offer",
        State.COMPANY_NOTIFIED,
        State.AGREEMENT,
        consumer,
    )
    assert Notification.objects.filter(pk__gt=before, recipient=representative, case_number=served.number).exists()
    assert any("accepted the offer" in message for message in messages_of(response))


def test_the_consumer_rejects_with_a_counter_offer(served, representative, consumer, client_for):
    offer = pending_offer(served, representative)
    before = last_outbox_pk()
    response = client_for(consumer).post(
        reverse("offer_reject", args=[offer.pk]),
        {"reject-counter_terms": "Acepto la devolución del dinero, no el cambio.", "reject-counter_amount": "850000"},
        follow=True,
    )
    offer.refresh_from_db()
    served.refresh_from_db()
    assert offer.status == OfferStatus.COUNTERED
    assert (offer.counter_terms, offer.counter_amount) == (
        "Acepto la devolución del dinero, no el cambio.",
        Decimal("850000"),
    )
    assert served.status == State.COMPANY_NOTIFIED
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.actor, event.reason) == (
        "offer_countered",
        consumer,
        "Acepto la devolución del dinero, no el cambio.",
    )
    assert Notification.objects.filter(pk__gt=before, recipient=representative).exists()
    assert any("counter-offer" in message for message in messages_of(response))
    company_page = client_for(representative).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "Acepto la devolución del dinero, no el cambio." in company_page
    assert reverse("offer_make", args=[served.pk]) in company_page  # free to make a new offer


def test_the_consumer_rejects_without_a_counter_offer(served, representative, consumer, client_for):
    offer = pending_offer(served, representative)
    client_for(consumer).post(reverse("offer_reject", args=[offer.pk]), {})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.REJECTED
    assert served.events.latest("created_at", "pk").action == "offer_rejected"


def test_a_counter_offer_needs_words_not_only_an_amount(served, representative, consumer, client_for):
    offer = pending_offer(served, representative)
    response = client_for(consumer).post(reverse("offer_reject", args=[offer.pk]), {"reject-counter_amount": "1000"})
    assert response.status_code == 200
    assert "Describe your counter-offer" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_it_refuses_a_second_pending_offer(served, representative, client_for):
    pending_offer(served, representative)
    response = client_for(representative).post(reverse("offer_make", args=[served.pk]), offer_data(), follow=True)
    assert Offer.objects.filter(complaint=served).count() == 1
    assert any("already an offer awaiting" in message for message in messages_of(response))


def test_it_refuses_an_offer_to_be_fulfilled_in_the_past(served, representative, client_for):
    response = client_for(representative).post(
        reverse("offer_make", args=[served.pk]), offer_data(fulfil_by=in_days(-1))
    )
    assert response.status_code == 200
    assert "must be in the future" in response.content.decode()
    assert not Offer.objects.exists()


def test_another_companys_representative_cannot_make_an_offer(served, other_representative, client_for):
    response = client_for(other_representative).post(reverse("offer_make", args=[served.pk]), offer_data())
    assert response.status_code == 404
    assert not Offer.objects.exists()


def test_the_company_cannot_offer_before_it_is_served(consumer, company, representative, client_for):
    case = submitted_case(consumer, company)
    assert client_for(representative).post(reverse("offer_make", args=[case.pk]), offer_data()).status_code == 404
    assert not Offer.objects.exists()


def test_the_consumer_cannot_make_offers(served, consumer, client_for):
    response = client_for(consumer).post(reverse("offer_make", args=[served.pk]), offer_data())
    assert response.status_code == 403
    assert not Offer.objects.exists()


@pytest.mark.parametrize("role", ["stranger", "other_representative", "conciliator"])
def test_outsiders_get_404_when_answering_an_offer(request, served, representative, client_for, role):
    offer = pending_offer(served, representative)
    client = client_for(request.getfixturevalue(role))
    assert client.post(reverse("offer_accept", args=[offer.pk])).status_code == 404
    assert client.post(reverse("offer_reject", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_the_company_cannot_accept_its_own_offer(served, representative, client_for):
    offer = pending_offer(served, representative)
    response = client_for(representative).post(reverse("offer_accept", args=[offer.pk]))
    assert response.status_code == 403
    offer.refresh_from_db()
    served.refresh_from_db()
    assert (offer.status, served.status) == (OfferStatus.PENDING, State.COMPANY_NOTIFIED)
    with pytest.raises(services.CaseError, match="Only the consumer"):
        services.offer_accept(offer=offer, by=representative)


def test_an_offer_cannot_be_answered_twice(served, representative, consumer, client_for):
    offer = pending_offer(served, representative)
    client = client_for(consumer)
    client.post(reverse("offer_reject", args=[offer.pk]), {})
    response = client.post(reverse("offer_accept", args=[offer.pk]), follow=True)
    served.refresh_from_db()
    assert served.status == State.COMPANY_NOTIFIED
    assert any("already answered" in message for message in messages_of(response))


def test_withdrawing_lapses_the_pending_offer(served, representative, consumer, client_for):
    offer = pending_offer(served, representative)
    client_for(consumer).post(reverse("complaint_withdraw", args=[served.pk]), {"withdraw-confirm": "on"})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED


def test_the_offer_shows_pesos_the_argentine_way_in_spanish(served, representative, consumer):
    services.offer_make(
        complaint=served,
        by=representative,
        terms="Devolución",
        fulfil_by=timezone.localdate() + timedelta(days=5),
        amount=Decimal("1234567.5"),
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(consumer)
    page = client.get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "$\u00a01.234.567,50" in page


def timeline_of(page: str) -> str:
    return page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]


def test_the_timeline_words_an_offer_in_the_readers_language(served, representative, consumer):
    fulfil_by = timezone.localdate() + timedelta(days=5)
    offer = services.offer_make(
        complaint=served, by=representative, terms="Devolución total.", fulfil_by=fulfil_by, amount=Decimal("1234.5")
    )
    services.offer_accept(offer=offer, by=consumer)

    # The record holds the facts, in no one's language; each reader gets them in theirs.
    reasons = [event.reason for event in served.events.filter(action__in=["offer_made", "accept_offer"])]
    assert reasons == [f"ARS 1234.50 · {fulfil_by.isoformat()} · Devolución total."] * 2
    pages = {}
    for language in ("es-AR", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(consumer)
        pages[language] = timeline_of(client.get(reverse("complaint_detail", args=[served.pk])).content.decode())
    spanish, english = pages["es-AR"], pages["en"]
    assert spanish.count("Monto: $\u00a01.234,50") == 2
    assert spanish.count(f"Fecha límite de cumplimiento: {fulfil_by:%d/%m/%Y}") == 2
    assert "ARS" not in spanish
    assert english.count("Amount: ARS\u00a01,234.50") == 2
    assert english.count(f"To be fulfilled by: {fulfil_by:%m/%d/%Y}") == 2


def test_the_timeline_says_when_an_offer_has_no_payment(served, representative, consumer):
    pending_offer(served, representative)
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(consumer)

    timeline = timeline_of(client.get(reverse("complaint_detail", args=[served.pk])).content.decode())

    assert "Monto: Sin pago: ver las condiciones" in timeline
    assert "Cambio de la heladera por una nueva" in timeline


def test_an_offer_event_in_any_other_form_is_shown_as_it_was_written(served):
    event = CaseEvent(complaint=served, action="offer_made", reason="ARS 1,234.00 · Devolución (by 01/02/2026)")

    assert offer_terms_in(event) is None
    assert offer_terms_in(CaseEvent(action="company_answered", reason="2026-03-01 · no es una oferta")) is None


# --- What the company is told of the answer -------------------------------------------------------


def answer_email_to(representative) -> Notification:
    return rendered(Notification.objects.get(event="offer_answered", recipient=representative, channel="email"))


def test_the_company_reads_the_consumers_counter_offer_in_the_message_it_receives(served, representative, consumer):
    offer = pending_offer(served, representative)

    services.offer_reject(
        offer=offer, by=consumer, counter_terms="Acepto la devolución del dinero, no el cambio.", counter_amount=None
    )

    body = answer_email_to(representative).body_text
    assert "Acepto la devolución del dinero, no el cambio." in body
    assert translated("es-ar", "The consumer answered the offer with a counter-offer.") in body
    assert translated("es-ar", "The consumer rejected the offer.") not in body


def test_the_company_is_told_a_plain_rejection_as_a_rejection(served, representative, consumer):
    services.offer_reject(offer=pending_offer(served, representative), by=consumer)

    body = answer_email_to(representative).body_text
    assert translated("es-ar", "The consumer rejected the offer.") in body
    assert translated("es-ar", "The consumer answered the offer with a counter-offer.") not in body


# --- A pending offer lapses when the case moves past it ------------------------------------------


@pytest.fixture
def hearing_under_way(consumer, company, officer, conciliator):
    from tests.hearings.factories import scheduled_hearing

    return scheduled_hearing(consumer, company, officer, conciliator, starts_at=timezone.now() - timedelta(minutes=45))


def test_a_pending_offer_lapses_when_the_hearings_outcome_is_recorded(
    hearing_under_way, representative, consumer, conciliator, client_for
):
    from hearings.services.outcome import outcome_record

    case = hearing_under_way.complaint
    offer = pending_offer(case, representative)

    outcome_record(hearing=hearing_under_way, by=conciliator, outcome="no_agreement", notes="Sin acuerdo.")

    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    consumer_client = client_for(consumer)
    assert list(consumer_client.get(reverse("home")).context["pending_offers"]) == []
    case_page = consumer_client.get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert reverse("offer_accept", args=[offer.pk]) not in case_page
    assert reverse("offer_reject", args=[offer.pk]) not in case_page


def test_a_lapsed_offer_can_no_longer_be_accepted(hearing_under_way, representative, consumer, conciliator):
    from hearings.services.outcome import outcome_record

    offer = pending_offer(hearing_under_way.complaint, representative)
    outcome_record(hearing=hearing_under_way, by=conciliator, outcome="no_agreement", notes="Sin acuerdo.")

    with pytest.raises(services.CaseError, match="lapsed"):
        services.offer_accept(offer=offer, by=consumer)

    hearing_under_way.complaint.refresh_from_db()
    assert hearing_under_way.complaint.status == State.NO_AGREEMENT


def test_a_pending_offer_survives_an_adjournment(hearing_under_way, representative, officer):
    """The consumer may still accept an offer while the hearing waits for its continuation."""
    offer = pending_offer(hearing_under_way.complaint, representative)

    with transaction.atomic():
        services.complaint_transition(complaint=hearing_under_way.complaint, transition="adjourn", by=officer)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_the_consumers_home_page_offers_to_answer_a_pending_offer(served, representative, consumer, client_for):
    """The counterpart of the lapse test above: the home page does list a live offer."""
    pending_offer(served, representative)
    assert list(client_for(consumer).get(reverse("home")).context["pending_offers"]) == [served]


def test_an_offer_left_pending_in_a_case_that_moved_on_cannot_be_answered(served, representative, consumer, client_for):
    """A case an older release moved past its offer without lapsing it: the page offers no answer,
    and the server takes none (it asks the case's state, as the page does)."""
    offer = pending_offer(served, representative)
    Complaint.objects.filter(pk=served.pk).update(status=State.NO_AGREEMENT)
    client = client_for(consumer)

    case_page = client.get(reverse("complaint_detail", args=[served.pk])).content.decode()
    response = client.post(reverse("offer_reject", args=[offer.pk]), {"reject-counter_terms": ""}, follow=True)

    assert reverse("offer_reject", args=[offer.pk]) not in case_page
    assert any("can no longer be answered" in message for message in messages_of(response))
    offer.refresh_from_db()
    assert (offer.status, offer.answered_at) == (OfferStatus.PENDING, None)
    assert not served.events.filter(action__in=["offer_rejected", "offer_countered"]).exists()
    with pytest.raises(services.CaseError, match="can no longer be answered"):
        services.offer_reject(offer=offer, by=consumer)
