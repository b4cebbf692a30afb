"""The legal directorate's people and cases: a lawyer of the directorate, and cases referred to it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hearings.models import Hearing
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.outcome import outcome_record
from hearings.services.referral import case_refer
from legal.models import Proceeding
from parties.models import Representation, Role
from tests.complaints.factories import PDF_BYTES
from tests.conftest import enrol_totp, make_user
from tests.hearings.test_outcome_support import hearing_under_way


@pytest.fixture
def legal_officer(db):
    user = make_user("lucia@oficina.test", Role.LEGAL, first_name="Lucía", last_name="Méndez")
    enrol_totp(user)
    return user


@pytest.fixture
def other_company_rep(other_company):
    """A representative with a validated power, of a company that is not in the case."""
    user = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=user, company=other_company, is_admin=True, power_status="validated")
    return user


def refer_without_agreement(consumer, company, officer, conciliator, **kwargs) -> Proceeding:
    """A hearing without agreement, the office refers the case: the company's proceeding opens."""
    hearing = hearing_under_way(consumer, company, officer, conciliator, **kwargs)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    case_refer(complaint=hearing.complaint, by=officer, reason="Sin acuerdo en la audiencia.")
    return Proceeding.objects.get(complaint=hearing.complaint)


def refer_for_absence(consumer, company, officer, conciliator, representative, **kwargs) -> Proceeding:
    """The company was absent and its justification was not accepted: referred for the absence."""
    hearing = hearing_under_way(consumer, company, officer, conciliator, **kwargs)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT, notes="No vino.")
    justification = absence_justify(hearing=hearing, by=representative, text="Se nos pasó.")
    absence_decide(justification=justification, by=officer, accept=False, reason="No es un motivo.")
    return Proceeding.objects.get(complaint=hearing.complaint)


@pytest.fixture
def proceeding(consumer, company, representative, officer, conciliator) -> Proceeding:
    return refer_without_agreement(consumer, company, officer, conciliator)


def serve_charge(proceeding: Proceeding, representative) -> Proceeding:
    """A representative opens the charge's formal notice: served, the defence window starts."""
    from legal.services import start_served_windows
    from notifications.services import formal_notice_open

    proceeding.refresh_from_db()
    assert proceeding.charge_notice is not None
    formal_notice_open(notice=proceeding.charge_notice, by=representative)
    start_served_windows()
    proceeding.refresh_from_db()
    return proceeding


def serve_resolution(proceeding: Proceeding, representative) -> Proceeding:
    from legal.services import start_served_windows
    from notifications.services import formal_notice_open

    proceeding.refresh_from_db()
    assert proceeding.resolution_notice is not None
    formal_notice_open(notice=proceeding.resolution_notice, by=representative)
    start_served_windows()
    proceeding.refresh_from_db()
    return proceeding


def pdf(name: str = "descargo.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")
