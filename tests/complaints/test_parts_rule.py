"""The one rule for a case's companies (complaints/services/parts.py), at its edges: a referral never
takes a company that agreed, withdrawing ends every open part, a corrected case cannot lose its last
company, a withdrawal reaches every company already served, and a crafted id is never a 500."""

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import CaseCompany, PartStatus
from complaints.services import CaseError
from complaints.services import parts as case_parts
from complaints.states import State
from notifications.models import Notification
from parties.http import as_id
from parties.models import Company, PowerKind, PowerStatus, Representation, Role
from tests.complaints.factories import draft_case
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def financier(db) -> Company:
    return Company.objects.create(
        cuit="30500010912", legal_name="Financiera Andina S.A.", electronic_domicile="f@a.test"
    )


@pytest.fixture
def financier_rep(financier):
    user = make_user("marta@andina.test", Role.REPRESENTATIVE)
    Representation.objects.create(
        user=user, company=financier, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )
    return user


def two_company_draft(consumer, company, financier):
    case = draft_case(consumer, company)
    case_parts.name_company(case, company=financier)
    return case


def part_of(case, company) -> CaseCompany:
    return CaseCompany.objects.get(complaint=case, company=company)


def test_a_referral_of_the_case_leaves_a_company_that_agreed_alone(consumer, company, financier, officer):
    case = services.complaint_submit(complaint=two_company_draft(consumer, company, financier), by=consumer)
    case = services.complaint_admit(complaint=case, by=officer)
    agreed = part_of(case, company)
    agreed.complaint = services.lock_case(case.pk)
    case_parts.part_move(agreed, PartStatus.AGREEMENT, by=consumer, settle_case=False)

    case_parts.follow_case(case, "refer", from_state=State.NO_AGREEMENT)

    assert part_of(case, company).status == PartStatus.AGREEMENT
    assert part_of(case, financier).status == PartStatus.REFERRED


def test_a_referral_after_a_breach_takes_the_breached_agreement(consumer, company, financier, officer):
    case = services.complaint_admit(
        complaint=services.complaint_submit(complaint=two_company_draft(consumer, company, financier), by=consumer),
        by=officer,
    )
    CaseCompany.objects.filter(complaint=case).update(status=PartStatus.AGREEMENT)

    case_parts.follow_case(case, "refer", from_state=State.BREACHED)

    assert set(CaseCompany.objects.filter(complaint=case).values_list("status", flat=True)) == {PartStatus.REFERRED}


def test_withdrawing_ends_every_open_part_an_agreement_included(consumer, company, financier, officer):
    case = services.complaint_admit(
        complaint=services.complaint_submit(complaint=two_company_draft(consumer, company, financier), by=consumer),
        by=officer,
    )
    CaseCompany.objects.filter(complaint=case, company=company).update(status=PartStatus.AGREEMENT)

    case = services.complaint_withdraw(complaint=case, by=consumer, reason="Ya no me interesa.")

    assert case.status == State.WITHDRAWN
    parts = CaseCompany.objects.filter(complaint=case)
    assert set(parts.values_list("status", flat=True)) == {PartStatus.ENDED}
    assert all(part.closed_at is not None for part in parts)


def test_a_corrected_case_cannot_be_resubmitted_without_a_company(consumer, company, officer):
    case = services.complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    case = services.complaint_observe(complaint=case, by=officer, observation="Falta la factura.")
    case_parts.remove_company(case, part_of(case, company))

    with pytest.raises(CaseError, match="the company"):
        services.complaint_resubmit(complaint=case, by=consumer)

    case.refresh_from_db()
    assert case.status == State.OBSERVED


def test_a_withdrawal_reaches_a_company_served_while_another_awaits_paper(
    consumer, company, other_company, officer, representative
):
    """`company` has an electronic domicile and is served at admission; `other_company` has none,
    so the case waits in ADMITTED for its paper notice. The served one must hear of the withdrawal."""
    draft = draft_case(consumer, company)
    case_parts.name_company(draft, company=other_company)
    case = services.complaint_admit(complaint=services.complaint_submit(complaint=draft, by=consumer), by=officer)
    assert case.status == State.ADMITTED
    assert part_of(case, company).status == PartStatus.SERVED

    services.complaint_withdraw(complaint=case, by=consumer, reason="Me devolvieron el dinero.")

    told = Notification.objects.filter(recipient=representative, event="complaint_withdrawn")
    assert told.exists()


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999", "-3", "0", "", " 12 "])
def test_as_id_reads_only_ascii_digits_within_a_bigint(value):
    assert as_id(value) == (12 if value == " 12 " else None)


def test_a_crafted_company_or_part_id_in_the_company_step_is_not_a_500(consumer, company, client_for):
    case = draft_case(consumer, company)
    client = client_for(consumer)
    url = reverse("complaint_step", args=[case.pk, 2])

    for data in ({"remove": "²"}, {"company": "²"}, {"company": "99999999999999999999"}):
        response = client.post(url, data)
        assert response.status_code < 500, data


def test_a_crafted_part_id_in_an_offer_is_not_a_500(consumer, company, officer, representative, client_for):
    case = services.complaint_admit(
        complaint=services.complaint_submit(complaint=draft_case(consumer, company), by=consumer), by=officer
    )

    response = client_for(representative).post(
        reverse("offer_make", args=[case.pk]),
        {"part": "²", "terms": "Cambio de unidad", "fulfil_by": "2030-01-01"},
    )

    assert response.status_code < 500
