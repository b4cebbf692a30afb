"""The office refers a case to the legal department from every state the `refer` transition leaves
(docs/workflow.md) that the rule does not hold back, and the case page says why for each: a company
that never set up its electronic domicile, an absence not justified in time, no agreement."""

import pytest
from django.urls import reverse

from complaints.services import complaint_admit
from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.outcome import outcome_record
from hearings.services.referral import case_refer
from parties.models import Company
from tests.complaints.factories import submitted_case
from tests.hearings.test_absences import absent, after_deadline
from tests.hearings.test_outcome_support import hearing_under_way

pytestmark = pytest.mark.django_db

NO_AGREEMENT_TEXT = "The hearing ended without an agreement"


@pytest.fixture
def hearing(consumer, company, representative, officer, conciliator) -> Hearing:
    return hearing_under_way(consumer, company, officer, conciliator)


def case_page(client_for, user, case) -> str:
    return client_for(user).get(reverse("complaint_detail", args=[case.pk])).content.decode()


def test_the_office_refers_an_admitted_case_whose_company_never_set_up_its_domicile(consumer, officer, client_for):
    company = Company.objects.create(cuit="30500010912", legal_name="Sin Domicilio S.A.", electronic_domicile="")
    case = complaint_admit(complaint=submitted_case(consumer, company), by=officer)
    assert case.status == State.ADMITTED

    page = case_page(client_for, officer, case)
    assert reverse("case_refer", args=[case.pk]) in page
    assert "it never set up its electronic domicile" in page and NO_AGREEMENT_TEXT not in page

    response = client_for(officer).post(reverse("case_refer", args=[case.pk]), {"reason": "Sin domicilio."})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.REFERRED and case.closed_at is not None
    event = case.events.order_by("-created_at", "-pk").first()
    assert event is not None
    assert (event.action, event.actor, event.from_state, event.to_state) == ("refer", officer, "admitted", "referred")


def test_after_an_unjustified_absence_the_page_says_so_when_it_offers_to_refer(
    hearing, conciliator, officer, client_for
):
    absent(hearing, conciliator, "company")

    with after_deadline(hearing):
        page = case_page(client_for, officer, hearing.complaint)

    assert reverse("case_refer", args=[hearing.complaint.pk]) in page
    assert "its absence was not justified in time" in page and NO_AGREEMENT_TEXT not in page


def test_after_no_agreement_the_page_says_so_when_it_offers_to_refer(hearing, conciliator, officer, client_for):
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")

    page = case_page(client_for, officer, hearing.complaint)

    assert reverse("case_refer", args=[hearing.complaint.pk]) in page
    assert NO_AGREEMENT_TEXT in page


def test_an_excused_absence_is_not_referred_but_rescheduled(hearing, conciliator, representative, officer):
    absent(hearing, conciliator, "company")
    justification = absence_justify(hearing=hearing, by=representative, text="Corte de luz en la oficina.")
    absence_decide(justification=justification, by=officer, accept=True)

    with after_deadline(hearing), pytest.raises(HearingError, match="absence was excused"):
        case_refer(complaint=hearing.complaint, by=officer)

    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.COMPANY_ABSENT


def test_a_case_still_in_conciliation_is_not_referred(hearing, officer):
    with pytest.raises(HearingError, match="cannot be referred"):
        case_refer(complaint=hearing.complaint, by=officer)
