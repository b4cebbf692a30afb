"""The conciliator's console: who may open it, what it shows, and the outcome form behind it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services as case_services
from complaints.states import State
from hearings.models import Agreement, Hearing
from parties.models import Role
from tests.complaints.factories import served_case
from tests.conftest import enrol_totp, make_user
from tests.hearings.test_outcome_support import TERMS, attend, compliance_day, hearing_under_way


@pytest.fixture
def hearing(consumer, company, representative, officer, conciliator):
    case = served_case(consumer, company, officer, evidence=True)
    case_services.offer_make(
        complaint=case, by=representative, terms="Reparación sin cargo.", fulfil_by=compliance_day(5), amount=None
    )
    return hearing_under_way(consumer, company, officer, conciliator, complaint=case)


def console(client, hearing):
    return client.get(reverse("hearing_console", args=[hearing.pk]))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("conciliator", 200),
        ("officer", 200),
        ("supervisor", 200),
        ("consumer", 403),
        ("representative", 403),
        ("stranger", 404),
    ],
)
def test_the_console_is_for_the_conciliator_and_the_office(request, hearing, client_for, role, expected):
    user = request.getfixturevalue(role)
    assert console(client_for(user), hearing).status_code == expected


def test_another_conciliator_gets_a_404(hearing, client_for):
    other = make_user("pablo@oficina.test", Role.CONCILIATOR)
    enrol_totp(other)
    assert console(client_for(other), hearing).status_code == 404
    response = client_for(other).post(reverse("hearing_outcome", args=[hearing.pk]), {"outcome": "no_agreement"})
    assert response.status_code == 404


def test_it_shows_the_parties_their_attendance_the_facts_the_evidence_and_the_offers(
    hearing, consumer, representative, conciliator, client_for
):
    attend(hearing, consumer, "consumer", joined=hearing.starts_at + timedelta(minutes=4))
    page = console(client_for(conciliator), hearing).content.decode()
    case = hearing.complaint
    assert "María González" in page and "Electrodomésticos del Sur S.A." in page
    assert case.facts in page
    for evidence in case.evidence.all():
        assert reverse("evidence_download", args=[evidence.pk]) in page
    assert "Reparación sin cargo." in page
    assert reverse("hearing_room", args=[hearing.pk]) in page
    assert 'data-tolerance-ends="' in page
    assert 'name="outcome"' in page and 'value="consumer_absent"' in page
    assert "hearings/console.js" in page


def test_it_shows_when_each_person_joined(hearing, consumer, representative, conciliator, client_for):
    joined = hearing.starts_at + timedelta(minutes=4)
    attend(hearing, consumer, "consumer", joined=joined, left=joined + timedelta(minutes=30))
    page = console(client_for(conciliator), hearing).content.decode()
    table = page.split('id="attendance-title"')[1].split("</table>")[0]
    assert "María González" in table
    assert timezone.localtime(joined).strftime("%H:%M") in table
    assert timezone.localtime(joined + timedelta(minutes=30)).strftime("%H:%M") in table


def test_recording_an_agreement_from_the_console(hearing, conciliator, client_for):
    due = compliance_day()
    client = client_for(conciliator)
    response = client.post(
        reverse("hearing_outcome", args=[hearing.pk]),
        {
            "outcome": "agreement",
            "terms": TERMS,
            "amount": "120000.50",
            "obligations": "Pago en 10 días.",
            "compliance_due": due.isoformat(),
            # A field of another outcome is ignored.
            "adjourn_to": "2030-01-01T10:00",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("hearing_console", args=[hearing.pk]), 302)]
    agreement = Agreement.objects.get()
    assert (agreement.terms, str(agreement.amount), agreement.compliance_due) == (TERMS, "120000.50", due)
    assert not Hearing.objects.filter(continues=hearing).exists()
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.AGREEMENT
    page = response.content.decode()
    assert "The outcome was recorded: Agreement." in page
    assert 'name="outcome"' not in page  # recorded once


def test_an_agreement_without_terms_shows_the_errors_and_changes_nothing(hearing, conciliator, client_for):
    response = client_for(conciliator).post(reverse("hearing_outcome", args=[hearing.pk]), {"outcome": "agreement"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Write the terms the parties agreed." in page
    assert "Enter the date by which the company must comply." in page
    assert 'href="#id_terms"' in page
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.HEARING_SCHEDULED


def test_an_absence_before_the_tolerance_is_refused_with_the_reason(
    consumer, company, officer, conciliator, client_for
):
    started = hearing_under_way(consumer, company, officer, conciliator, minutes_ago=5)
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[started.pk]), {"outcome": "company_absent"}
    )
    assert response.status_code == 200
    assert "30-minute tolerance runs until" in response.content.decode()
    started.complaint.refresh_from_db()
    assert started.complaint.status == State.HEARING_SCHEDULED


def test_the_office_records_an_outcome_too(hearing, officer, client_for):
    response = client_for(officer).post(reverse("hearing_outcome", args=[hearing.pk]), {"outcome": "no_agreement"})
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert (hearing.outcome, hearing.outcome_recorded_by) == ("no_agreement", officer)


def test_a_representative_cannot_post_an_outcome(hearing, representative, client_for):
    response = client_for(representative).post(
        reverse("hearing_outcome", args=[hearing.pk]), {"outcome": "consumer_absent"}
    )
    assert response.status_code == 403
    hearing.refresh_from_db()
    assert hearing.outcome == ""
