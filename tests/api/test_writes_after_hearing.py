"""The company's moves after the hearing, through the API: confirming the acta (only with a validated
power) and uploading proof of compliance. The page's services, rules, events and (no) notices; a
retry with the same Idempotency-Key does nothing twice; a read-only key is refused, another
company's key gets a 404; a refused file is 400 and nothing is kept. In a case of several companies a
key acts for its own company alone, even when its person binds another company of the case too."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import CaseCompany, Complaint
from complaints.services import complaint_admit, complaint_submit
from complaints.services.parts import name_company
from hearings.models import Acta, ActaConfirmation, Agreement, ComplianceProof, Hearing
from hearings.services.acta import acta_confirm, acta_generate
from hearings.services.approval import agreement_approve
from hearings.services.outcome import CompanyOutcome, outcome_record
from notifications.models import Notification
from parties.models import PowerKind, PowerStatus, Representation, Role
from tests.api.conftest import API, ApiKeyFor, make_key
from tests.complaints.factories import PDF_BYTES, PNG_BYTES, draft_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import agreement_at, attend, compliance_day, hearing_under_way


def last_outbox_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks) -> Hearing:
    """A hearing both parties attended, ended in an agreement, its acta generated."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    start = hearing.starts_at
    attend(hearing, conciliator, "conciliator", joined=start - timedelta(minutes=3))
    attend(hearing, consumer, "consumer", joined=start + timedelta(minutes=2), left=start + timedelta(minutes=41))
    attend(hearing, representative, "company", joined=start + timedelta(minutes=7), left=start + timedelta(minutes=40))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


@pytest.fixture
def unbound_admin(company):
    """An administrator of the company whose power the office has not validated."""
    user = make_user("valeria@electrosur.test", Role.REPRESENTATIVE, first_name="Valeria", last_name="Ríos")
    Representation.objects.create(user=user, company=company, is_admin=True)
    return user


def confirm_url(hearing: Hearing) -> str:
    return f"{API}/hearings/{hearing.pk}/acta/confirm"


# --- The acta ------------------------------------------------------------------------------------


def test_a_key_confirms_the_acta_as_the_page_does(held, full_key, representative, consumer, api_client, client_for):
    acta = Acta.objects.get(hearing=held)
    before = last_outbox_pk()
    response = api_client(full_key).post_json(confirm_url(held), {"sha256": acta.sha256})

    assert response.status_code == 201, response.content
    confirmation = ActaConfirmation.objects.get(acta=acta, user=representative)
    part = held.complaint.parts.get()
    assert (confirmation.party, confirmation.part, confirmation.sha256) == ("company", part, acta.sha256)
    assert confirmation.acting_as  # the validated power it was confirmed under, as the page records it
    body = response.json()
    assert (body["id"], body["hearing_id"], body["party"]["code"], body["part_id"], body["sha256"]) == (
        confirmation.pk,
        held.pk,
        "company",
        part.pk,
        acta.sha256,
    )
    event = held.complaint.events.latest("created_at", "pk")
    assert (event.action, event.actor) == ("acta_confirmed", representative)
    assert acta.sha256 in event.reason
    # The page's confirmation notifies nobody; neither does this one.
    assert last_outbox_pk() == before
    # The consumer confirms on the page, as always; the page lists both.
    client_for(consumer).post(reverse("acta_confirm", args=[held.pk]), {"sha256": acta.sha256, "agree": "on"})
    page = client_for(consumer).get(reverse("acta_confirm", args=[held.pk])).content.decode()
    assert "Jorge Fernández" in page
    assert set(ActaConfirmation.objects.filter(acta=acta).values_list("party", flat=True)) == {"company", "consumer"}


def test_a_retried_confirmation_is_recorded_once(held, full_key, api_client):
    acta = Acta.objects.get(hearing=held)
    client = api_client(full_key)
    first = client.post_json(confirm_url(held), {"sha256": acta.sha256}, idempotency_key="acta-1")
    again = client.post_json(confirm_url(held), {"sha256": acta.sha256}, idempotency_key="acta-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again["Idempotent-Replayed"]) == (first.json(), "true")
    assert ActaConfirmation.objects.filter(acta=acta).count() == 1
    assert held.complaint.events.filter(action="acta_confirmed").count() == 1
    # A new request (another key) is the page's "you already confirmed".
    twice = client.post_json(confirm_url(held), {"sha256": acta.sha256}, idempotency_key="acta-2")
    assert (twice.status_code, twice.json()["code"]) == (409, "case_rule")
    assert twice.json()["message"].startswith("You already confirmed this acta on")


def test_another_version_of_the_acta_is_refused(held, full_key, api_client):
    response = api_client(full_key).post_json(confirm_url(held), {"sha256": "0" * 64})
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "The acta changed after you opened it. Read it again before confirming it."
    assert not ActaConfirmation.objects.exists()


def test_a_hash_that_is_not_one_is_400(held, full_key, api_client):
    response = api_client(full_key).post_json(confirm_url(held), {"sha256": "not-a-hash"})
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert not ActaConfirmation.objects.exists()


def test_only_a_validated_power_confirms_the_acta(held, company, unbound_admin, api_client):
    acta = Acta.objects.get(hearing=held)
    key = make_key(company, unbound_admin, name="Sin poder")
    english = api_client(key).post_json(confirm_url(held), {"sha256": acta.sha256})
    assert (english.status_code, english.json()["code"]) == (409, "case_rule")
    assert english.json()["message"].startswith("Your power to act for the company has not been validated yet")
    # Spanish by default (no Accept-Language): the rule's message is already in the es_AR catalogue.
    spanish = api_client(key, language="").post_json(confirm_url(held), {"sha256": acta.sha256})
    assert spanish.json()["message"].startswith("Tu poder para actuar por la empresa")
    assert not ActaConfirmation.objects.exists()


def test_the_acta_is_refused_to_a_read_only_key_and_to_another_company(held, read_key, rival, api_client):
    acta = Acta.objects.get(hearing=held)
    read_only = api_client(read_key).post_json(confirm_url(held), {"sha256": acta.sha256})
    assert (read_only.status_code, read_only.json()["code"]) == (403, "scope_missing")
    stranger = api_client(rival.key).post_json(confirm_url(held), {"sha256": acta.sha256})
    missing = api_client(rival.key).post_json(f"{API}/hearings/999999/acta/confirm", {"sha256": acta.sha256})
    assert (stranger.status_code, stranger.json()) == (404, missing.json())
    assert not ActaConfirmation.objects.exists()


# --- Proof of compliance -------------------------------------------------------------------------


@pytest.fixture
def approved(held, consumer, representative, director) -> Agreement:
    """The hearing's agreement, its acta confirmed by both parties, approved by the office."""
    acta_confirm(hearing=held, by=consumer)
    acta_confirm(hearing=held, by=representative)
    agreement_approve(complaint=held.complaint, by=director)
    return Agreement.objects.select_related("complaint").get(complaint=held.complaint)


def proof_url(agreement: Agreement) -> str:
    return f"{API}/cases/{agreement.complaint_id}/compliance-proof"


def receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("transferencia.png", PNG_BYTES, content_type="image/png")


def stored_proofs() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return (
        {str(path) for path in root.rglob("*") if path.is_file() and "evidence" not in path.parts}
        if root.exists()
        else set()
    )


def test_a_key_uploads_proof_as_the_page_does(approved, full_key, representative, consumer, api_client, client_for):
    before = last_outbox_pk()
    response = api_client(full_key).post(proof_url(approved), {"file": receipt(), "note": "Transferencia del 12/05"})

    assert response.status_code == 201, response.content
    proof = ComplianceProof.objects.get()
    assert (proof.agreement, proof.content_type, proof.original_name, proof.uploaded_by, proof.note) == (
        approved,
        "image/png",
        "transferencia.png",
        representative,
        "Transferencia del 12/05",
    )
    body = response.json()
    assert (body["id"], body["agreement_id"], body["name"], body["size"]) == (
        proof.pk,
        approved.pk,
        "transferencia.png",
        len(PNG_BYTES),
    )
    event = approved.complaint.events.latest("created_at", "pk")
    assert (event.action, event.actor, event.reason) == (
        "compliance_proof_uploaded",
        representative,
        "Transferencia del 12/05",
    )
    assert last_outbox_pk() == before  # the page's upload notifies nobody either
    # The page takes the next one the same way, and the consumer sees both.
    client_for(representative).post(
        reverse("compliance_proof_upload", args=[approved.complaint_id]),
        {"file": SimpleUploadedFile("recibo.pdf", PDF_BYTES), "note": ""},
    )
    assert ComplianceProof.objects.count() == 2
    page = client_for(consumer).get(reverse("complaint_detail", args=[approved.complaint_id])).content.decode()
    assert "transferencia.png" in page and "recibo.pdf" in page


def test_a_retried_upload_is_kept_once(approved, full_key, api_client):
    client = api_client(full_key)
    first = client.post(proof_url(approved), {"file": receipt(), "note": "Op. 4471"}, HTTP_IDEMPOTENCY_KEY="p-1")
    again = client.post(proof_url(approved), {"file": receipt(), "note": "Op. 4471"}, HTTP_IDEMPOTENCY_KEY="p-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again["Idempotent-Replayed"]) == (first.json(), "true")
    assert ComplianceProof.objects.count() == 1
    assert approved.complaint.events.filter(action="compliance_proof_uploaded").count() == 1


def test_a_file_of_a_refused_type_is_400_and_nothing_is_kept(approved, full_key, api_client):
    files = stored_proofs()
    events = approved.complaint.events.count()
    fake = SimpleUploadedFile("recibo.pdf", b"<html>not a receipt</html>", content_type="application/pdf")
    response = api_client(full_key).post(proof_url(approved), {"file": fake})
    assert response.status_code == 400
    assert response.json()["code"] == "file_rejected"
    assert (
        response.json()["message"] == "The file “recibo.pdf” is not a PDF, JPEG or PNG file (whatever its name says)."
    )
    assert not ComplianceProof.objects.exists()
    assert approved.complaint.events.count() == events
    assert stored_proofs() == files


def test_an_empty_file_is_rejected_and_a_long_note_is_invalid(approved, full_key, api_client):
    client = api_client(full_key)
    empty = client.post(proof_url(approved), {"file": SimpleUploadedFile("recibo.pdf", b"")})
    assert (empty.status_code, empty.json()["code"]) == (400, "file_rejected")
    long_note = client.post(proof_url(approved), {"file": receipt(), "note": "x" * 501})
    assert (long_note.status_code, long_note.json()["code"]) == (400, "validation_error")
    assert long_note.json()["errors"][0]["field"] == "form.note"
    assert not ComplianceProof.objects.exists()


def test_a_missing_file_is_400(approved, full_key, api_client):
    response = api_client(full_key).post(proof_url(approved), {"note": "sin archivo"})
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert not ComplianceProof.objects.exists()


def test_proof_before_an_agreement_is_refused_by_the_rule(served, full_key, api_client):
    response = api_client(full_key).post(f"{API}/cases/{served.pk}/compliance-proof", {"file": receipt()})
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "Proof of compliance can be uploaded while an agreement is being followed."
    assert not ComplianceProof.objects.exists()


def test_proof_is_refused_to_a_read_only_key_and_to_another_company(approved, read_key, rival, api_client):
    read_only = api_client(read_key).post(proof_url(approved), {"file": receipt()})
    assert (read_only.status_code, read_only.json()["code"]) == (403, "scope_missing")
    stranger = api_client(rival.key).post(proof_url(approved), {"file": receipt()})
    missing = api_client(rival.key).post(f"{API}/cases/999999/compliance-proof", {"file": receipt()})
    assert (stranger.status_code, stranger.json()) == (404, missing.json())
    assert not ComplianceProof.objects.exists()


# --- A case of two companies whose person binds both: a key acts for its own company alone --------


@dataclass(frozen=True)
class TwoAgreed:
    hearing: Hearing
    lead: CaseCompany
    second: CaseCompany
    second_key: ApiKeyFor


def _two_company_case(consumer, company, second, officer) -> Complaint:
    second.electronic_domicile = "legales@conectar.test"
    second.save(update_fields=["electronic_domicile"])
    case = draft_case(consumer, company)
    name_company(case, company=second)
    case = complaint_submit(complaint=case, by=consumer)
    return complaint_admit(complaint=case, by=officer)


def _binds(user, company) -> None:
    Representation.objects.create(
        user=user, company=company, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )


@pytest.fixture
def two_agreed(consumer, company, other_company, representative, officer, conciliator) -> TwoAgreed:
    """Both companies agree at the hearing, its acta generated; Jorge binds both (validated powers) and
    holds a key of the second company."""
    _binds(representative, other_company)
    case = _two_company_case(consumer, company, other_company, officer)
    lead, second = CaseCompany.objects.filter(complaint=case).order_by("position")
    hearing = hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Hearing.Outcome.AGREEMENT,
        per_company={
            lead.pk: CompanyOutcome(
                Hearing.Outcome.AGREEMENT, terms="Cambio del equipo.", amount=None, compliance_due=compliance_day()
            ),
            second.pk: CompanyOutcome(
                Hearing.Outcome.AGREEMENT,
                terms="Reintegro del abono.",
                amount=Decimal("12000.00"),
                compliance_due=compliance_day(),
            ),
        },
    )
    acta_generate(hearing_id=hearing.pk)
    hearing.refresh_from_db()
    return TwoAgreed(hearing, lead, second, make_key(other_company, representative, name="Conectar ERP"))


def test_a_key_confirms_the_acta_for_its_own_company_not_another_its_person_binds(
    two_agreed, representative, api_client, client_for
):
    acta = Acta.objects.get(hearing=two_agreed.hearing)
    client = api_client(two_agreed.second_key)

    response = client.post_json(confirm_url(two_agreed.hearing), {"sha256": acta.sha256})

    assert response.status_code == 201, response.content
    confirmation = ActaConfirmation.objects.get(acta=acta)
    assert (confirmation.part, response.json()["part_id"]) == (two_agreed.second, two_agreed.second.pk)
    event = two_agreed.hearing.complaint.events.get(action="acta_confirmed")
    assert "Conectar Telecomunicaciones S.A." in event.reason
    # Again with the same key: its company has confirmed; the lead company is not confirmed through it.
    again = client.post_json(confirm_url(two_agreed.hearing), {"sha256": acta.sha256})
    assert (again.status_code, again.json()["code"]) == (409, "case_rule")
    assert again.json()["message"] == "Conectar Telecomunicaciones S.A. has already confirmed this acta."
    assert list(ActaConfirmation.objects.values_list("part", flat=True)) == [two_agreed.second.pk]
    # On the page Jorge still confirms for the lead company, the one left.
    client_for(representative).post(
        reverse("acta_confirm", args=[two_agreed.hearing.pk]), {"sha256": acta.sha256, "agree": "on"}
    )
    assert set(ActaConfirmation.objects.values_list("part", flat=True)) == {two_agreed.lead.pk, two_agreed.second.pk}


def test_a_key_of_a_company_its_person_cannot_bind_confirms_nothing(
    two_agreed, other_company, representative, api_client
):
    """Jorge's power for the second company is no longer validated: its key does not confirm for the
    lead company, which he still binds."""
    Representation.objects.filter(user=representative, company=other_company).update(power_status=PowerStatus.PENDING)
    acta = Acta.objects.get(hearing=two_agreed.hearing)

    response = api_client(two_agreed.second_key).post_json(confirm_url(two_agreed.hearing), {"sha256": acta.sha256})

    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"].startswith(
        "Your power to act for Conectar Telecomunicaciones S.A. has not been validated yet"
    )
    assert not ActaConfirmation.objects.exists()


def test_a_key_files_proof_on_its_own_companys_agreement(two_agreed, representative, api_client):
    case = two_agreed.hearing.complaint

    response = api_client(two_agreed.second_key).post(proof_url_of(case), {"file": receipt(), "note": "Reintegro"})

    assert response.status_code == 201, response.content
    proof = ComplianceProof.objects.get()
    assert proof.agreement == Agreement.objects.get(part=two_agreed.second)
    assert response.json()["agreement_id"] == proof.agreement_id
    assert case.events.get(action="compliance_proof_uploaded").actor == representative


@pytest.fixture
def only_lead_agreed(consumer, company, other_company, officer, conciliator) -> tuple[Complaint, ApiKeyFor]:
    """The lead company agrees, the second does not; the second's own administrator holds a key."""
    beto = make_user("beto@conectar.test", Role.REPRESENTATIVE, first_name="Beto", last_name="Paz")
    _binds(beto, other_company)
    case = _two_company_case(consumer, company, other_company, officer)
    lead, second = CaseCompany.objects.filter(complaint=case).order_by("position")
    hearing = hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Hearing.Outcome.AGREEMENT,
        per_company={
            lead.pk: CompanyOutcome(
                Hearing.Outcome.AGREEMENT, terms="Cambio del equipo.", amount=None, compliance_due=compliance_day()
            ),
            second.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT, notes="No ofreció nada."),
        },
    )
    return case, make_key(other_company, beto, name="Conectar ERP")


def test_a_company_without_an_agreement_cannot_file_proof_on_anothers(only_lead_agreed, api_client):
    case, key = only_lead_agreed

    response = api_client(key).post(proof_url_of(case), {"file": receipt(), "note": "pagado"})

    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "Your company has no agreement to prove in this case."
    assert not ComplianceProof.objects.exists()
    assert not case.events.filter(action="compliance_proof_uploaded").exists()


def proof_url_of(case: Complaint) -> str:
    return f"{API}/cases/{case.pk}/compliance-proof"
