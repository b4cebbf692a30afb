"""In a case of several companies each company proves its own agreement and confirms the acta for
itself: a representative who binds two companies never files proof on, or confirms for, a company
they did not choose — the service, the rule and the case page agree. An agreement recorded before
cases named several companies (no part) is the lead company's."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import CaseCompany, Complaint
from complaints.services import complaint_admit, complaint_submit
from complaints.services.parts import name_company
from hearings import policy
from hearings.errors import HearingError
from hearings.models import Acta, ActaConfirmation, Agreement, ComplianceProof, Hearing
from hearings.services.acta import acta_confirm, acta_generate
from hearings.services.follow_up import compliance_proof_upload
from hearings.services.outcome import CompanyOutcome, outcome_record
from parties.models import Company, PowerKind, PowerStatus, Representation, Role, User
from tests.complaints.factories import PDF_BYTES, draft_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import agreement_at, compliance_day, hearing_under_way

pytestmark = pytest.mark.django_db

Outcome = Hearing.Outcome


def receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("recibo.pdf", PDF_BYTES, content_type="application/pdf")


def binds(user: User, company: Company) -> None:
    Representation.objects.create(
        user=user, company=company, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )


def two_company_hearing(consumer, company, second, officer, conciliator, *, second_agrees: bool) -> Hearing:
    """A hearing of a case naming `company` (lead) and `second`: the lead agrees; the second too, or not."""
    second.electronic_domicile = "legales@conectar.test"
    second.save(update_fields=["electronic_domicile"])
    case = draft_case(consumer, company)
    name_company(case, company=second)
    case = complaint_admit(complaint=complaint_submit(complaint=case, by=consumer), by=officer)
    lead, other = CaseCompany.objects.filter(complaint=case).order_by("position")
    hearing = hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            lead.pk: CompanyOutcome(Outcome.AGREEMENT, terms="Cambio del equipo.", compliance_due=compliance_day()),
            other.pk: CompanyOutcome(
                Outcome.AGREEMENT, terms="Reintegro.", amount=Decimal("100.00"), compliance_due=compliance_day()
            )
            if second_agrees
            else CompanyOutcome(Outcome.NO_AGREEMENT, notes="No ofreció nada."),
        },
    )
    hearing.refresh_from_db()
    return hearing


def parts(case: Complaint) -> tuple[CaseCompany, CaseCompany]:
    lead, second = CaseCompany.objects.filter(complaint=case).order_by("position")
    return lead, second


@pytest.fixture
def both_agreed(consumer, company, other_company, representative, officer, conciliator) -> Hearing:
    """Jorge binds both companies of the case; both agreed."""
    binds(representative, other_company)
    return two_company_hearing(consumer, company, other_company, officer, conciliator, second_agrees=True)


@pytest.fixture
def second_admin(other_company) -> User:
    user = make_user("beto@conectar.test", Role.REPRESENTATIVE, first_name="Beto", last_name="Paz")
    binds(user, other_company)
    return user


# --- Proof of compliance -------------------------------------------------------------------------


def test_proof_for_one_company_lands_on_its_agreement(both_agreed, representative):
    case = both_agreed.complaint
    _lead, second = parts(case)

    proof = compliance_proof_upload(complaint=case, by=representative, upload=receipt(), note="x", part=second)

    assert proof.agreement == Agreement.objects.get(part=second)
    assert case.events.get(action="compliance_proof_uploaded").actor == representative


def test_without_a_company_the_proof_lands_on_one_of_the_persons_own(
    consumer, company, other_company, officer, conciliator, second_admin
):
    """Beto represents the second company only: the page's upload (no part) takes its agreement, never
    the lead's, though the lead's came first."""
    hearing = two_company_hearing(consumer, company, other_company, officer, conciliator, second_agrees=True)
    _lead, second = parts(hearing.complaint)

    proof = compliance_proof_upload(complaint=hearing.complaint, by=second_admin, upload=receipt())

    assert proof.agreement == Agreement.objects.get(part=second)


def test_a_company_without_an_agreement_proves_nothing_and_is_not_offered_the_button(
    consumer, company, other_company, officer, conciliator, second_admin, representative, client_for
):
    hearing = two_company_hearing(consumer, company, other_company, officer, conciliator, second_agrees=False)
    case = hearing.complaint
    _lead, second = parts(case)

    with pytest.raises(HearingError, match=r"Your company has no agreement to prove in this case\."):
        compliance_proof_upload(complaint=case, by=second_admin, upload=receipt())
    with pytest.raises(HearingError, match=r"Your company has no agreement to prove in this case\."):
        compliance_proof_upload(complaint=case, by=second_admin, upload=receipt(), part=second)
    assert not ComplianceProof.objects.exists()
    assert not policy.may_upload_compliance_proof(second_admin, case)
    assert policy.may_upload_compliance_proof(representative, case)  # the lead's representative may
    # The case page offers the second company no upload; its upload page sends it back with the reason.
    upload_url = reverse("compliance_proof_upload", args=[case.pk])
    assert upload_url not in client_for(second_admin).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    refused = client_for(second_admin).post(upload_url, {"file": receipt(), "note": ""}, follow=True)
    assert "Your company has no agreement to prove in this case." in refused.content.decode()
    assert not ComplianceProof.objects.exists()
    assert upload_url in client_for(representative).get(reverse("complaint_detail", args=[case.pk])).content.decode()


def test_a_part_the_person_does_not_represent_is_refused(
    consumer, company, other_company, officer, conciliator, representative
):
    hearing = two_company_hearing(consumer, company, other_company, officer, conciliator, second_agrees=True)
    _lead, second = parts(hearing.complaint)
    second.complaint = hearing.complaint

    refusal = policy.why_not(policy.UPLOAD_COMPLIANCE_PROOF, representative, second)

    assert refusal is not None and refusal.forbidden
    with pytest.raises(HearingError, match="Only a representative of the company"):
        compliance_proof_upload(complaint=hearing.complaint, by=representative, upload=receipt(), part=second)


def test_an_agreement_without_a_part_is_the_lead_companys(consumer, company, representative, officer, conciliator):
    """Recorded before cases named several companies: the company of a one-company case proves it."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    agreement_at(hearing, conciliator)
    Agreement.objects.filter(complaint=hearing.complaint).update(part=None)

    proof = compliance_proof_upload(complaint=hearing.complaint, by=representative, upload=receipt())

    assert proof.agreement == Agreement.objects.get(complaint=hearing.complaint)


# --- The acta ------------------------------------------------------------------------------------


def test_the_acta_is_confirmed_for_the_company_asked(both_agreed, representative):
    acta_generate(hearing_id=both_agreed.pk)
    acta = Acta.objects.get(hearing=both_agreed)
    lead, second = parts(both_agreed.complaint)

    confirmation = acta_confirm(hearing=both_agreed, by=representative, sha256=acta.sha256, part=second)

    assert confirmation.part == second
    with pytest.raises(HearingError, match=r"Conectar Telecomunicaciones S\.A\. has already confirmed this acta\."):
        acta_confirm(hearing=both_agreed, by=representative, sha256=acta.sha256, part=second)
    # Without a company (the page): the one still to confirm.
    assert acta_confirm(hearing=both_agreed, by=representative, sha256=acta.sha256).part == lead
    assert ActaConfirmation.objects.filter(acta=acta).count() == 2


def test_a_company_that_did_not_agree_has_no_acta_to_confirm(
    consumer, company, other_company, representative, officer, conciliator
):
    binds(representative, other_company)
    hearing = two_company_hearing(consumer, company, other_company, officer, conciliator, second_agrees=False)
    acta_generate(hearing_id=hearing.pk)
    _lead, second = parts(hearing.complaint)

    with pytest.raises(HearingError, match="did not agree at this hearing"):
        acta_confirm(hearing=hearing, by=representative, part=second)
    assert not ActaConfirmation.objects.exists()
