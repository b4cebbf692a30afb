"""The deadline sweeps Celery beat runs, in business days: weekends and Argentine national holidays
(Monday 23 November, Monday 7 and Tuesday 8 December 2026) do not count."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from complaints import services, tasks
from complaints.models import CaseEvent, Complaint
from complaints.services import paper
from complaints.states import State
from notifications.models import FormalNotice
from parties.business_days import add_business_days, is_business_day
from parties.services import company_set_electronic_domicile
from tests.complaints.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUENOS_AIRES)


def file_complaint(consumer, company, *, when: datetime) -> Complaint:
    with time_machine.travel(when, tick=False):
        case = services.complaint_start_draft(consumer=consumer)
        services.case_parts.name_company(case, company=company, position=1)
        case.product = "Aire acondicionado"
        case.facts = "Lo instalaron mal y pierde agua."
        case.claim_type = "repair"
        case.declaration_accepted_at = timezone.now()
        case.save()
        return services.complaint_submit(complaint=case, by=consumer)


def run_at(moment: datetime, task) -> int:
    with time_machine.travel(moment, tick=False):
        return task()


def status_of(case: Complaint) -> str:
    return Complaint.objects.get(pk=case.pk).status


def test_it_counts_the_holidays_these_deadlines_cross():
    assert not is_business_day(date(2026, 11, 23))
    assert not is_business_day(date(2026, 12, 7))
    assert not is_business_day(date(2026, 12, 8))
    # Ten business days after Friday 20 November: 24, 25, 26, 27, 30 November, 1-4 December, 9 December.
    assert add_business_days(date(2026, 11, 20), 10) == date(2026, 12, 9)


@pytest.fixture
def observed_on_friday_20(consumer, company, officer) -> Complaint:
    case = file_complaint(consumer, company, when=at(2026, 11, 19, 11))
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        return services.complaint_observe(complaint=case, by=officer, observation="Falta la factura.")


def test_an_observed_complaint_is_archived_only_after_ten_business_days(observed_on_friday_20):
    case = observed_on_friday_20
    assert timezone.localtime(case.correction_due_at).date() == date(2026, 12, 9)

    # Ten weekdays later, and ten "days" if the holidays were forgotten: still open.
    assert run_at(at(2026, 12, 4, 12), tasks.archive_uncorrected_complaints) == 0
    assert run_at(at(2026, 12, 8, 12), tasks.archive_uncorrected_complaints) == 0
    assert run_at(at(2026, 12, 9, 23, 30), tasks.archive_uncorrected_complaints) == 0
    assert status_of(case) == State.OBSERVED

    assert run_at(at(2026, 12, 10, 0, 15), tasks.archive_uncorrected_complaints) == 1

    case.refresh_from_db()
    assert case.status == State.ARCHIVED
    assert timezone.localtime(case.closed_at).date() == date(2026, 12, 10)
    event = CaseEvent.objects.get(complaint=case, action="archive")
    assert (event.from_state, event.to_state, event.actor) == (State.OBSERVED, State.ARCHIVED, None)
    # Running again finds nothing to do.
    assert run_at(at(2026, 12, 10, 0, 30), tasks.archive_uncorrected_complaints) == 0
    assert CaseEvent.objects.filter(complaint=case, action="archive").count() == 1


def test_a_complaint_corrected_in_time_is_not_archived(observed_on_friday_20, consumer):
    case = observed_on_friday_20
    with time_machine.travel(at(2026, 12, 9, 18), tick=False):
        services.complaint_resubmit(complaint=case, by=consumer)

    assert run_at(at(2026, 12, 10, 9), tasks.archive_uncorrected_complaints) == 0

    assert status_of(case) == State.SUBMITTED
    assert not CaseEvent.objects.filter(complaint=case, action="archive").exists()


@pytest.fixture
def admitted_without_domicile(consumer, other_company, officer) -> Complaint:
    case = file_complaint(consumer, other_company, when=at(2026, 11, 19, 11))
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        return services.complaint_admit(complaint=case, by=officer)


def test_a_company_never_proven_notified_is_not_referred_when_ten_business_days_pass(admitted_without_domicile):
    case = admitted_without_domicile
    assert case.status == State.ADMITTED
    # No electronic domicile and no paper notice delivered yet: no deadline runs against it.
    assert case.domicile_due_at is None
    assert case.parts.get().domicile_due_at is None

    assert run_at(at(2026, 12, 10, 9), tasks.refer_complaints_without_domicile) == 0
    assert status_of(case) == State.ADMITTED


def test_a_company_served_on_paper_that_never_sets_up_its_domicile_is_referred_after_ten_business_days(
    admitted_without_domicile, officer
):
    case = admitted_without_domicile
    part = case.parts.get()
    with time_machine.travel(at(2026, 11, 20, 11), tick=False):
        paper.paper_notice_print(part=part, by=officer, address="Av. Rivadavia 100, CABA")
        paper.paper_notice_dispatch(part=part, by=officer, dispatched_on=date(2026, 11, 20), tracking_number="CD1AR")
        receipt = SimpleUploadedFile("acuse.pdf", PDF_BYTES, content_type="application/pdf")
        paper.paper_notice_deliver(part=part, by=officer, delivered_on=date(2026, 11, 20), receipt=receipt)
    case.refresh_from_db()
    # Delivered on Friday 20 November: ten business days from there.
    assert timezone.localtime(case.domicile_due_at).date() == date(2026, 12, 9)

    assert run_at(at(2026, 12, 4, 12), tasks.refer_complaints_without_domicile) == 0
    assert run_at(at(2026, 12, 9, 16), tasks.refer_complaints_without_domicile) == 0
    assert status_of(case) == State.ADMITTED

    with translation.override("en"):
        assert run_at(at(2026, 12, 10, 9), tasks.refer_complaints_without_domicile) == 1

    case.refresh_from_db()
    assert case.status == State.REFERRED
    assert case.closed_at is not None
    event = CaseEvent.objects.get(complaint=case, action="refer")
    assert (event.from_state, event.actor) == (State.ADMITTED, None)
    assert "electronic domicile" in event.reason and "CD1AR" in event.reason


def test_a_company_that_sets_up_its_domicile_in_time_is_served_instead(
    admitted_without_domicile, other_company, officer
):
    case = admitted_without_domicile
    with time_machine.travel(at(2026, 12, 2, 15), tick=False):
        company_set_electronic_domicile(company=other_company, email="legales@conectar.test", by=officer)

    assert run_at(at(2026, 12, 2, 15, 15), tasks.serve_companies_with_new_domicile) == 1

    case.refresh_from_db()
    assert case.status == State.COMPANY_NOTIFIED
    assert case.domicile_due_at is None
    assert timezone.localtime(case.company_notified_at).date() == date(2026, 12, 2)
    event = CaseEvent.objects.get(complaint=case, action="serve_company")
    assert (event.from_state, event.actor) == (State.ADMITTED, None)
    assert FormalNotice.objects.filter(company=other_company, case_number=case.number).count() == 1
    # Past the old deadline nothing refers it, and serving again does nothing.
    assert run_at(at(2026, 12, 10, 9), tasks.refer_complaints_without_domicile) == 0
    assert run_at(at(2026, 12, 10, 9), tasks.serve_companies_with_new_domicile) == 0
    assert status_of(case) == State.COMPANY_NOTIFIED


def test_beat_runs_every_deadline_sweep():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    for name in (
        "complaints.tasks.archive_uncorrected_complaints",
        "complaints.tasks.refer_complaints_without_domicile",
        "complaints.tasks.serve_companies_with_new_domicile",
    ):
        assert schedule[name] == 900.0
        assert import_string(name).name == name
    # Overdue reviews reach the supervisors in the daily digest (oversight/), not one message per case.
    assert "complaints.tasks.deadline_warnings" not in schedule
    assert "oversight.tasks.supervisor_digest" in schedule


def test_the_sweeps_run_as_celery_tasks(observed_on_friday_20):
    with time_machine.travel(at(2026, 12, 10, 9), tick=False):
        result = tasks.archive_uncorrected_complaints.apply()

    assert result.get() == 1
    assert status_of(observed_on_friday_20) == State.ARCHIVED
