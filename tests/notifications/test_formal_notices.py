"""Formal notices (cédulas): served at the electronic domicile, served when a representative first
opens them, or deemed served after N business days (weekends and national holidays skipped)."""

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from notifications.models import Channel, FormalNotice, Notification, Status
from notifications.services import FormalNoticeError, formal_notice_open, formal_notice_serve
from notifications.signals import formal_notice_served
from notifications.tasks import mark_formal_notices_served
from tests.notifications.conftest import local, translated

pytestmark = pytest.mark.django_db

# Friday 20 November 2026; Monday 23 is the national holiday (Día de la Soberanía Nacional).
FRIDAY = local(2026, 11, 20, 10, 0)


def serve(company, key="complaint:1:served", **extra):
    return formal_notice_serve(
        company=company,
        case_number="DC-2026-000123",
        subject="Traslado de reclamo y citación a audiencia",
        body="Se le corre traslado del reclamo DC-2026-000123.\nAudiencia: 1/12/2026 10:00.",
        idempotency_key=key,
        **extra,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_serves_the_domicile_and_tells_every_active_representative(
    company, representative, second_representative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = serve(company)
    assert notice.address == "legales@electrosur.test"
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert (email.address, email.event, email.case_number) == (
        "legales@electrosur.test",
        "formal_notice",
        "DC-2026-000123",
    )
    assert email.status == Status.SENT
    inbox = Notification.objects.filter(channel=Channel.INBOX)
    assert {row.recipient for row in inbox} == {representative, second_representative}
    [message] = mail.outbox
    assert message.to == ["legales@electrosur.test"]
    assert f"https://concilia.test/cedulas/{notice.pk}/" in message.body
    legal_footer = "This is a formal notice with legal effect; the legal deadlines run from the moment it is served."
    assert translated("es-ar", legal_footer) in message.body


def test_serving_twice_with_the_same_key_writes_one_notice(company, representative):
    first = serve(company)
    again = serve(company)
    assert first.pk == again.pk
    assert FormalNotice.objects.count() == 1
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == 1


def test_a_company_without_an_electronic_domicile_cannot_be_served(other_company):
    with pytest.raises(FormalNoticeError):
        serve(other_company)
    assert not FormalNotice.objects.exists()


def test_it_attaches_the_document_to_the_email(company, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = serve(company, document=ContentFile(b"%PDF-1.4 cedula", name="cedula.pdf"))
    assert notice.document.name.endswith("cedula.pdf")
    raw = mail.outbox[0].message().as_bytes()
    assert b"Content-Type: application/pdf" in raw


def test_it_is_served_when_a_representative_first_opens_it(company, representative, second_representative):
    with time_machine.travel(FRIDAY, tick=False) as clock:
        notice = serve(company)
        clock.shift(3600)
        formal_notice_open(notice=notice, by=representative)
        opened_at = local(2026, 11, 20, 11, 0)
        clock.shift(3600)
        formal_notice_open(notice=notice, by=second_representative)  # changes nothing
    notice.refresh_from_db()
    assert notice.opened_at == opened_at
    assert notice.opened_by == representative
    assert notice.served_at == opened_at
    assert notice.served_by_opening


def test_it_is_deemed_served_after_two_business_days_across_the_weekend_and_the_holiday(
    company, django_capture_on_commit_callbacks
):
    announced = []

    def receiver(sender, notice, how, **kwargs):
        announced.append((notice.pk, how))

    formal_notice_served.connect(receiver, dispatch_uid="test-deemed")
    try:
        with time_machine.travel(FRIDAY, tick=False) as clock:
            notice = serve(company)
            # Saturday and Sunday do not count, nor the holiday on Monday: Tuesday 24 and Wednesday 25 do.
            assert notice.deemed_served_at == local(2026, 11, 25, 23, 59, 59)
            for moment in (local(2026, 11, 23, 12, 0), local(2026, 11, 24, 12, 0), local(2026, 11, 25, 23, 0)):
                clock.move_to(moment)
                mark_formal_notices_served.delay()
                notice.refresh_from_db()
                assert notice.served_at is None, moment
            clock.move_to(local(2026, 11, 26, 0, 5))
            with django_capture_on_commit_callbacks(execute=True):
                assert mark_formal_notices_served.delay().get() == 1
    finally:
        formal_notice_served.disconnect(dispatch_uid="test-deemed")
    notice.refresh_from_db()
    assert notice.served_at == notice.deemed_served_at
    assert not notice.served_by_opening
    assert announced == [(notice.pk, "deemed")]


def test_opening_after_the_deadline_keeps_the_earlier_deemed_service(company, representative):
    with time_machine.travel(FRIDAY, tick=False) as clock:
        notice = serve(company)
        clock.move_to(local(2026, 11, 30, 9, 0))  # nobody ran the beat job yet
        formal_notice_open(notice=notice, by=representative)
    notice.refresh_from_db()
    assert notice.opened_at == local(2026, 11, 30, 9, 0)
    assert notice.served_at == local(2026, 11, 25, 23, 59, 59)


def test_someone_who_does_not_represent_the_company_cannot_open_it(company, outsider_representative, consumer, officer):
    notice = serve(company)
    for person in (outsider_representative, consumer, officer):
        with pytest.raises(FormalNoticeError):
            formal_notice_open(notice=notice, by=person)
    notice.refresh_from_db()
    assert notice.opened_at is None


# --- Pages --------------------------------------------------------------------------------------


def test_a_representative_opens_the_notice_by_reading_it(company, representative, client_for):
    notice = serve(company)
    client = client_for(representative)
    response = client.get(reverse("formal_notice_list"))
    assert response.status_code == 200
    assert "Traslado de reclamo" in response.content.decode()
    response = client.get(reverse("formal_notice_detail", args=[notice.pk]))
    assert response.status_code == 200
    assert "Se le corre traslado" in response.content.decode()
    notice.refresh_from_db()
    assert notice.opened_by == representative
    assert notice.served_at == notice.opened_at


def test_strangers_get_a_404_and_open_nothing(company, outsider_representative, consumer, client_for):
    notice = serve(company)
    for person in (outsider_representative, consumer):
        client = client_for(person)
        assert client.get(reverse("formal_notice_detail", args=[notice.pk])).status_code == 404
        assert client.get(reverse("formal_notice_document", args=[notice.pk])).status_code == 404
        assert "Traslado de reclamo" not in client.get(reverse("formal_notice_list")).content.decode()
    notice.refresh_from_db()
    assert notice.opened_at is None


def test_staff_can_read_a_notice_without_serving_it(company, officer, client_for):
    notice = serve(company)
    assert client_for(officer).get(reverse("formal_notice_detail", args=[notice.pk])).status_code == 200
    notice.refresh_from_db()
    assert notice.opened_at is None


def test_downloading_the_document_opens_the_notice(company, representative, media, client_for):
    notice = serve(company, document=ContentFile(b"%PDF-1.4 cedula", name="cedula.pdf"))
    response = client_for(representative).get(reverse("formal_notice_document", args=[notice.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 cedula"
    notice.refresh_from_db()
    assert notice.opened_by == representative


def test_the_list_filters_by_case_number_and_state(company, representative, client_for):
    serve(company)
    other = formal_notice_serve(
        company=company, case_number="DC-2026-000999", subject="Otra cédula", body="…", idempotency_key="other"
    )
    formal_notice_open(notice=other, by=representative)
    client = client_for(representative)
    page = client.get(reverse("formal_notice_list"), {"case_number": "dc-2026-000999"}).content.decode()
    assert "Otra cédula" in page
    assert "Traslado de reclamo" not in page
    page = client.get(reverse("formal_notice_list"), {"state": "unopened"}).content.decode()
    assert "Traslado de reclamo" in page
    assert "Otra cédula" not in page
