"""Stored files are private: /media/ is never served (not even in DEBUG), every file is downloaded
through a view that checks who asks, and stored names hold no case number and cannot be guessed."""

import importlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse

from complaints.models import Evidence
from hearings.models import AbsenceJustification, Acta, ComplianceProof, Recording
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_proof_upload
from hearings.services.outcome import outcome_record
from hearings.services.room import recording_register
from tests.complaints.factories import PDF_BYTES, submitted_case
from tests.hearings.test_outcome_support import agreement_at, attend, hearing_under_way
from tests.helpers import case_number, stored_name

# <prefix>/<yyyy>/<mm>/<32 random hex digits>.<ext>
UNGUESSABLE = r"{prefix}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.{ext}"


@pytest.fixture
def debug_urls(settings):
    """The URLconf as it is built with DEBUG on (where Django's docs add the media `static()` route)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks):
    """A hearing both parties attended, ended in an agreement, its acta generated."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    attend(hearing, conciliator, "conciliator", joined=hearing.starts_at - timedelta(minutes=3))
    attend(hearing, consumer, "consumer", joined=hearing.starts_at + timedelta(minutes=2))
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


def test_a_real_acta_is_not_served_from_media_even_in_debug(held, stranger, consumer, client_for, debug_urls):
    acta = Acta.objects.get(hearing=held)
    assert acta.file.storage.exists(stored_name(acta.file))
    media_url = f"/media/{acta.file.name}"

    assert client_for(stranger).get(media_url).status_code == 404
    assert client_for(consumer).get(media_url).status_code == 404
    # The party gets it through the scoped download instead.
    assert client_for(consumer).get(reverse("acta_download", args=[held.pk])).status_code == 200


def test_evidence_is_not_served_from_media_even_in_debug(consumer, company, stranger, client_for, debug_urls):
    case = submitted_case(consumer, company, evidence=True)
    evidence = Evidence.objects.filter(complaint=case).first()
    assert evidence is not None

    assert client_for(stranger).get(f"/media/{evidence.file.name}").status_code == 404


def test_the_stored_acta_holds_no_case_number_and_is_not_predictable(held):
    acta = Acta.objects.get(hearing=held)
    number = case_number(held.complaint)
    name = stored_name(acta.file)

    assert re.fullmatch(UNGUESSABLE.format(prefix="actas", ext="pdf"), name)
    assert number not in name
    assert "acta-" not in name


def test_the_acta_download_keeps_a_name_with_the_case_number_for_the_person(held, consumer, client_for):
    response = client_for(consumer).get(reverse("acta_download", args=[held.pk]))

    assert f"acta-{held.complaint.number}-{held.pk}.pdf" in response["Content-Disposition"]


def test_a_compliance_proof_is_stored_under_a_random_name(held, consumer, representative, officer, director):
    acta_confirm(hearing=held, by=consumer)
    acta_confirm(hearing=held, by=representative)
    agreement_approve(complaint=held.complaint, by=director)

    first = compliance_proof_upload(
        complaint=held.complaint, by=representative, upload=SimpleUploadedFile("transferencia.pdf", PDF_BYTES)
    )
    second = compliance_proof_upload(
        complaint=held.complaint, by=representative, upload=SimpleUploadedFile("transferencia.pdf", PDF_BYTES)
    )

    for proof in (first, second):
        name = stored_name(proof.file)
        assert re.fullmatch(UNGUESSABLE.format(prefix="compliance", ext="pdf"), name)
        assert "transferencia" not in name
    assert first.file.name != second.file.name
    assert ComplianceProof.objects.count() == 2


def test_an_absence_justification_is_stored_under_a_random_name(
    consumer, company, representative, officer, conciliator, client_for
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome="company_absent", notes="No se presentó.")

    client_for(representative).post(
        reverse("absence_justify", args=[hearing.pk]),
        {"text": "Nuestro apoderado estuvo internado.", "file": SimpleUploadedFile("certificado.pdf", PDF_BYTES)},
    )

    justification = AbsenceJustification.objects.get()
    name = stored_name(justification.file)
    assert re.fullmatch(UNGUESSABLE.format(prefix="justifications", ext="pdf"), name)
    assert case_number(hearing.complaint) not in name


def test_a_recording_file_is_stored_under_a_random_name(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)

    recording = recording_register(
        hearing=hearing, by=conciliator, file=SimpleUploadedFile("grabacion.mp4", b"\x00\x00\x00\x18ftypmp42")
    )

    name = stored_name(recording.file)
    assert re.fullmatch(UNGUESSABLE.format(prefix="recordings", ext="mp4"), name)
    assert f"hearing-{hearing.pk}" not in name
    assert Recording.objects.get().file.name == recording.file.name
