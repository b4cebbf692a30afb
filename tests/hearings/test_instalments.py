"""An agreement paid in instalments: the schedule is checked (dates ascending and after today, amounts
positive, adding up to the agreed amount), each instalment is asked about once when it falls due, a
missed one is a breach, and all of them paid is compliance. The schedule shows on the case page, the
acta and the disposición."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from complaints.models import CaseEvent
from complaints.states import State
from complaints.templatetags.cases import ars
from hearings.errors import HearingError
from hearings.forms.outcome import OutcomeForm
from hearings.models import Agreement, Disposition, Hearing, Instalment
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import (
    ask_consumers_about_compliance,
    instalment_confirm_paid,
    instalment_proof_upload,
    instalment_report_missed,
)
from hearings.services.instalments import check_schedule, parse_schedule
from notifications.models import Notification
from tests.complaints.factories import PDF_BYTES
from tests.hearings.test_outcome_support import agreement_at, hearing_under_way, read_text

AMOUNT = Decimal("90000.00")


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def schedule() -> list[tuple[date, Decimal]]:
    return [(days(30), Decimal("30000")), (days(60), Decimal("30000")), (days(90), Decimal("30000"))]


def at_nine_on(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


@pytest.fixture
def in_instalments(
    consumer, company, officer, conciliator, representative, director, django_capture_on_commit_callbacks
):
    """An agreement in three instalments, the acta confirmed and homologated by the director."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator, amount=AMOUNT, compliance_due=None, instalments=schedule())
    for party in (consumer, representative):
        acta_confirm(hearing=hearing, by=party)
    agreement_approve(complaint=hearing.complaint, by=director)
    return Agreement.objects.get(complaint=hearing.complaint)


# --- The schedule -------------------------------------------------------------------------------------


def test_it_reads_one_instalment_per_line():
    text = f"{days(30).isoformat()} 25000,50\n\n  {days(60).isoformat()}   64999.50  \n"
    assert parse_schedule(text) == [(days(30), Decimal("25000.50")), (days(60), Decimal("64999.50"))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10/03/2027 5000", "Line 1: write the date as YYYY-MM-DD"),
        ("2027-02-30 5000", "Line 1: 2027-02-30 is not a date"),
        ("2027-03-10 cinco", "Line 1: cinco is not an amount"),
        ("2027-03-10 5000\n2027-04-10 10.005", "Line 2: an amount has at most two decimals"),
        ("2027-03-10 5000 pesos", "Line 1: write the date"),
    ],
)
def test_it_refuses_a_line_it_cannot_read_and_names_it(text, message):
    with pytest.raises(HearingError, match=message):
        parse_schedule(text)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(days(30), Decimal("90000"))], "at least two instalments"),
        ([(days(0), Decimal("45000")), (days(30), Decimal("45000"))], "Instalment 1: its due date must be after today"),
        ([(days(60), Decimal("45000")), (days(30), Decimal("45000"))], "Instalment 2: the due dates must go forward"),
        ([(days(30), Decimal("45000")), (days(30), Decimal("45000"))], "Instalment 2: the due dates must go forward"),
        ([(days(30), Decimal("90000")), (days(60), Decimal("0"))], "Instalment 2: the amount must be more than zero"),
        ([(days(30), Decimal("40000")), (days(60), Decimal("40000"))], "add up to 80000.00, not to the agreed amount"),
    ],
)
def test_it_refuses_a_schedule_that_does_not_hold(rows, message):
    with pytest.raises(HearingError, match=message):
        check_schedule(rows, amount=AMOUNT)


def test_a_schedule_without_an_agreed_amount_needs_no_sum():
    assert check_schedule([(days(30), Decimal("10")), (days(60), Decimal("20"))], amount=None)


def test_the_outcome_form_takes_a_schedule_instead_of_a_deadline():
    lines = "\n".join(f"{due.isoformat()} {amount}" for due, amount in schedule())
    form = OutcomeForm({"outcome": "agreement", "terms": "Pago en cuotas.", "amount": "90000", "instalments": lines})
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["instalments"] == schedule()

    wrong = OutcomeForm({"outcome": "agreement", "terms": "Pago.", "amount": "100000", "instalments": lines})
    assert not wrong.is_valid()
    assert "not to the agreed amount" in str(wrong.errors["instalments"])
    unreadable = OutcomeForm({"outcome": "agreement", "terms": "Pago.", "instalments": "mañana 5000"})
    assert not unreadable.is_valid()
    assert "Line 1" in str(unreadable.errors["instalments"])


def test_the_outcome_keeps_the_schedule_and_its_last_date_is_the_deadline(in_instalments):
    assert in_instalments.compliance_due == days(90)
    rows = list(in_instalments.instalments.values_list("number", "due_date", "amount"))
    assert rows == [(n, due, amount) for n, (due, amount) in enumerate(schedule(), start=1)]


def test_the_outcome_refuses_a_bad_schedule_and_records_nothing(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with pytest.raises(HearingError, match="add up to"):
        agreement_at(hearing, conciliator, amount=AMOUNT, instalments=schedule()[:2])
    hearing.refresh_from_db()
    assert hearing.outcome == "" and not Agreement.objects.exists()


# --- Where it shows -----------------------------------------------------------------------------------


def test_the_acta_the_disposition_and_the_case_page_show_the_schedule(in_instalments, consumer, client_for):
    acta = Hearing.objects.get(complaint=in_instalments.complaint).acta
    disposition = Disposition.objects.get(complaint=in_instalments.complaint)
    with translation.override(settings.LANGUAGE_CODE):  # the PDFs are in the office's language
        each = ars(Decimal("30000"))
    for pdf in (acta.file.read(), disposition.file.read()):
        assert read_text(pdf).count(each.replace("\xa0", " ")) == 3  # one row per instalment
    page = client_for(consumer).get(reverse("complaint_detail", args=[in_instalments.complaint_id]))
    body = page.content.decode()
    assert "Instalments" in body and "Not due yet" in body
    assert reverse("instalment_answer", args=[in_instalments.instalments.first().pk]) in body


# --- The follow-up ------------------------------------------------------------------------------------


def test_the_consumer_is_asked_about_each_instalment_once(in_instalments, consumer, representative):
    first, second, _third = in_instalments.instalments.order_by("number")
    with time_machine.travel(at_nine_on(days(29))):
        assert ask_consumers_about_compliance() == 0
    with time_machine.travel(at_nine_on(days(30))):
        assert ask_consumers_about_compliance() == 1
        assert ask_consumers_about_compliance() == 0  # once
    asked = Notification.objects.filter(event="compliance_due")
    assert set(asked.values_list("recipient__email", flat=True)) == {consumer.email}
    assert asked.filter(idempotency_key__contains=f"instalment:{first.pk}:due").exists()
    first.refresh_from_db()
    assert first.asked_at is not None
    events = CaseEvent.objects.filter(complaint=in_instalments.complaint, action="instalment_asked")
    assert events.count() == 1
    with time_machine.travel(at_nine_on(days(61))):
        assert ask_consumers_about_compliance() == 1
    second.refresh_from_db()
    assert second.asked_at is not None
    assert events.count() == 2


def test_all_instalments_paid_is_compliance(in_instalments, consumer, client_for):
    case = in_instalments.complaint
    for instalment in in_instalments.instalments.order_by("number"):
        with time_machine.travel(at_nine_on(instalment.due_date)):
            ask_consumers_about_compliance()
            response = client_for(consumer).post(reverse("instalment_answer", args=[instalment.pk]), {"paid": "yes"})
            assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.COMPLIED
    actions = list(CaseEvent.objects.filter(complaint=case).values_list("action", flat=True))
    assert actions.count("instalment_paid") == 3 and actions[-1] == "confirm_compliance"


def test_an_instalment_answered_twice_is_refused(in_instalments, consumer):
    first = in_instalments.instalments.order_by("number").first()
    instalment_confirm_paid(instalment=first, by=consumer)
    with pytest.raises(HearingError, match="already answered"):
        instalment_confirm_paid(instalment=first, by=consumer)


def test_a_missed_instalment_is_a_breach_and_the_case_is_referred(in_instalments, consumer, representative):
    first, second, _third = in_instalments.instalments.order_by("number")
    with pytest.raises(HearingError, match="not due yet"):
        instalment_report_missed(instalment=first, by=consumer, details="No pagaron.")
    with time_machine.travel(at_nine_on(days(30))):
        ask_consumers_about_compliance()
        instalment_confirm_paid(instalment=first, by=consumer)
    with time_machine.travel(at_nine_on(days(61))):
        ask_consumers_about_compliance()
        instalment_report_missed(instalment=second, by=consumer, details="No llegó la transferencia.")
    case = in_instalments.complaint
    case.refresh_from_db()
    assert case.status == State.REFERRED
    breach = CaseEvent.objects.get(complaint=case, action="report_breach")
    assert "No llegó la transferencia." in breach.reason and "2" in breach.reason
    second.refresh_from_db()
    assert second.reported_missed_at is not None
    assert Notification.objects.filter(event="agreement_breached", recipient=representative).exists()


def test_only_the_consumer_side_or_the_office_answers_and_a_stranger_gets_a_404(
    in_instalments, representative, stranger, client_for
):
    first = in_instalments.instalments.order_by("number").first()
    url = reverse("instalment_answer", args=[first.pk])
    assert client_for(representative).post(url, {"paid": "yes"}).status_code == 403
    assert client_for(stranger).post(url, {"paid": "yes"}).status_code == 404
    first.refresh_from_db()
    assert first.paid_confirmed_at is None


def test_the_company_uploads_proof_of_an_instalment(in_instalments, representative, consumer, stranger, client_for):
    first = in_instalments.instalments.order_by("number").first()
    response = client_for(representative).post(
        reverse("instalment_proof_upload", args=[first.pk]),
        {"proof": SimpleUploadedFile("cuota1.pdf", PDF_BYTES, content_type="application/pdf")},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.proof_uploaded_by == representative and first.proof_original_name == "cuota1.pdf"
    download = client_for(consumer).get(reverse("instalment_proof_download", args=[first.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert client_for(stranger).get(reverse("instalment_proof_download", args=[first.pk])).status_code == 404
    with pytest.raises(HearingError):
        instalment_proof_upload(instalment=first, by=consumer, upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    assert Instalment.objects.filter(proof="").count() == 2


def test_the_conciliator_records_a_schedule_from_the_console(consumer, company, officer, conciliator, client_for):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    console = client_for(conciliator).get(reverse("hearing_console", args=[hearing.pk])).content.decode()
    assert 'name="instalments"' in console
    lines = "\n".join(f"{due.isoformat()} {amount}" for due, amount in schedule())
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[hearing.pk]),
        {"outcome": "agreement", "terms": "Pago en tres cuotas.", "amount": "90000", "instalments": lines},
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(complaint=hearing.complaint)
    assert agreement.compliance_due == days(90)
    assert agreement.instalments.count() == 3
