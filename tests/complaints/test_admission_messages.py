"""Reviewer fixes: after admitting a case naming several companies, the officer reads per company
which was served at its electronic domicile and which awaits a notice on paper (with the way to the
paper list), never that a deadline will refer the case; the contact e-mail invites only a company
without a domicile. And a paper notice is not dispatched or failed once its company no longer
awaits paper service."""

from datetime import date

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from complaints import services
from complaints.errors import CaseError
from complaints.models import Complaint, PaperNotice
from complaints.services import paper
from complaints.states import State
from parties.models import Invitation
from tests.complaints.test_admission import EN, file_complaint, render_panel
from tests.complaints.test_paper_service import (
    admitted_against_unregistered,
    at,
    dispatch,
    print_notice,
    unregistered_part,
)

pytestmark = pytest.mark.django_db


def two_companies(consumer, company, other_company) -> Complaint:
    """`company` has an electronic domicile; `other_company` has none."""
    case = file_complaint(consumer, company)
    Complaint.objects.filter(pk=case.pk).update(status=State.DRAFT)
    case.refresh_from_db()
    services.case_parts.name_company(case, company=other_company)
    return services.complaint_submit(complaint=case, by=consumer)


def admitted_messages(client, case, **data) -> list[str]:
    response = client.post(reverse("complaint_admit", args=[case.pk]), data, **EN)
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_officer_reads_per_company_who_was_served_and_who_awaits_paper(
    client_for, officer, consumer, company, other_company
):
    case = two_companies(consumer, company, other_company)

    said = admitted_messages(client_for(officer), case, company_email="legales@conectar.test")

    text = " ".join(said)
    served = next(m for m in said if m.startswith("Served at its electronic domicile"))
    assert company.legal_name in served and other_company.legal_name not in served
    waiting = next(m for m in said if "awaiting a notice on paper" in m)
    assert other_company.legal_name in waiting and company.legal_name not in waiting
    assert reverse("paper_service_list") in waiting
    assert "No deadline runs" in waiting
    assert "referred" not in text and "deadline passes" not in text
    # The contact e-mail invites the company without a domicile, not the first company of the case.
    invitation = Invitation.objects.get()
    assert invitation.company == other_company and invitation.email == "legales@conectar.test"


def test_a_single_company_without_a_domicile_is_not_told_it_will_be_referred(
    client_for, officer, consumer, other_company
):
    case = file_complaint(consumer, other_company)

    said = " ".join(admitted_messages(client_for(officer), case))

    assert "awaiting a notice on paper" in said and other_company.legal_name in said
    assert "referred" not in said
    assert not Invitation.objects.exists()


def test_with_two_companies_without_a_domicile_the_email_invites_neither(client_for, officer, consumer, other_company):
    case = admitted_against_unregistered(consumer, officer)  # only to get a second firm without domicile
    third = unregistered_part(case).company
    fresh = file_complaint(consumer, other_company)
    Complaint.objects.filter(pk=fresh.pk).update(status=State.DRAFT)
    fresh.refresh_from_db()
    services.case_parts.name_company(fresh, company=third)
    fresh = services.complaint_submit(complaint=fresh, by=consumer)

    said = " ".join(admitted_messages(client_for(officer), fresh, company_email="alguien@x.test"))

    assert "Nobody was invited" in said
    assert not Invitation.objects.exists()


def test_the_panel_says_per_company_how_it_will_be_served(officer, consumer, company, other_company):
    case = two_companies(consumer, company, other_company)

    html = render_panel(case, officer)

    assert f"{company.legal_name} is served at once at its electronic domicile" in html.replace("&#x27;", "'")
    assert f"{other_company.legal_name} has no electronic domicile" in html
    assert "referred to sanction proceedings" not in html
    assert 'name="company_email"' in html


# --- Paper moves once the company no longer awaits paper service --------------------------------------


def test_a_notice_is_not_dispatched_once_the_case_is_closed(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        services.complaint_withdraw(complaint=case, by=consumer, reason="Me devolvieron el dinero.")

    with pytest.raises(CaseError, match="does not await a notice on paper"):
        dispatch(part, officer)

    assert PaperNotice.objects.get(part=part).status == PaperNotice.Status.PRINTED


def test_a_failed_delivery_is_not_recorded_once_the_case_is_closed(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)
    dispatch(part, officer)
    with time_machine.travel(at(2026, 11, 25, 9), tick=False):
        services.complaint_withdraw(complaint=case, by=consumer, reason="Me devolvieron el dinero.")

    with time_machine.travel(at(2026, 11, 26, 9), tick=False), pytest.raises(CaseError, match="does not await"):
        paper.paper_notice_fail(part=part, by=officer, failed_on=date(2026, 11, 26), reason="Domicilio inexistente.")

    assert PaperNotice.objects.get(part=part).status == PaperNotice.Status.DISPATCHED
