"""Retention: a closed case whose last event is older than CASE_RETENTION_YEARS loses its personal
data and files, keeps its statistics, and its event chain still verifies. Recent and open cases
are left alone; running twice changes nothing more."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from complaints import services as case_services
from complaints.models import CaseEvent, Complaint, Evidence, Offer, OfferStatus
from complaints.selectors import case_events_intact
from complaints.states import State
from hearings.models import Acta, Recording
from notifications.models import Notification
from privacy.models import AnonymisedCase
from privacy.services import anonymise_closed_cases
from tests.complaints.factories import submitted_case
from tests.hearings.factories import scheduled_hearing

ELEVEN_YEARS_ON = timezone.now() + timedelta(days=365 * 11)
ACTA_BYTES = b"%PDF-1.4 acta de la audiencia"
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42 grabacion"


@pytest.fixture
def closed_case(consumer, company, officer, conciliator, django_capture_on_commit_callbacks):
    """A case with evidence, a hearing with its acta and recording, withdrawn by the consumer."""
    with django_capture_on_commit_callbacks(execute=True):
        hearing = scheduled_hearing(
            consumer, company, officer, conciliator, complaint=_served_with_evidence(consumer, company, officer)
        )
        Acta.objects.create(
            hearing=hearing,
            file=ContentFile(ACTA_BYTES, name="acta.pdf"),
            sha256=hashlib.sha256(ACTA_BYTES).hexdigest(),
            generated_at=timezone.now(),
        )
        Recording.objects.create(
            hearing=hearing, file=ContentFile(VIDEO_BYTES, name="audiencia.mp4"), registered_at=timezone.now()
        )
        case = case_services.complaint_withdraw(complaint=hearing.complaint, by=consumer, reason="Ya no me interesa")
    assert case.status == State.WITHDRAWN
    return Complaint.objects.get(pk=case.pk)


def _served_with_evidence(consumer, company, officer):
    case = submitted_case(consumer, company, evidence=True)
    return case_services.complaint_admit(complaint=case, by=officer)


def stored_names(case: Complaint) -> list[str]:
    files = [item.file for item in Evidence.objects.filter(complaint=case)]
    files += [acta.file for acta in Acta.objects.filter(hearing__complaint=case)]
    files += [rec.file for rec in Recording.objects.filter(hearing__complaint=case)]
    return [file.name or "" for file in files]


def anonymise(django_capture_on_commit_callbacks, **kwargs) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return anonymise_closed_cases(now=ELEVEN_YEARS_ON, **kwargs)


def test_an_old_closed_case_loses_the_consumers_data_and_its_free_texts(
    closed_case, django_capture_on_commit_callbacks
):
    assert anonymise(django_capture_on_commit_callbacks) == 1

    case = Complaint.objects.get(pk=closed_case.pk)
    for field in ("consumer_name", "consumer_dni", "consumer_email", "consumer_phone", "consumer_address"):
        assert getattr(case, field) == "", field
    assert (case.facts, case.claim_detail) == ("", "")
    assert AnonymisedCase.objects.filter(complaint=case).exists()


def test_its_statistics_stay(closed_case, django_capture_on_commit_callbacks):
    anonymise(django_capture_on_commit_callbacks)

    case = Complaint.objects.get(pk=closed_case.pk)
    kept: tuple[str, ...] = ("number", "status", "channel", "company_id", "consumer_province", "amount_paid")
    kept += ("claim_amount", "claim_type", "submitted_at", "admitted_at", "closed_at", "created_at")
    assert {f: getattr(case, f) for f in kept} == {f: getattr(closed_case, f) for f in kept}


def test_its_files_leave_the_storage_and_their_hashes_and_sizes_are_kept(
    closed_case, django_capture_on_commit_callbacks
):
    names = stored_names(closed_case)
    assert len(names) == 4 and all(default_storage.exists(name) for name in names)

    anonymise(django_capture_on_commit_callbacks)

    assert not any(default_storage.exists(name) for name in names)
    assert stored_names(closed_case) == ["", "", "", ""]
    removed = {item["kind"]: item for item in AnonymisedCase.objects.get(complaint=closed_case).removed_files}
    assert removed["acta"]["sha256"] == hashlib.sha256(ACTA_BYTES).hexdigest()
    assert removed["recording"] == {
        "kind": "recording",
        "id": Recording.objects.get(hearing__complaint=closed_case).pk,
        "sha256": hashlib.sha256(VIDEO_BYTES).hexdigest(),
        "size": len(VIDEO_BYTES),
    }
    evidence = Evidence.objects.filter(complaint=closed_case)
    assert [(e.sha256, e.size, e.original_name) for e in evidence] == [
        (item["sha256"], item["size"], "")
        for item in AnonymisedCase.objects.get(complaint=closed_case).removed_files
        if item["kind"] == "evidence"
    ]


def test_its_event_chain_still_verifies_and_records_the_anonymisation(closed_case, django_capture_on_commit_callbacks):
    events_before = closed_case.events.count()

    anonymise(django_capture_on_commit_callbacks)

    case = Complaint.objects.get(pk=closed_case.pk)
    assert case_events_intact(case)
    assert case.events.count() == events_before + 1
    assert CaseEvent.objects.filter(complaint=case).last().action == "case_anonymised"  # type: ignore[union-attr]


def test_the_messages_of_the_case_keep_their_delivery_record_and_lose_their_text(
    closed_case, django_capture_on_commit_callbacks
):
    messages = Notification.objects.filter(case_number=closed_case.number)
    assert messages.exclude(body_text="").exists()

    anonymise(django_capture_on_commit_callbacks)

    assert messages.exists()
    assert not messages.exclude(body_text="").exists()
    assert not messages.filter(redacted_at=None).exists()


def test_offers_lose_their_words_and_keep_their_amounts(
    closed_case, representative, django_capture_on_commit_callbacks
):
    offer = Offer.objects.create(
        complaint=closed_case,
        made_by=representative,
        amount=Decimal("18500.00"),
        terms="Transferencia a la cuenta de María González, CBU 0110599520000001234567",
        fulfil_by=date(2026, 4, 1),
        status=OfferStatus.COUNTERED,
        counter_amount=Decimal("25000.00"),
        counter_terms="Que me devuelvan todo en mi domicilio de Av. San Juan 2150",
    )

    anonymise(django_capture_on_commit_callbacks)

    offer.refresh_from_db()
    assert (offer.terms, offer.counter_terms) == ("", "")
    assert (offer.amount, offer.counter_amount) == (Decimal("18500.00"), Decimal("25000.00"))


def test_the_consumers_address_leaves_the_delivery_record(closed_case, consumer, django_capture_on_commit_callbacks):
    to_the_consumer = Notification.objects.filter(case_number=closed_case.number, recipient=consumer)
    assert to_the_consumer.exclude(address="").exists()

    anonymise(django_capture_on_commit_callbacks)

    assert to_the_consumer.exists()
    assert not to_the_consumer.exclude(address="").exists()


def test_running_again_changes_nothing(closed_case, django_capture_on_commit_callbacks):
    anonymise(django_capture_on_commit_callbacks)
    events = closed_case.events.count()

    assert anonymise(django_capture_on_commit_callbacks) == 0
    assert closed_case.events.count() == events
    assert AnonymisedCase.objects.count() == 1


def test_a_case_closed_less_than_the_retention_ago_keeps_its_data(closed_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = anonymise_closed_cases(now=timezone.now() + timedelta(days=365 * 9))

    assert done == 0
    assert Complaint.objects.get(pk=closed_case.pk).consumer_dni == "30123456"


def test_an_open_case_keeps_its_data_however_old(consumer, company, django_capture_on_commit_callbacks):
    case = submitted_case(consumer, company)

    assert anonymise(django_capture_on_commit_callbacks) == 0
    assert Complaint.objects.get(pk=case.pk).consumer_name == "María González"


def test_a_retention_of_zero_years_keeps_every_case(closed_case, settings, django_capture_on_commit_callbacks):
    settings.CASE_RETENTION_YEARS = 0

    assert anonymise(django_capture_on_commit_callbacks) == 0


def test_cases_are_taken_in_batches(consumer, company, django_capture_on_commit_callbacks):
    for _ in range(3):
        case = submitted_case(consumer, company)
        case_services.complaint_withdraw(complaint=case, by=consumer)

    assert anonymise(django_capture_on_commit_callbacks, batch_size=2) == 3
    assert AnonymisedCase.objects.count() == 3


def test_the_command_counts_on_a_dry_run_and_anonymises_otherwise(closed_case, django_capture_on_commit_callbacks):
    out = StringIO()
    with time_machine.travel(ELEVEN_YEARS_ON):
        call_command("anonymise_closed_cases", "--dry-run", stdout=out)
        assert "1 closed cases are due" in out.getvalue()
        assert not AnonymisedCase.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            call_command("anonymise_closed_cases", stdout=out)

    assert "1 closed cases anonymised." in out.getvalue()
    assert Complaint.objects.get(pk=closed_case.pk).consumer_dni == ""
