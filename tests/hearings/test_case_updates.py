"""Steps that ask nothing of the parties are still told to them: the approval of the agreement,
its compliance, the decision on an absence."""

import pytest

from hearings.models import Hearing
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_confirm
from hearings.services.outcome import outcome_record
from notifications.models import Notification
from tests.hearings.test_outcome_support import agreement_at, hearing_under_way
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


def _update_mail(user) -> Notification:
    return rendered(Notification.objects.get(event="case_update", recipient=user, channel="email"))


@pytest.fixture
def approved(consumer, company, officer, conciliator, representative, director, django_capture_on_commit_callbacks):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    acta_confirm(hearing=hearing, by=consumer)
    acta_confirm(hearing=hearing, by=representative)
    agreement_approve(complaint=hearing.complaint, by=director)
    return hearing


def test_both_parties_learn_the_agreement_was_approved_and_by_when_it_must_be_honoured(
    approved, consumer, representative
):
    for person in (consumer, representative):
        mail = _update_mail(person)
        assert "homologó el acuerdo" in mail.body_text
        assert approved.complaint.number in mail.subject


def test_the_company_learns_the_consumer_confirmed_compliance(approved, consumer, representative):
    Notification.objects.filter(event="case_update").delete()

    compliance_confirm(complaint=approved.complaint, by=consumer)

    assert "cumplió el acuerdo" in _update_mail(representative).body_text


def test_an_english_speaking_representative_reads_the_update_in_english(approved, consumer, representative):
    representative.preferred_language = "en"
    representative.save(update_fields=["preferred_language"])
    Notification.objects.filter(event="case_update").delete()

    compliance_confirm(complaint=approved.complaint, by=consumer)

    assert "complied with the agreement" in _update_mail(representative).body_text


def test_the_parties_learn_that_the_company_absence_was_excused(
    consumer, company, officer, conciliator, representative
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    justification = absence_justify(hearing=hearing, by=representative, text="Corte de luz en la oficina.")

    absence_decide(justification=justification, by=officer, accept=True)

    assert "aceptó la justificación" in _update_mail(consumer).body_text
