"""Absences: the absent party may justify within the deadline; the office accepts (a new hearing) or
not (the consequence); an absence not justified in time has its consequence from the beat job."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.states import State
from hearings.errors import HearingError
from hearings.models import AbsenceJustification, Hearing
from hearings.services.absences import absence_decide, absence_justify, act_on_expired_justifications
from hearings.services.outcome import outcome_record
from hearings.services.scheduling import hearing_schedule
from parties.business_days import deadline_after
from tests.complaints.factories import PDF_BYTES
from tests.hearings.test_outcome_support import free_slot, hearing_under_way, recipients
from tests.helpers import stored_name


@pytest.fixture
def hearing(consumer, company, representative, officer, conciliator):
    return hearing_under_way(consumer, company, officer, conciliator)


def absent(hearing, conciliator, side):
    outcome_record(hearing=hearing, by=conciliator, outcome=f"{side}_absent", notes="No se presentó.")
    hearing.refresh_from_db()
    hearing.complaint.refresh_from_db()
    return hearing


def after_deadline(hearing):
    return time_machine.travel(hearing.complaint.justification_due_at + timedelta(minutes=1))


# --- The company is absent ----------------------------------------------------------------------


def test_recording_an_absence_gives_the_absent_party_its_deadline(hearing, conciliator, consumer, representative):
    absent(hearing, conciliator, "company")
    case = hearing.complaint
    assert case.status == State.COMPANY_ABSENT
    assert case.justification_due_at == deadline_after(hearing.outcome_recorded_at, 3)
    assert recipients("outcome_recorded") == {consumer.email, representative.email}


def test_a_justified_company_absence_accepted_lets_the_office_schedule_again(
    hearing, conciliator, representative, officer, client_for
):
    absent(hearing, conciliator, "company")
    due = hearing.complaint.justification_due_at
    page = client_for(representative).get(reverse("complaint_detail", args=[hearing.complaint_id])).content.decode()
    assert reverse("absence_justify", args=[hearing.pk]) in page
    response = client_for(representative).post(
        reverse("absence_justify", args=[hearing.pk]),
        {"text": "Nuestro apoderado estuvo internado.", "file": SimpleUploadedFile("certificado.pdf", PDF_BYTES)},
    )
    assert response.status_code == 302
    justification = AbsenceJustification.objects.get()
    assert (justification.party, justification.decision, justification.submitted_by) == (
        "company",
        "pending",
        representative,
    )
    assert stored_name(justification.file).endswith(".pdf")

    response = client_for(officer).post(reverse("absence_decide", args=[justification.pk]), {"decision": "accept"})
    assert response.status_code == 302
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.COMPANY_ABSENT and case.justification_due_at is None
    page = client_for(officer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert reverse("hearing_schedule", args=[case.pk]) in page

    with time_machine.travel(due + timedelta(minutes=1)):
        assert act_on_expired_justifications() == 0  # an accepted justification: no consequence

    hearing_schedule(complaint=case, by=officer, starts_at=free_slot(), conciliator=conciliator)
    case.refresh_from_db()
    assert case.status == State.HEARING_SCHEDULED


def test_an_unjustified_company_absence_is_referred_by_the_beat_job_at_the_deadline(
    hearing, conciliator, consumer, representative
):
    absent(hearing, conciliator, "company")
    case = hearing.complaint
    with time_machine.travel(case.justification_due_at - timedelta(minutes=1)):
        assert act_on_expired_justifications() == 0
    with after_deadline(hearing):
        assert act_on_expired_justifications() == 1
        assert act_on_expired_justifications() == 0  # nothing twice
    case.refresh_from_db()
    assert case.status == State.REFERRED and case.closed_at is not None
    event = case.events.order_by("-created_at", "-pk").first()
    assert (event.action, event.actor) == ("refer", None)
    assert event.reason  # why, in the office's language
    assert recipients("complaint_referred") == {consumer.email, representative.email}


def test_a_pending_justification_stops_the_clock_until_the_office_decides(
    hearing, conciliator, representative, officer
):
    absent(hearing, conciliator, "company")
    justification = absence_justify(hearing=hearing, by=representative, text="Corte de luz en la oficina.")
    with after_deadline(hearing):
        assert act_on_expired_justifications() == 0
        absence_decide(justification=justification, by=officer, accept=False, reason="No se acreditó.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.REFERRED
    assert case.events.order_by("-created_at", "-pk").first().actor == officer


def test_a_justification_after_the_deadline_is_refused(hearing, conciliator, representative):
    absent(hearing, conciliator, "company")
    with after_deadline(hearing), pytest.raises(HearingError, match="deadline to justify the absence passed"):
        absence_justify(hearing=hearing, by=representative, text="Tarde.")
    assert not AbsenceJustification.objects.exists()


def test_only_the_absent_side_justifies(hearing, conciliator, consumer, client_for):
    absent(hearing, conciliator, "company")
    with pytest.raises(HearingError, match="Only the party recorded absent"):
        absence_justify(hearing=hearing, by=consumer, text="Yo tampoco pude.")
    assert client_for(consumer).get(reverse("absence_justify", args=[hearing.pk])).status_code == 403


def test_a_supporting_document_must_be_a_pdf_or_an_image(hearing, conciliator, representative, client_for):
    absent(hearing, conciliator, "company")
    response = client_for(representative).post(
        reverse("absence_justify", args=[hearing.pk]),
        {"text": "Adjunto constancia.", "file": SimpleUploadedFile("constancia.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 200
    assert "is not a PDF, JPEG or PNG file" in response.content.decode()
    assert not AbsenceJustification.objects.exists()


def test_a_justification_waits_for_one_decision(hearing, conciliator, representative):
    absent(hearing, conciliator, "company")
    absence_justify(hearing=hearing, by=representative, text="Primera.")
    with pytest.raises(HearingError, match="awaiting the office's decision"):
        absence_justify(hearing=hearing, by=representative, text="Segunda.")


def test_only_the_office_decides(hearing, conciliator, representative, client_for):
    absent(hearing, conciliator, "company")
    justification = absence_justify(hearing=hearing, by=representative, text="Motivo.")
    with pytest.raises(HearingError, match="Only the office"):
        absence_decide(justification=justification, by=conciliator, accept=True)
    assert client_for(conciliator).get(reverse("absence_decide", args=[justification.pk])).status_code == 403


def test_rejecting_needs_a_reason(hearing, conciliator, representative, officer, client_for):
    absent(hearing, conciliator, "company")
    justification = absence_justify(hearing=hearing, by=representative, text="Motivo.")
    response = client_for(officer).post(reverse("absence_decide", args=[justification.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert "Say why the justification is not accepted." in response.content.decode()
    justification.refresh_from_db()
    assert justification.decision == "pending"


# --- The consumer is absent ---------------------------------------------------------------------


def test_a_justified_consumer_absence_accepted_reactivates_the_case(
    hearing, conciliator, consumer, officer, client_for
):
    absent(hearing, conciliator, "consumer")
    assert hearing.complaint.status == State.CONSUMER_ABSENT
    justification = absence_justify(hearing=hearing, by=consumer, text="Tuve una emergencia médica.")
    absence_decide(justification=justification, by=officer, accept=True, reason="Certificado válido.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.COMPANY_NOTIFIED and case.justification_due_at is None
    event = case.events.order_by("-created_at", "-pk").first()
    assert (event.action, event.actor, event.reason) == ("reactivate", officer, "Certificado válido.")
    page = client_for(officer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert reverse("hearing_schedule", args=[case.pk]) in page
    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(), conciliator=conciliator)
    assert new.status == Hearing.Status.SCHEDULED


def test_an_unjustified_consumer_absence_is_deemed_withdrawn_at_the_deadline(
    hearing, conciliator, consumer, representative
):
    absent(hearing, conciliator, "consumer")
    with after_deadline(hearing):
        assert act_on_expired_justifications() == 1
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.WITHDRAWN and case.closed_at is not None
    assert (case.events.order_by("-created_at", "-pk").first().action) == "deem_withdrawn"
    assert recipients("complaint_withdrawn") == {consumer.email, representative.email}


def test_a_rejected_consumer_justification_withdraws_the_complaint_at_once(hearing, conciliator, consumer, officer):
    absent(hearing, conciliator, "consumer")
    justification = absence_justify(hearing=hearing, by=consumer, text="Me olvidé.")
    absence_decide(justification=justification, by=officer, accept=False, reason="No es un motivo atendible.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.WITHDRAWN
    assert recipients("complaint_withdrawn") >= {consumer.email}
    justification.refresh_from_db()
    assert (justification.decision, justification.decided_by) == ("rejected", officer)
    assert justification.decided_at is not None
    assert timezone.now() - justification.decided_at < timedelta(minutes=1)
