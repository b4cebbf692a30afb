"""The office records a paper notice's dispatch, delivery and failed delivery from the company's
paper page: each form calls its service, a refused move comes back as a message, a wrong form as the
page with its errors (never a 500)."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import PaperNotice
from tests.complaints.factories import PNG_BYTES
from tests.complaints.test_paper_service import admitted_against_unregistered, at, print_notice, unregistered_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer, kind=PaperNotice.Kind.CEDULA, address="Av. Corrientes 1234, C1043 CABA")
    return part


def _post(client, name, part, data):
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):
        return client.post(reverse(name, args=[part.pk]), data, follow=True)


def test_the_office_records_dispatch_then_delivery_with_the_receipt(printed, officer, client_for):
    client = client_for(officer)

    page = _post(
        client,
        "paper_notice_dispatch",
        printed,
        {"dispatch-dispatched_on": "2026-11-24", "dispatch-tracking_number": "CD123456789AR"},
    )
    assert "The dispatch was recorded" in page.content.decode()
    notice = PaperNotice.objects.get(part=printed)
    assert notice.status == PaperNotice.Status.DISPATCHED and notice.tracking_number == "CD123456789AR"

    receipt = SimpleUploadedFile("acuse.png", PNG_BYTES, content_type="image/png")
    page = _post(
        client, "paper_notice_deliver", printed, {"deliver-delivered_on": "2026-11-26", "deliver-receipt": receipt}
    )
    assert "The delivery was recorded" in page.content.decode()
    notice.refresh_from_db()
    assert notice.status == PaperNotice.Status.DELIVERED
    printed.refresh_from_db()
    assert printed.notified_at is not None and printed.domicile_due_at is not None


def test_a_failed_delivery_is_recorded_and_asks_for_another_address(printed, officer, client_for):
    client = client_for(officer)
    _post(
        client,
        "paper_notice_dispatch",
        printed,
        {"dispatch-dispatched_on": "2026-11-24", "dispatch-tracking_number": "CD1AR"},
    )

    page = _post(
        client, "paper_notice_fail", printed, {"fail-failed_on": "2026-11-26", "fail-reason": "Domicilio inexistente."}
    )

    assert "Enter another address" in page.content.decode()
    notice = PaperNotice.objects.get(part=printed)
    assert notice.status == PaperNotice.Status.FAILED
    printed.refresh_from_db()
    assert printed.notified_at is None and printed.domicile_due_at is None


def test_a_delivery_before_the_dispatch_is_refused_with_a_message(printed, officer, client_for):
    receipt = SimpleUploadedFile("acuse.png", PNG_BYTES, content_type="image/png")

    page = _post(
        client_for(officer),
        "paper_notice_deliver",
        printed,
        {"deliver-delivered_on": "2026-11-26", "deliver-receipt": receipt},
    )

    assert page.status_code == 200
    assert "Record the dispatch of the notice before its delivery." in page.content.decode()
    assert PaperNotice.objects.get(part=printed).status == PaperNotice.Status.PRINTED


def test_a_wrong_form_shows_the_page_with_its_errors(printed, officer, client_for):
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):
        page = client_for(officer).post(
            reverse("paper_notice_dispatch", args=[printed.pk]),
            {"dispatch-dispatched_on": "", "dispatch-tracking_number": ""},
        )

    assert page.status_code == 400
    assert PaperNotice.objects.get(part=printed).status == PaperNotice.Status.PRINTED
