"""Each company of a case offers on its own; accepting one company's offer moves only its part, and
the case ends in an agreement once every open company agreed. A representative binds the company
only with a power the office validated."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import policy, services
from complaints.models import CaseCompany, Offer, OfferStatus, PartStatus
from complaints.services.parts import name_company
from complaints.states import State
from notifications.models import Notification
from parties.models import PowerStatus, Representation, Role
from tests.complaints.factories import draft_case, served_case
from tests.conftest import make_user

PENDING_TEXT = "awaiting the office&#x27;s validation"


def offer_post(**extra: str) -> dict[str, str]:
    return {
        "offer-terms": "Reintegro total.",
        "offer-amount": "1000",
        "offer-fulfil_by": (timezone.localdate() + timedelta(days=10)).isoformat(),
        **extra,
    }


def make_offer(case, by, part=None) -> Offer:
    return services.offer_make(
        complaint=case,
        by=by,
        terms="Cambio por una nueva.",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
        part=part,
    )


@pytest.fixture
def two_company_case(consumer, company, other_company, officer):
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    case = draft_case(consumer, company)
    name_company(case, company=other_company)
    case = services.complaint_submit(complaint=case, by=consumer)
    case = services.complaint_admit(complaint=case, by=officer)
    assert case.status == State.COMPANY_NOTIFIED
    assert set(case.parts.values_list("status", flat=True)) == {PartStatus.SERVED}
    return case


@pytest.fixture
def other_representative(other_company):
    user = make_user("lucia@conectar.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Sosa")
    Representation.objects.create(user=user, company=other_company, power_status=PowerStatus.VALIDATED)
    return user


# --- Powers --------------------------------------------------------------------------------------


def test_an_unvalidated_representative_is_refused_an_offer_by_the_server_and_told_why(
    consumer, company, officer, unvalidated_representative, client_for
):
    case = served_case(consumer, company, officer)
    client = client_for(unvalidated_representative)
    response = client.post(reverse("offer_make", args=[case.pk]), offer_post(), follow=True)
    assert not Offer.objects.exists()
    texts = [str(m) for m in response.context["messages"]]
    assert any("upload your power" in text for text in texts), texts
    with pytest.raises(services.CaseError, match="upload your power"):
        make_offer(case, unvalidated_representative)
    # The written answer stays open to them.
    services.company_answer(complaint=case, by=unvalidated_representative, text="Respondemos por escrito.")


def test_a_pending_power_is_refused_with_its_reason(consumer, company, officer, unvalidated_representative):
    case = served_case(consumer, company, officer)
    Representation.objects.filter(user=unvalidated_representative).update(power_document="powers/x.pdf")
    with pytest.raises(services.CaseError, match="awaiting the office's validation"):
        make_offer(case, unvalidated_representative)


def test_a_rejected_power_is_refused_with_the_offices_reason(consumer, company, officer, unvalidated_representative):
    case = served_case(consumer, company, officer)
    Representation.objects.filter(user=unvalidated_representative).update(
        power_status=PowerStatus.REJECTED, power_rejection_reason="El poder no está firmado."
    )
    with pytest.raises(services.CaseError, match="El poder no está firmado"):
        make_offer(case, unvalidated_representative)


def test_an_expired_power_is_refused(consumer, company, officer, representative):
    case = served_case(consumer, company, officer)
    Representation.objects.filter(user=representative).update(
        power_valid_until=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(services.CaseError, match="expired"):
        make_offer(case, representative)
    assert not policy.may_make_offer(representative, case)


# --- Several companies ---------------------------------------------------------------------------


def test_each_company_offers_and_accepting_one_moves_only_its_part(
    two_company_case, consumer, representative, other_representative, client_for
):
    case = two_company_case
    lead, second = CaseCompany.objects.filter(complaint=case).order_by("position")
    first_offer = make_offer(case, representative)
    second_offer = make_offer(case, other_representative)
    assert (first_offer.part, second_offer.part) == (lead, second)
    # One pending offer per company: the same company may not offer twice.
    with pytest.raises(services.CaseError, match="already an offer"):
        make_offer(case, representative)

    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client_for(consumer).post(reverse("offer_accept", args=[second_offer.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    lead.refresh_from_db()
    second.refresh_from_db()
    assert case.status == State.COMPANY_NOTIFIED
    assert (lead.status, second.status) == (PartStatus.SERVED, PartStatus.AGREEMENT)
    assert case.events.latest("created_at", "pk").action == "part_agreement"
    first_offer.refresh_from_db()
    assert first_offer.status == OfferStatus.PENDING
    new = Notification.objects.filter(pk__gt=before, event="offer_answered")
    assert new.filter(recipient=other_representative).exists()
    assert not new.filter(recipient=representative).exists()

    # The last open company's offer accepted: the whole case ends in an agreement.
    services.offer_accept(offer=first_offer, by=consumer)
    case.refresh_from_db()
    lead.refresh_from_db()
    assert case.status == State.AGREEMENT
    assert lead.status == PartStatus.AGREEMENT


def test_a_representative_of_both_companies_chooses_which_one_offers(
    two_company_case, representative, other_company, client_for
):
    case = two_company_case
    Representation.objects.create(user=representative, company=other_company, power_status=PowerStatus.VALIDATED)
    second = CaseCompany.objects.get(complaint=case, position=2)
    with pytest.raises(services.CaseError, match="Choose the company"):
        make_offer(case, representative)
    client = client_for(representative)
    page = client.get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert 'name="part"' in page
    client.post(reverse("offer_make", args=[case.pk]), offer_post(part=str(second.pk)))
    assert Offer.objects.get(complaint=case).part == second
