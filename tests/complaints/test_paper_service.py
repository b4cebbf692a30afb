"""Serving on paper a firm that never registered (issue 12): its deadline to set up an electronic
domicile starts only from the recorded delivery of a paper notice, never from the admission; a
failed delivery leaves the clock stopped and asks the office for another address."""

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from complaints import services, tasks
from complaints.errors import CaseError
from complaints.models import CaseCompany, CaseEvent, Complaint, PaperNotice, PartStatus, ServiceMethod
from complaints.services import paper
from complaints.states import State
from notifications.models import Notification
from parties.services import company_set_electronic_domicile
from tests.complaints.factories import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
ADDRESS = "Av. Corrientes 1234, C1043 CABA"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUENOS_AIRES)


def admitted_against_unregistered(consumer, officer, *, when=None, cuit="30711111114", also=None) -> Complaint:
    """Admitted on Friday 20 November 2026 against a firm named only by CUIT, name and address
    (after `also`, a registered company, when given)."""
    with time_machine.travel(when or at(2026, 11, 20, 10), tick=False):
        case = services.complaint_start_draft(consumer=consumer)
        if also is not None:
            services.case_parts.name_company(case, company=also)
        services.case_parts.name_company(case, cuit=cuit, name="Muebles Fantasma S.R.L.", address=ADDRESS)
        case.product = "Placard de tres puertas"
        case.facts = "Pagué el placard y nunca lo entregaron."
        case.claim_type = "refund"
        case.declaration_accepted_at = timezone.now()
        case.save()
        case = services.complaint_submit(complaint=case, by=consumer)
        return services.complaint_admit(complaint=case, by=officer)


def unregistered_part(case: Complaint) -> CaseCompany:
    return CaseCompany.objects.get(complaint=case, company__electronic_domicile="")


def run_at(moment: datetime, task) -> int:
    with time_machine.travel(moment, tick=False):
        return task()


def print_notice(part, officer, *, when=None, **kwargs) -> PaperNotice:
    with time_machine.travel(when or at(2026, 11, 20, 11), tick=False):
        return paper.paper_notice_print(part=part, by=officer, **kwargs)


def dispatch(part, officer, *, on=date(2026, 11, 24), tracking="CD123456789AR") -> PaperNotice:
    with time_machine.travel(at(on.year, on.month, on.day, 12), tick=False):
        return paper.paper_notice_dispatch(part=part, by=officer, dispatched_on=on, tracking_number=tracking)


def deliver(part, officer, *, on=date(2026, 11, 26)) -> PaperNotice:
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):  # recorded the Monday after
        receipt = SimpleUploadedFile("acuse.png", PNG_BYTES, content_type="image/png")
        return paper.paper_notice_deliver(part=part, by=officer, delivered_on=on, receipt=receipt)


def test_admitted_against_an_unregistered_firm_no_deadline_runs_and_nothing_is_referred(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)

    assert case.status == State.ADMITTED
    assert (case.domicile_due_at, part.domicile_due_at, part.notified_at) == (None, None, None)
    assert list(paper.parts_to_serve_on_paper().values_list("pk", flat=True)) == [part.pk]
    # Ten business days later (9 December), and well after: nobody was proven told, nothing happens.
    assert run_at(at(2026, 12, 10, 9), tasks.refer_complaints_without_domicile) == 0
    assert run_at(at(2027, 3, 1, 9), tasks.refer_complaints_without_domicile) == 0
    assert Complaint.objects.get(pk=case.pk).status == State.ADMITTED
    assert not CaseEvent.objects.filter(complaint=case, action="refer").exists()


def test_the_deadline_starts_at_the_recorded_delivery_and_then_the_firm_is_referred(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)

    notice = print_notice(part, officer)
    assert notice.status == PaperNotice.Status.PRINTED and notice.address == ADDRESS
    pdf = notice.document.read()
    assert pdf.startswith(b"%PDF-")
    assert notice.sha256 == hashlib.sha256(pdf).hexdigest()
    printed = CaseEvent.objects.get(complaint=case, action="paper_notice_printed")
    assert ADDRESS in printed.reason and notice.sha256 in printed.reason

    dispatch(part, officer)
    dispatched = CaseEvent.objects.get(complaint=case, action="paper_notice_dispatched")
    assert "CD123456789AR" in dispatched.reason and ADDRESS in dispatched.reason
    part.refresh_from_db()
    assert part.domicile_due_at is None  # dispatched is not delivered: still no clock

    notice = deliver(part, officer)  # delivered Thursday 26 November, recorded the Monday after
    assert notice.status == PaperNotice.Status.DELIVERED and str(notice.receipt.name).endswith(".png")
    part.refresh_from_db()
    case.refresh_from_db()
    assert timezone.localdate(part.notified_at) == date(2026, 11, 26)
    assert part.service_method == ServiceMethod.PAPER
    # Ten business days from the delivery: 27, 30 Nov, 1-4 Dec, (7, 8 holidays) 9, 10, 11, 14 Dec.
    assert timezone.localdate(part.domicile_due_at) == date(2026, 12, 14)
    assert case.domicile_due_at == part.domicile_due_at
    delivered = CaseEvent.objects.get(complaint=case, action="paper_notice_delivered")
    assert "CD123456789AR" in delivered.reason
    [told] = Notification.objects.filter(recipient=consumer, event="company_served", channel="inbox")
    assert told.idempotency_key.startswith(f"paper-notice:{notice.pk}:delivered")
    assert not paper.parts_to_serve_on_paper().filter(pk=part.pk).exists()

    assert run_at(at(2026, 12, 14, 23), tasks.refer_complaints_without_domicile) == 0
    with translation.override("en"):
        assert run_at(at(2026, 12, 15, 9), tasks.refer_complaints_without_domicile) == 1

    case.refresh_from_db()
    assert case.status == State.REFERRED
    refer = CaseEvent.objects.get(complaint=case, action="refer")
    assert refer.actor is None
    assert "electronic domicile" in refer.reason
    assert "CD123456789AR" in refer.reason and ADDRESS in refer.reason and "11/26/2026" in refer.reason
    assert run_at(at(2026, 12, 16, 9), tasks.refer_complaints_without_domicile) == 0


def test_a_failed_delivery_keeps_the_clock_stopped_and_a_new_address_gets_a_new_notice(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)
    dispatch(part, officer)

    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        failed = paper.paper_notice_fail(
            part=part, by=officer, failed_on=date(2026, 11, 26), reason="Domicilio inexistente"
        )

    assert failed.status == PaperNotice.Status.FAILED
    part.refresh_from_db()
    assert (part.notified_at, part.domicile_due_at, part.status) == (None, None, PartStatus.NAMED)
    event = CaseEvent.objects.get(complaint=case, action="paper_notice_failed")
    assert "Domicilio inexistente" in event.reason and "CD123456789AR" in event.reason
    needing_address = paper.filter_by_last_notice(paper.parts_to_serve_on_paper(), "failed")
    assert list(needing_address.values_list("pk", flat=True)) == [part.pk]
    assert run_at(at(2027, 2, 1, 9), tasks.refer_complaints_without_domicile) == 0

    again = print_notice(part, officer, when=at(2026, 11, 30, 10), address="Av. Santa Fe 4321, C1425 CABA")
    part.refresh_from_db()
    assert again.address == part.address == "Av. Santa Fe 4321, C1425 CABA"
    assert PaperNotice.objects.filter(part=part).count() == 2
    assert not paper.filter_by_last_notice(paper.parts_to_serve_on_paper(), "failed").exists()


def test_a_second_notice_while_one_is_in_flight_is_refused(consumer, officer, client_for):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)

    with pytest.raises(CaseError, match="already on its way"):
        print_notice(part, officer, kind=PaperNotice.Kind.CARTA_DOCUMENTO)

    client = client_for(officer)
    response = client.post(reverse("paper_notice_print", args=[part.pk]), {"print-kind": "cedula"}, follow=True)
    assert "already on its way" in response.content.decode()
    assert PaperNotice.objects.filter(part=part).count() == 1
    assert CaseEvent.objects.filter(complaint=case, action="paper_notice_printed").count() == 1


def test_a_receipt_that_is_not_a_pdf_or_image_is_refused_and_nothing_changes(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)
    dispatch(part, officer)

    fake = SimpleUploadedFile("acuse.pdf", b"<html>not a receipt</html>", content_type="application/pdf")
    with pytest.raises(CaseError, match="not a PDF, JPEG or PNG"):
        paper.paper_notice_deliver(part=part, by=officer, delivered_on=date(2026, 11, 26), receipt=fake)

    part.refresh_from_db()
    assert part.notified_at is None
    assert PaperNotice.objects.get(part=part).status == PaperNotice.Status.DISPATCHED


def test_the_office_serves_on_paper_through_its_pages(consumer, officer, client_for):
    case = admitted_against_unregistered(consumer, officer, when=at(2026, 11, 20, 10))
    part = unregistered_part(case)
    client = client_for(officer)

    listing = client.get(reverse("paper_service_list"))
    assert listing.status_code == 200 and "Muebles Fantasma" in listing.content.decode()
    page = client.get(reverse("paper_part", args=[part.pk]))
    assert page.status_code == 200 and ADDRESS in page.content.decode()

    response = client.post(reverse("paper_notice_print", args=[part.pk]), {"print-kind": "cedula", "print-address": ""})
    assert response.status_code == 302
    notice = PaperNotice.objects.get(part=part)
    download = client.get(reverse("paper_notice_document", args=[notice.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == notice.document.open("rb").read()

    today = timezone.localdate().isoformat()
    client.post(
        reverse("paper_notice_dispatch", args=[part.pk]),
        {"dispatch-dispatched_on": today, "dispatch-tracking_number": "CD999AR"},
    )
    # A delivery without its receipt: the form again, with the error, and nothing recorded.
    missing = client.post(reverse("paper_notice_deliver", args=[part.pk]), {"deliver-delivered_on": today})
    assert missing.status_code == 400
    client.post(
        reverse("paper_notice_deliver", args=[part.pk]),
        {"deliver-delivered_on": today, "deliver-receipt": SimpleUploadedFile("acuse.pdf", PDF_BYTES)},
    )

    part.refresh_from_db()
    assert part.notified_at is not None and part.domicile_due_at is not None
    assert PaperNotice.objects.get(part=part).tracking_number == "CD999AR"
    case_file = client.get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert "Notices on paper" in case_file and "CD999AR" in case_file


def test_consumers_and_companies_cannot_reach_the_paper_pages(consumer, officer, representative, client_for):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    notice = print_notice(part, officer)

    for person in (consumer, representative):
        client = client_for(person)
        for url in (
            reverse("paper_service_list"),
            reverse("paper_part", args=[part.pk]),
            reverse("paper_notice_document", args=[notice.pk]),
        ):
            assert client.get(url).status_code in (403, 404), url
        refused = client.post(reverse("paper_notice_dispatch", args=[part.pk]), {})
        assert refused.status_code in (403, 404)
    assert PaperNotice.objects.get(pk=notice.pk).status == PaperNotice.Status.PRINTED
    assert (
        "Notices on paper" not in client_for(consumer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    )


def test_the_list_makes_as_many_queries_for_one_company_as_for_many(consumer, officer, client_for):
    client = client_for(officer)
    admitted_against_unregistered(consumer, officer, cuit="30711111114")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("paper_service_list")).status_code == 200
        return len(captured)

    one = queries()
    admitted_against_unregistered(consumer, officer, cuit="30722222227")
    admitted_against_unregistered(consumer, officer, cuit="30733333330")
    assert queries() == one


def test_a_firm_that_sets_up_its_domicile_after_the_paper_notice_is_served_electronically(consumer, officer):
    case = admitted_against_unregistered(consumer, officer)
    part = unregistered_part(case)
    print_notice(part, officer)
    dispatch(part, officer)
    deliver(part, officer)

    with time_machine.travel(at(2026, 12, 2, 15), tick=False):
        assert part.company is not None
        company_set_electronic_domicile(company=part.company, email="legales@fantasma.test", by=officer)
    assert run_at(at(2026, 12, 2, 15, 15), tasks.serve_companies_with_new_domicile) == 1

    case.refresh_from_db()
    part.refresh_from_db()
    assert case.status == State.COMPANY_NOTIFIED
    assert part.service_method == ServiceMethod.ELECTRONIC and part.domicile_due_at is None
    assert run_at(at(2026, 12, 15, 9), tasks.refer_complaints_without_domicile) == 0


def test_in_a_case_of_several_companies_only_the_firm_notified_on_paper_is_referred(consumer, officer, company):
    case = admitted_against_unregistered(consumer, officer, also=company)
    part = unregistered_part(case)
    assert case.status == State.ADMITTED  # the registered company is served; the other awaits paper
    print_notice(part, officer)
    dispatch(part, officer)
    deliver(part, officer)

    with translation.override("en"):
        assert run_at(at(2026, 12, 15, 9), tasks.refer_complaints_without_domicile) == 1

    part.refresh_from_db()
    case.refresh_from_db()
    assert part.status == PartStatus.REFERRED
    assert case.status == State.COMPANY_NOTIFIED  # no company awaits service now: the case goes on
    event = CaseEvent.objects.get(complaint=case, action="part_referred")
    assert "Muebles Fantasma" in event.reason and "CD123456789AR" in event.reason
