"""A cédula's document is stored before the move commits, so a committed notice never lacks it, in
a folder of its own, so one company's document never replaces another's; one left behind by a move
that rolled back is swept a day later."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from notifications.models import FormalNotice
from notifications.services import formal_notice_documents_sweep, formal_notice_serve


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def attached(message) -> list[tuple[str, bytes]]:
    parts = [part for part in message.message().walk() if part.get_filename()]
    return [(part.get_filename(), part.get_payload(decode=True)) for part in parts]


def serve(company, key="complaint:1:served"):
    return formal_notice_serve(
        company=company,
        case_number="DC-2026-000123",
        subject="Traslado de reclamo",
        body="Se le corre traslado.",
        idempotency_key=key,
        document=ContentFile(b"%PDF-1.4 cedula", name="cedula.pdf"),
    )


@pytest.mark.django_db
def test_a_committed_move_keeps_the_file_and_mails_it(company, representative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = serve(company)
    [path] = stored_files()
    assert path.read_bytes() == b"%PDF-1.4 cedula"
    assert notice.document.name == path.relative_to(settings.MEDIA_ROOT).as_posix()
    assert FormalNotice.objects.get().document.name == notice.document.name
    [message] = mail.outbox
    assert attached(message) == [(Path(notice.document.name).name, b"%PDF-1.4 cedula")]


@pytest.mark.django_db
def test_serving_again_with_the_same_key_stores_nothing_more(company):
    first = serve(company)
    again = serve(company)
    assert again.pk == first.pk
    assert len(stored_files()) == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_notice_keeps_its_file(company):
    notice = serve(company)
    assert [path.relative_to(settings.MEDIA_ROOT).as_posix() for path in stored_files()] == [notice.document.name]


@pytest.mark.django_db
def test_two_notices_with_the_same_file_name_keep_both_documents(company, other_company):
    other_company.electronic_domicile = "legales@otra.example"
    other_company.save(update_fields=["electronic_domicile"])

    first = serve(company, key="first")
    second = serve(other_company, key="second")

    assert first.document.name != second.document.name
    assert len(stored_files()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_document_left_by_a_rolled_back_move_is_swept_a_day_later_and_committed_ones_stay(company):
    kept = serve(company, key="committed")
    with pytest.raises(RuntimeError), transaction.atomic():
        serve(company, key="rolled-back")
        raise RuntimeError("the move failed after serving")
    assert len(stored_files()) == 2

    assert formal_notice_documents_sweep() == 0  # too recent: its transaction might still be open
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert formal_notice_documents_sweep() == 1

    assert [path.relative_to(settings.MEDIA_ROOT).as_posix() for path in stored_files()] == [kept.document.name]
