"""Each waiting state's clock, with frozen time: it opens on the right event, its reminder goes once,
its escalation or consequence happens once with its event, and it closes when the party acts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from complaints import services as case_services
from complaints.models import CaseEvent, Complaint
from hearings.models import Hearing, RecordingConsent
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_confirm
from hearings.services.outcome import outcome_record
from hearings.services.room import recording_register
from hearings.services.scheduling import hearing_schedule
from notifications.models import Notification
from oversight.models import Clock, Ending, Kind
from oversight.services.clocks import escalate_overdue, send_reminders, sync_case_clocks
from tests.complaints.factories import served_case, submitted_case
from tests.hearings.factories import scheduled_hearing
from tests.hearings.test_outcome_support import agreement_at, free_slot, hearing_under_way

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
# A Monday with no holiday in the two weeks after it.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def open_clock(kind: str, case: Complaint) -> Clock:
    return Clock.objects.get(kind=kind, complaint=case, closed_at__isnull=True)


def run_twice(job, kind: str, at: datetime | None) -> list[int]:
    assert at is not None
    with time_machine.travel(at, tick=False):
        return [job(kind), job(kind)]


def reminders_to(user) -> int:
    return Notification.objects.filter(event="clock_reminder", recipient=user, channel="email").count()


def events(case: Complaint, action: str) -> int:
    return CaseEvent.objects.filter(complaint=case, action=action).count()


def past_due(clock: Clock) -> datetime:
    return clock.due_at + timedelta(minutes=1)


# --- Admission review -------------------------------------------------------------------------------


def test_it_opens_the_admission_review_clock_on_submission_with_the_review_deadline(consumer, company):
    case = submitted_case(consumer, company)
    clock = open_clock(Kind.ADMISSION_REVIEW, case)
    assert clock.due_at == case.review_due_at
    assert clock.who_acts == "office"


def test_it_reminds_the_assigned_officer_once_and_escalates_once(consumer, company, officer):
    case = submitted_case(consumer, company)
    Complaint.objects.filter(pk=case.pk).update(assigned_officer=officer)
    with transaction.atomic():
        sync_case_clocks(case_services.lock_case(case.pk))
    clock = open_clock(Kind.ADMISSION_REVIEW, case)
    assert clock.assignee == officer and clock.remind_at is not None

    assert run_twice(send_reminders, Kind.ADMISSION_REVIEW, clock.remind_at) == [1, 0]
    assert reminders_to(officer) == 1

    assert run_twice(escalate_overdue, Kind.ADMISSION_REVIEW, past_due(clock)) == [1, 0]
    assert events(case, "clock_escalated") == 1
    assert open_clock(Kind.ADMISSION_REVIEW, case).escalated_at is not None


def test_the_admission_clock_closes_when_the_officer_admits(consumer, company, officer):
    case = submitted_case(consumer, company)
    case_services.complaint_admit(complaint=case, by=officer)
    clock = Clock.objects.get(kind=Kind.ADMISSION_REVIEW, complaint=case)
    assert clock.closed_at is not None and clock.ending == Ending.ACTED


# --- Company answer ---------------------------------------------------------------------------------


def test_a_silent_company_is_reminded_once_then_its_window_closes_quietly_and_the_hearing_proceeds(
    consumer, company, officer, representative
):
    case = served_case(consumer, company, officer)
    clock = open_clock(Kind.COMPANY_ANSWER, case)
    assert clock.who_acts == "company"

    assert run_twice(send_reminders, Kind.COMPANY_ANSWER, clock.remind_at) == [1, 0]
    assert reminders_to(representative) == 1

    assert run_twice(escalate_overdue, Kind.COMPANY_ANSWER, past_due(clock)) == [1, 0]
    # A service target, not a legal deadline (Ley 757 sets none): nothing adverse on the case's record.
    assert events(case, "answer_window_closed") == 0 and events(case, "clock_escalated") == 0
    clock.refresh_from_db()
    assert clock.ending == Ending.CONSEQUENCE
    case.refresh_from_db()
    assert case.status == "company_notified"
    # A later event does not reopen a window that closed.
    with transaction.atomic():
        sync_case_clocks(case_services.lock_case(case.pk))
    assert not Clock.objects.filter(kind=Kind.COMPANY_ANSWER, complaint=case, closed_at__isnull=True).exists()


def test_the_answer_clock_closes_when_the_company_answers(consumer, company, officer, representative):
    case = served_case(consumer, company, officer)
    case_services.company_answer(complaint=case, by=representative, text="No reconocemos el reclamo.")
    assert Clock.objects.get(kind=Kind.COMPANY_ANSWER, complaint=case).ending == Ending.ACTED


# --- Outcome not recorded ---------------------------------------------------------------------------


def test_the_conciliator_is_reminded_and_the_supervisors_alerted_when_no_outcome_is_recorded(
    consumer, company, officer, conciliator
):
    hearing = scheduled_hearing(consumer, company, officer, conciliator)
    clock = open_clock(Kind.OUTCOME_RECORD, hearing.complaint)
    assert clock.started_at == hearing.ends_at and clock.assignee == conciliator

    assert run_twice(send_reminders, Kind.OUTCOME_RECORD, clock.remind_at) == [1, 0]
    assert reminders_to(conciliator) == 1
    assert run_twice(escalate_overdue, Kind.OUTCOME_RECORD, past_due(clock)) == [1, 0]
    assert events(hearing.complaint, "clock_escalated") == 1


def test_the_outcome_clock_closes_when_the_outcome_is_recorded(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT)
    assert Clock.objects.get(kind=Kind.OUTCOME_RECORD, complaint=hearing.complaint).ending == Ending.ACTED


# --- Acta confirmation ------------------------------------------------------------------------------


@pytest.fixture
def agreed(consumer, company, officer, conciliator, django_capture_on_commit_callbacks):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    return hearing


def test_an_unconfirmed_agreement_acta_is_not_deemed_confirmed_the_office_decides(agreed, consumer, representative):
    case = agreed.complaint
    clock = open_clock(Kind.ACTA_CONFIRMATION, case)

    assert run_twice(send_reminders, Kind.ACTA_CONFIRMATION, clock.remind_at) == [1, 0]
    assert reminders_to(consumer) == 1 and reminders_to(representative) == 1

    assert run_twice(escalate_overdue, Kind.ACTA_CONFIRMATION, past_due(clock)) == [1, 0]
    assert events(case, "clock_escalated") == 1
    assert events(case, "acta_deemed_notified") == 0
    assert open_clock(Kind.ACTA_CONFIRMATION, case).escalated_at is not None


def test_the_acta_clock_closes_when_both_confirm_and_homologation_starts(agreed, consumer, representative):
    case = agreed.complaint
    acta_confirm(hearing=agreed, by=consumer)
    assert open_clock(Kind.ACTA_CONFIRMATION, case)  # the company still has to confirm
    acta_confirm(hearing=agreed, by=representative)
    assert Clock.objects.get(kind=Kind.ACTA_CONFIRMATION, complaint=case).ending == Ending.ACTED
    assert open_clock(Kind.HOMOLOGATION, case).who_acts == "director"


def test_an_acta_of_no_agreement_is_taken_as_notified_once_its_deadline_passes(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT)
    case = hearing.complaint
    clock = open_clock(Kind.ACTA_CONFIRMATION, case)

    assert run_twice(escalate_overdue, Kind.ACTA_CONFIRMATION, past_due(clock)) == [1, 0]
    assert events(case, "acta_deemed_notified") == 1
    clock.refresh_from_db()
    assert clock.ending == Ending.CONSEQUENCE


# --- Homologation and compliance --------------------------------------------------------------------


@pytest.fixture
def confirmed(agreed, consumer, representative):
    acta_confirm(hearing=agreed, by=consumer)
    acta_confirm(hearing=agreed, by=representative)
    return agreed.complaint


def test_a_pending_homologation_is_escalated_once_and_closes_on_approval(confirmed, director):
    clock = open_clock(Kind.HOMOLOGATION, confirmed)
    assert run_twice(escalate_overdue, Kind.HOMOLOGATION, past_due(clock)) == [1, 0]
    assert events(confirmed, "clock_escalated") == 1

    agreement_approve(complaint=confirmed, by=director)
    assert Clock.objects.get(kind=Kind.HOMOLOGATION, complaint=confirmed).ending == Ending.ACTED
    assert open_clock(Kind.COMPLIANCE_ANSWER, confirmed)


def test_both_parties_are_reminded_before_and_after_the_compliance_date_then_the_office_decides(
    confirmed, director, consumer, representative
):
    agreement = agreement_approve(complaint=confirmed, by=director)
    clock = open_clock(Kind.COMPLIANCE_ANSWER, confirmed)
    assert timezone.localdate(clock.started_at) == agreement.compliance_due

    first = clock.remind_at
    assert first is not None and timezone.localdate(first) < agreement.compliance_due
    assert run_twice(send_reminders, Kind.COMPLIANCE_ANSWER, first) == [1, 0]
    clock.refresh_from_db()
    second = clock.remind_at
    assert second is not None and timezone.localdate(second) > agreement.compliance_due
    assert run_twice(send_reminders, Kind.COMPLIANCE_ANSWER, second) == [1, 0]
    assert reminders_to(consumer) == 2 and reminders_to(representative) == 2

    assert run_twice(escalate_overdue, Kind.COMPLIANCE_ANSWER, past_due(clock)) == [1, 0]
    assert events(confirmed, "clock_escalated") == 1

    with time_machine.travel(past_due(clock), tick=False):
        compliance_confirm(complaint=confirmed, by=consumer)
    assert Clock.objects.get(kind=Kind.COMPLIANCE_ANSWER, complaint=confirmed).ending == Ending.ACTED


# --- Rehearing after an excused absence -------------------------------------------------------------


def test_a_new_hearing_not_set_after_an_excused_absence_is_escalated_until_it_is_scheduled(
    consumer, company, officer, conciliator, representative
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    justification = absence_justify(hearing=hearing, by=representative, text="Internación del apoderado.")
    absence_decide(justification=justification, by=officer, accept=True)
    case = hearing.complaint
    clock = open_clock(Kind.REHEARING, case)

    assert run_twice(escalate_overdue, Kind.REHEARING, past_due(clock)) == [1, 0]
    assert events(case, "clock_escalated") == 1

    hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=2), conciliator=conciliator)
    assert Clock.objects.get(kind=Kind.REHEARING, complaint=case).ending == Ending.ACTED


# --- Recording --------------------------------------------------------------------------------------


def test_a_recording_the_parties_agreed_to_is_watched_until_registered(
    consumer, company, officer, conciliator, representative, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    RecordingConsent.objects.create(hearing=hearing, user=consumer, consented=True, at=timezone.now())
    RecordingConsent.objects.create(hearing=hearing, user=representative, consented=True, at=timezone.now())
    # The hearing is marked held after the outcome's event; the acta's event (which always follows
    # an outcome) opens the clock.
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT)
    case = hearing.complaint
    clock = open_clock(Kind.RECORDING, case)
    assert clock.assignee == conciliator

    assert run_twice(send_reminders, Kind.RECORDING, clock.remind_at) == [1, 0]
    assert reminders_to(conciliator) == 1
    assert run_twice(escalate_overdue, Kind.RECORDING, past_due(clock)) == [1, 0]

    recording_register(hearing=hearing, by=conciliator, url="https://grabaciones.example/1")
    assert Clock.objects.get(kind=Kind.RECORDING, complaint=case).ending == Ending.ACTED
