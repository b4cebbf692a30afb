"""The clocks follow each move's final rows and never break a move; the beat jobs act only on waits
still open; reminders reach someone, with the words that fit each side; the new waits have clocks."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from complaints import services as case_services
from complaints.models import CaseCompany, CaseEvent, Complaint, Offer, OfferStatus
from complaints.services.offers import offer_make
from complaints.states import State
from hearings.models import Hearing, RecordingConsent
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.outcome import outcome_record
from hearings.services.scheduling import hearing_adjourn, hearing_schedule
from notifications.models import Notification
from oversight import receivers, rules
from oversight.models import Clock, Ending, Kind
from oversight.services import clocks
from oversight.services.clocks import escalate_overdue, send_reminders
from tests.complaints.factories import served_case, submitted_case
from tests.complaints.test_admission_messages import two_companies
from tests.hearings.test_outcome_support import agreement_at, compliance_day, free_slot, hearing_under_way
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def open_clocks(case: Complaint, kind: str) -> list[Clock]:
    return list(Clock.objects.filter(complaint=case, kind=kind, closed_at__isnull=True))


def reminders_to(user) -> list[Notification]:
    return rendered(Notification.objects.filter(event="clock_reminder", recipient=user, channel="email"))


def at(moment: datetime | None):
    assert moment is not None
    return time_machine.travel(moment, tick=False)


# --- A: the clocks follow the move's final rows, and never break a move ---------------------------


def test_a_hearing_booked_through_the_scheduling_service_gets_its_outcome_clock_after_commit(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    case = served_case(consumer, company, officer)
    with django_capture_on_commit_callbacks(execute=True):
        hearing = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(), conciliator=conciliator)
    [clock] = open_clocks(case, Kind.OUTCOME_RECORD)
    assert clock.subject_id == hearing.pk and clock.started_at == hearing.ends_at and clock.assignee == conciliator


def test_an_agreement_outcome_closes_the_outcome_clock_after_commit(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with transaction.atomic():
        clocks.sync_case_clocks(case_services.lock_case(hearing.complaint_id))
    assert open_clocks(hearing.complaint, Kind.OUTCOME_RECORD)
    # The acta's task may never run (broker down, a PDF that fails): the outcome alone closes the wait.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        agreement_at(hearing, conciliator)
    for callback in callbacks:
        if isinstance(callback, receivers._ResyncAfterCommit):
            callback()  # only the clocks' resync, not the acta's task
    assert open_clocks(hearing.complaint, Kind.OUTCOME_RECORD) == []
    assert Clock.objects.get(complaint=hearing.complaint, kind=Kind.OUTCOME_RECORD).ending == Ending.ACTED


def test_a_rule_that_raises_never_stops_a_consumer_filing(consumer, company, monkeypatch, caplog):
    def broken(case):
        raise RuntimeError("bug in one rule")

    rule = rules.RULES[Kind.RECORDING]
    monkeypatch.setitem(rules.RULES, Kind.RECORDING, rules.Rule(rule.kind, rule.who_acts, rule.days, broken, rule.what))
    with caplog.at_level(logging.ERROR, logger="oversight"):
        case = submitted_case(consumer, company)
    assert case.status == State.SUBMITTED
    assert open_clocks(case, Kind.ADMISSION_REVIEW)  # every other rule still ran
    assert "Clock rule recording failed" in caplog.text


def test_a_sync_that_fails_altogether_is_logged_and_the_move_commits(consumer, company, monkeypatch, caplog):
    def failing(case, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")  # a database error: the savepoint takes it back

    monkeypatch.setattr(receivers, "sync_case_clocks", failing)
    with caplog.at_level(logging.ERROR, logger="oversight"):
        case = submitted_case(consumer, company)
    assert Complaint.objects.get(pk=case.pk).status == State.SUBMITTED
    assert CaseEvent.objects.filter(complaint=case, action="submit").exists()
    assert "during its move" in caplog.text


def test_a_move_of_several_events_queues_one_resync_of_its_case(
    consumer, company, officer, django_capture_on_commit_callbacks
):
    case = submitted_case(consumer, company)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        case_services.complaint_admit(complaint=case, by=officer)  # admit, serve: several events
    resyncs = [c for c in callbacks if isinstance(c, receivers._ResyncAfterCommit) and not c.superseded]
    assert len(resyncs) == 1 and resyncs[0].case_id == case.pk
    assert CaseEvent.objects.filter(complaint=case).count() > 2


def test_a_reminder_whose_wait_ended_without_an_event_closes_the_clock_instead(consumer, company, officer, supervisor):
    case = submitted_case(consumer, company)
    [clock] = open_clocks(case, Kind.ADMISSION_REVIEW)
    Complaint.objects.filter(pk=case.pk).update(status=State.ADMITTED)  # no event synced the clock
    with at(clock.remind_at):
        assert send_reminders(Kind.ADMISSION_REVIEW) == 0
    assert reminders_to(supervisor) == []
    clock.refresh_from_db()
    assert clock.closed_at is not None and clock.ending == Ending.ACTED


def test_an_escalation_whose_wait_ended_closes_the_clock_instead(consumer, company):
    case = submitted_case(consumer, company)
    [clock] = open_clocks(case, Kind.ADMISSION_REVIEW)
    Complaint.objects.filter(pk=case.pk).update(status=State.ADMITTED)
    with at(clock.due_at + timedelta(minutes=1)):
        assert escalate_overdue(Kind.ADMISSION_REVIEW) == 0
    assert not CaseEvent.objects.filter(complaint=case, action="clock_escalated").exists()
    clock.refresh_from_db()
    assert clock.ending == Ending.ACTED


def test_a_row_that_raises_is_set_aside_and_the_rest_of_the_rule_goes_on(consumer, company, monkeypatch, caplog):
    first, second = submitted_case(consumer, company), submitted_case(consumer, company)
    real = clocks._escalate

    def flaky(clock, case, rule):
        if case.pk == first.pk:
            raise RuntimeError("bad row")
        real(clock, case, rule)

    monkeypatch.setattr(clocks, "_escalate", flaky)
    due = max(c.due_at for c in Clock.objects.filter(kind=Kind.ADMISSION_REVIEW)) + timedelta(minutes=1)
    with at(due), caplog.at_level(logging.ERROR, logger="oversight"):
        assert escalate_overdue(Kind.ADMISSION_REVIEW) == 1
        assert escalate_overdue(Kind.ADMISSION_REVIEW) == 0  # the bad row no longer heads the queue
    assert CaseEvent.objects.filter(complaint=second, action="clock_escalated").count() == 1
    assert not CaseEvent.objects.filter(complaint=first, action="clock_escalated").exists()
    assert "bad row" in caplog.text


# --- B: a reminder reaches someone ------------------------------------------------------------------


@pytest.fixture
def agreed(consumer, company, officer, conciliator, django_capture_on_commit_callbacks):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    return hearing


@pytest.fixture
def confirmed(agreed, consumer, representative):
    acta_confirm(hearing=agreed, by=consumer)
    acta_confirm(hearing=agreed, by=representative)
    return agreed.complaint


def test_a_homologation_reminder_goes_to_the_director_and_every_delegate(confirmed, director, officer):
    officer.may_homologate = True
    officer.save(update_fields=["may_homologate"])
    [clock] = open_clocks(confirmed, Kind.HOMOLOGATION)
    assert clock.assignee_id is None
    with at(clock.remind_at):
        assert send_reminders(Kind.HOMOLOGATION) == 1
    assert len(reminders_to(director)) == 1 and len(reminders_to(officer)) == 1


def test_an_unassigned_office_wait_reminds_the_supervisors(consumer, company, supervisor, officer):
    case = submitted_case(consumer, company)
    [clock] = open_clocks(case, Kind.ADMISSION_REVIEW)
    with at(clock.remind_at):
        assert send_reminders(Kind.ADMISSION_REVIEW) == 1
    assert len(reminders_to(supervisor)) == 1 and reminders_to(officer) == []


def test_a_reminder_with_nobody_to_tell_is_not_counted_but_moves_on(consumer, company):
    case = submitted_case(consumer, company)  # no supervisor, nobody assigned
    [clock] = open_clocks(case, Kind.ADMISSION_REVIEW)
    with at(clock.remind_at):
        assert send_reminders(Kind.ADMISSION_REVIEW) == 0
        assert send_reminders(Kind.ADMISSION_REVIEW) == 0
    clock.refresh_from_db()
    assert clock.reminders_sent == 1 and clock.remind_at is None
    assert not Notification.objects.filter(event="clock_reminder").exists()


# --- C: the words fit each side and stage -----------------------------------------------------------


def _what_for(row: Notification, what) -> str:
    with translation.override(row.language or settings.LANGUAGE_CODE):
        return str(what)


def test_the_compliance_reminders_say_to_each_side_what_it_must_do_before_and_after_the_date(
    confirmed, director, consumer, representative
):
    agreement = agreement_approve(complaint=confirmed, by=director)
    [clock] = open_clocks(confirmed, Kind.COMPLIANCE_ANSWER)

    with at(clock.remind_at):
        send_reminders(Kind.COMPLIANCE_ANSWER)
    [to_company] = reminders_to(representative)
    [to_consumer] = reminders_to(consumer)
    assert _what_for(to_company, clocks.COMPLY_BY) in to_company.body_text
    assert _what_for(to_consumer, clocks.WILL_BE_ASKED) in to_consumer.body_text
    assert timezone.localdate(clock.remind_at) < agreement.compliance_due

    clock.refresh_from_db()
    with at(clock.remind_at):
        send_reminders(Kind.COMPLIANCE_ANSWER)
    latest_company = max(reminders_to(representative), key=lambda r: r.pk)
    latest_consumer = max(reminders_to(consumer), key=lambda r: r.pk)
    assert _what_for(latest_consumer, clocks.ANSWER_COMPLIANCE) in latest_consumer.body_text
    assert _what_for(latest_company, clocks.UPLOAD_PROOF) in latest_company.body_text


def test_an_acta_reminder_goes_only_to_who_has_not_confirmed_it(agreed, consumer, representative):
    acta_confirm(hearing=agreed, by=consumer)
    [clock] = open_clocks(agreed.complaint, Kind.ACTA_CONFIRMATION)
    with at(clock.remind_at):
        assert send_reminders(Kind.ACTA_CONFIRMATION) == 1
    assert len(reminders_to(representative)) == 1 and reminders_to(consumer) == []


# --- E: waits that are not adverse, recordings every side agreed to ---------------------------------


def test_a_served_company_awaiting_another_companys_paper_service_has_its_answer_clock(
    consumer, company, other_company, officer
):
    case = case_services.complaint_admit(complaint=two_companies(consumer, company, other_company), by=officer)
    assert case.status == State.ADMITTED
    served = CaseCompany.objects.get(complaint=case, company=company)
    [clock] = open_clocks(case, Kind.COMPANY_ANSWER)
    assert clock.subject_id == served.pk


def test_no_recording_clock_when_only_the_consumer_agreed_to_be_recorded(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    RecordingConsent.objects.create(hearing=hearing, user=consumer, consented=True, at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT)
    assert open_clocks(hearing.complaint, Kind.RECORDING) == []


def test_no_recording_clock_for_a_hearing_the_company_missed(
    consumer, company, officer, conciliator, representative, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    for user in (consumer, representative):
        RecordingConsent.objects.create(hearing=hearing, user=user, consented=True, at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    assert open_clocks(hearing.complaint, Kind.RECORDING) == []


# --- F: the new waits --------------------------------------------------------------------------------


def test_a_filed_justification_waits_two_business_days_on_the_office_until_decided(
    consumer, company, officer, conciliator, representative, supervisor
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    justification = absence_justify(hearing=hearing, by=representative, text="Internación del apoderado.")
    [clock] = open_clocks(hearing.complaint, Kind.JUSTIFICATION_DECISION)
    assert clock.who_acts == "office" and clock.business_days == 2 and clock.subject_id == justification.pk
    with at(clock.remind_at):
        assert send_reminders(Kind.JUSTIFICATION_DECISION) == 1
    assert len(reminders_to(supervisor)) == 1

    absence_decide(justification=justification, by=officer, accept=False, reason="Sin constancia.")
    assert Clock.objects.get(complaint=hearing.complaint, kind=Kind.JUSTIFICATION_DECISION).ending == Ending.ACTED


def test_the_first_hearing_is_watched_from_service_until_it_is_booked(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    case = served_case(consumer, company, officer)
    [clock] = open_clocks(case, Kind.FIRST_HEARING)
    case.refresh_from_db()
    assert clock.started_at == case.company_notified_at and clock.who_acts == "office"
    with django_capture_on_commit_callbacks(execute=True):
        hearing_schedule(complaint=case, by=officer, starts_at=free_slot(), conciliator=conciliator)
    assert Clock.objects.get(complaint=case, kind=Kind.FIRST_HEARING).ending == Ending.ACTED


def test_an_unanswered_offer_reminds_the_consumer_then_closes_quietly_and_stays_open(
    consumer, company, officer, representative
):
    case = served_case(consumer, company, officer)
    offer = offer_make(
        complaint=case, by=representative, terms="Devolvemos el dinero.", fulfil_by=compliance_day(), amount=None
    )
    [clock] = open_clocks(case, Kind.OFFER_ANSWER)
    assert clock.subject_id == offer.pk and clock.who_acts == "consumer"
    with at(clock.remind_at):
        assert send_reminders(Kind.OFFER_ANSWER) == 1
    assert len(reminders_to(consumer)) == 1
    events_before = CaseEvent.objects.filter(complaint=case).count()
    with at(clock.due_at + timedelta(minutes=1)):
        assert escalate_overdue(Kind.OFFER_ANSWER) == 1
    clock.refresh_from_db()
    assert clock.ending == Ending.CONSEQUENCE
    assert CaseEvent.objects.filter(complaint=case).count() == events_before  # nothing on the record
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PENDING  # open until the hearing


def test_an_adjourned_hearing_without_a_new_date_waits_on_the_office_until_one_is_set(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    # The hearing is marked adjourned after the transition's event: the clock opens after commit.
    with django_capture_on_commit_callbacks(execute=True):
        hearing_adjourn(hearing=hearing, by=conciliator, reason="Falta documentación.")
    case = hearing.complaint
    [clock] = open_clocks(case, Kind.ADJOURNED_NEW_DATE)
    assert clock.subject_id == hearing.pk and clock.who_acts == "office"
    with django_capture_on_commit_callbacks(execute=True):
        hearing_schedule(complaint=case, by=officer, starts_at=free_slot(), conciliator=conciliator)
    assert Clock.objects.get(complaint=case, kind=Kind.ADJOURNED_NEW_DATE).ending == Ending.ACTED


def test_every_rule_has_a_beat_job():
    from config.beat import beat_schedule
    from oversight import tasks

    schedule = beat_schedule(notification_sweep_seconds=60)
    for kind in rules.RULES:
        assert hasattr(tasks, f"clock_{kind}")
        assert schedule[f"oversight-{kind.replace('_', '-')}"]["task"] == f"oversight.tasks.clock_{kind}"
