"""The agreement's follow-up: the consumer asked once at the deadline, the company's proof of
payment, the consumer's (or the office's) answer."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Agreement, ComplianceProof
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import (
    ask_consumers_about_compliance,
    compliance_confirm,
    compliance_proof_upload,
    compliance_report_breach,
)
from notifications.models import Notification
from tests.complaints.factories import PDF_BYTES, PNG_BYTES
from tests.hearings.test_outcome_support import agreement_at, compliance_day, hearing_under_way
from tests.helpers import stored_name
from tests.notifications.helpers import rendered


@pytest.fixture
def approved(consumer, company, representative, officer, conciliator, director, django_capture_on_commit_callbacks):
    """An agreement reached at a hearing, its acta confirmed by both parties, approved by the office."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    acta_confirm(hearing=hearing, by=consumer)
    acta_confirm(hearing=hearing, by=representative)
    agreement_approve(complaint=hearing.complaint, by=director)
    return Agreement.objects.select_related("complaint").get(complaint=hearing.complaint)


def on_the_deadline(agreement):
    return time_machine.travel(timezone.make_aware(datetime.combine(agreement.compliance_due, time(9))))


def test_the_consumer_is_asked_once_when_the_deadline_comes(approved, consumer):
    with on_the_deadline(approved):
        assert ask_consumers_about_compliance() == 1
        assert ask_consumers_about_compliance() == 0
    approved.refresh_from_db()
    assert approved.compliance_asked_at is not None
    rows = Notification.objects.filter(event="compliance_due")
    assert {row.recipient for row in rows} == {consumer}
    assert rows.filter(channel="email").count() == 1
    email = rendered(rows.get(channel="email"))
    assert reverse("compliance_answer", args=[approved.complaint_id]) in email.body_text
    assert approved.terms in email.body_text


def test_an_agreement_not_yet_approved_is_not_followed_up(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    agreement_at(hearing, conciliator, compliance_due=compliance_day(1))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert ask_consumers_about_compliance() == 0
    assert not Notification.objects.filter(event="compliance_due").exists()


def test_the_consumer_confirms_compliance_and_the_case_closes(approved, consumer, client_for):
    page = client_for(consumer).get(reverse("compliance_answer", args=[approved.complaint_id])).content.decode()
    assert approved.terms in page
    response = client_for(consumer).post(
        reverse("compliance_answer", args=[approved.complaint_id]), {"complied": "yes"}
    )
    assert response.status_code == 302
    approved.complaint.refresh_from_db()
    assert approved.complaint.status == State.COMPLIED


def test_the_office_can_record_the_answer_too(approved, officer):
    compliance_confirm(complaint=approved.complaint, by=officer)
    approved.complaint.refresh_from_db()
    assert approved.complaint.status == State.COMPLIED


def test_the_company_cannot_declare_itself_compliant(approved, representative, client_for):
    with pytest.raises(HearingError, match="Only the consumer or the office"):
        compliance_confirm(complaint=approved.complaint, by=representative)
    assert client_for(representative).get(reverse("compliance_answer", args=[approved.complaint_id])).status_code == 403
    approved.complaint.refresh_from_db()
    assert approved.complaint.status == State.AGREEMENT_APPROVED


def test_a_breach_needs_details(approved, consumer, client_for):
    response = client_for(consumer).post(reverse("compliance_answer", args=[approved.complaint_id]), {"complied": "no"})
    assert response.status_code == 200
    assert "Say what the company did not do." in response.content.decode()
    with pytest.raises(HearingError, match="Say what the company did not do"):
        compliance_report_breach(complaint=approved.complaint, by=consumer, details=" ")
    approved.complaint.refresh_from_db()
    assert approved.complaint.status == State.AGREEMENT_APPROVED


# --- Proof of payment ---------------------------------------------------------------------------


def test_the_company_uploads_proof_the_consumer_can_download(approved, representative, consumer, client_for):
    response = client_for(representative).post(
        reverse("compliance_proof_upload", args=[approved.complaint_id]),
        {"file": SimpleUploadedFile("transferencia.png", PNG_BYTES), "note": "Transferencia del 12/05"},
    )
    assert response.status_code == 302
    proof = ComplianceProof.objects.get()
    assert (proof.agreement, proof.content_type, proof.original_name, proof.uploaded_by) == (
        approved,
        "image/png",
        "transferencia.png",
        representative,
    )
    assert not stored_name(proof.file).endswith("transferencia.png")  # our name on disk, theirs as a label
    assert approved.complaint.events.filter(action="compliance_proof_uploaded", actor=representative).exists()

    page = client_for(consumer).get(reverse("complaint_detail", args=[approved.complaint_id])).content.decode()
    assert reverse("compliance_proof_download", args=[proof.pk]) in page
    download = client_for(consumer).get(reverse("compliance_proof_download", args=[proof.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG_BYTES


def test_proof_is_sniffed_from_its_content(approved, representative):
    with pytest.raises(HearingError, match="is not a PDF, JPEG or PNG file"):
        compliance_proof_upload(
            complaint=approved.complaint, by=representative, upload=SimpleUploadedFile("recibo.pdf", b"hello")
        )
    assert not ComplianceProof.objects.exists()


def test_only_the_company_uploads_proof(approved, consumer, client_for):
    with pytest.raises(HearingError, match="Only a representative of the company"):
        compliance_proof_upload(
            complaint=approved.complaint, by=consumer, upload=SimpleUploadedFile("r.pdf", PDF_BYTES)
        )
    assert client_for(consumer).get(reverse("compliance_proof_upload", args=[approved.complaint_id])).status_code == 403


def test_a_stranger_cannot_download_proof(approved, representative, stranger, client_for):
    proof = compliance_proof_upload(
        complaint=approved.complaint, by=representative, upload=SimpleUploadedFile("r.pdf", PDF_BYTES)
    )
    assert client_for(stranger).get(reverse("compliance_proof_download", args=[proof.pk])).status_code == 404
