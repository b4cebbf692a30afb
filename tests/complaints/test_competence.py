"""Competence: a case outside the office's territory is referred to the competent authority, not
rejected; the consumer is told where and why; the record stays exportable."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.competence import NATIONAL, competence_of, prescription_warning
from complaints.models import CaseCompany, CaseEvent
from complaints.services.referral_out import complaint_refer_out
from complaints.states import State
from notifications.models import Notification
from tests.complaints.factories import submitted_case
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


def in_cordoba(consumer, company, **fields):
    """Bought in a shop in Córdoba from a company domiciled in Córdoba."""
    case = submitted_case(consumer, company, purchase_province="CB", purchase_city="Córdoba", **fields)
    CaseCompany.objects.filter(complaint=case).update(province="CB")
    return case


def test_a_purchase_in_the_territory_is_heard_here(consumer, company):
    case = submitted_case(consumer, company, purchase_province="CABA")
    assert competence_of(case).competent


def test_a_purchase_elsewhere_from_a_company_elsewhere_is_not(consumer, company):
    result = competence_of(in_cordoba(consumer, company))
    assert not result.competent
    assert result.suggested is not None and result.suggested.code == "CB"
    assert "Córdoba" in result.reason


def test_a_company_domiciled_in_the_territory_makes_the_office_competent(consumer, company):
    case = submitted_case(consumer, company, purchase_province="CB")
    CaseCompany.objects.filter(complaint=case).update(province="CABA")
    assert competence_of(case).competent


def test_an_online_purchase_counts_where_the_consumer_lives(consumer, company, settings):
    case = submitted_case(consumer, company, purchase_online=True, purchase_province="")
    CaseCompany.objects.filter(complaint=case).update(province="MZ")
    assert competence_of(case).competent  # the consumer lives in CABA
    settings.OFFICE_TERRITORY = ["MN"]
    result = competence_of(case)
    assert not result.competent
    assert result.suggested is not None and result.suggested.code == "CABA"


def test_the_authorities_can_be_configured(consumer, company, settings):
    settings.COMPETENT_AUTHORITIES = [{"code": NATIONAL, "name": "Autoridad nacional", "website": "https://n.test"}]
    result = competence_of(in_cordoba(consumer, company))
    assert result.suggested is not None and result.suggested.name == "Autoridad nacional"


def test_a_purchase_older_than_the_prescription_period_warns(consumer, company):
    old = submitted_case(consumer, company, purchase_date=timezone.localdate() - timedelta(days=3 * 365 + 5))
    recent = submitted_case(consumer, company, purchase_date=date(2026, 3, 2))
    assert prescription_warning(old)
    assert not prescription_warning(recent, today=date(2027, 1, 1))


def test_the_officer_sees_the_banner_and_the_suggested_authority(consumer, company, officer, client_for):
    case = in_cordoba(consumer, company)
    page = client_for(officer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert 'id="competence-banner"' in page
    assert "Dirección de Defensa del Consumidor de la Provincia de Córdoba" in page
    assert '<option value="CB" selected>' in page
    assert reverse("complaint_refer_out", args=[case.pk]) in page


def test_inside_caba_there_is_no_banner(consumer, company, officer, client_for):
    case = submitted_case(consumer, company, purchase_province="CABA")
    page = client_for(officer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert 'id="competence-banner"' not in page
    assert 'id="prescription-warning"' not in page


def test_the_officer_refers_the_case_out(consumer, company, officer, client_for, django_capture_on_commit_callbacks):
    case = in_cordoba(consumer, company)
    response = client_for(officer).post(
        reverse("complaint_refer_out", args=[case.pk]),
        {"authority": "CB", "reason": "La compra y la empresa están en Córdoba."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.REFERRED_OUT
    assert case.referred_out_to == "CB"
    assert case.closed_at is not None
    event = CaseEvent.objects.filter(complaint=case).latest("pk")
    assert event.action == "refer_out"
    assert event.from_state == State.SUBMITTED and event.to_state == State.REFERRED_OUT
    assert "Provincia de Córdoba" in event.reason and "están en Córdoba" in event.reason
    assert CaseCompany.objects.get(complaint=case).status == "ended"
    email = rendered(Notification.objects.get(recipient=consumer, event="complaint_referred_out", channel="email"))
    assert "Dirección de Defensa del Consumidor de la Provincia de Córdoba" in email.subject + email.body_text
    assert "La compra y la empresa están en Córdoba." in email.body_text
    assert "https://www.argentina.gob.ar/defensadelconsumidor" in email.body_text
    # The company was never served: it is not told.
    assert not Notification.objects.filter(event="complaint_referred_out").exclude(recipient=consumer).exists()


def test_the_referred_case_stays_exportable(consumer, company, officer, client_for):
    case = in_cordoba(consumer, company)
    complaint_refer_out(complaint=case, by=officer, authority_code="CB", reason="Compra en Córdoba.")
    response = client_for(officer).get(reverse("complaint_export_pdf", args=[case.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_referral_needs_an_authority_and_a_reason(consumer, company, officer, client_for):
    case = in_cordoba(consumer, company)
    response = client_for(officer).post(reverse("complaint_refer_out", args=[case.pk]), {"authority": "CB"})
    assert response.status_code == 200
    assert "Say why the office is not competent" in response.content.decode()
    with pytest.raises(services.CaseError):
        complaint_refer_out(complaint=case, by=officer, authority_code="XX", reason="¿?")
    case.refresh_from_db()
    assert case.status == State.SUBMITTED


def test_only_a_submitted_case_can_be_referred_out(consumer, company, officer):
    case = in_cordoba(consumer, company)
    services.complaint_admit(complaint=case, by=officer)
    with pytest.raises(services.CaseError):
        complaint_refer_out(complaint=case, by=officer, authority_code="CB", reason="Tarde.")


def test_the_consumer_cannot_refer_out(consumer, company, client_for):
    case = in_cordoba(consumer, company)
    response = client_for(consumer).post(
        reverse("complaint_refer_out", args=[case.pk]), {"authority": "CB", "reason": "x"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == State.SUBMITTED
