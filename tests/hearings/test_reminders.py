"""Reminders 48 hours and 1 hour before a hearing, sent by the beat job, each exactly once.

The hearing is on Tuesday 31 March 2026 at 10:00 (Buenos Aires), scheduled on 19 March."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.services import complaint_withdraw
from hearings import tasks
from hearings.models import Hearing
from hearings.reminders import send_due_reminders
from hearings.services.scheduling import hearing_cancel, hearing_reschedule, hearing_schedule
from notifications.models import Notification
from tests.complaints.factories import served_case
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
START = datetime(2026, 3, 31, 10, 0, tzinfo=BA)


@pytest.fixture
def hearing(consumer, company, officer, conciliator, representative) -> Hearing:
    with time_machine.travel(datetime(2026, 3, 19, 11, 0, tzinfo=BA), tick=False):
        case = served_case(consumer, company, officer)
        return hearing_schedule(complaint=case, by=officer, starts_at=START, conciliator=conciliator)


def run_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return send_due_reminders()


def reminder_emails() -> list[Notification]:
    return list(Notification.objects.filter(event="hearing_reminder", channel="email").select_related("recipient"))


def test_nothing_is_sent_more_than_48_hours_before(hearing):
    assert run_at(START - timedelta(hours=48, minutes=1)) == 0
    assert reminder_emails() == []


def test_48_hours_before_every_party_is_reminded_once(hearing, consumer, representative, conciliator):
    assert run_at(START - timedelta(hours=47, minutes=55)) == 1

    assert {row.recipient for row in reminder_emails()} == {consumer, representative, conciliator}
    hearing.refresh_from_db()
    assert hearing.reminded_48h_at == START - timedelta(hours=47, minutes=55)
    assert hearing.reminded_1h_at is None

    # The next runs of the beat job, five minutes apart, find nothing new to send.
    assert run_at(START - timedelta(hours=47, minutes=50)) == 0
    assert run_at(START - timedelta(hours=3)) == 0
    assert len(reminder_emails()) == 3


def test_1_hour_before_they_are_reminded_again_once(hearing):
    run_at(START - timedelta(hours=47))

    assert run_at(START - timedelta(minutes=55)) == 1
    assert run_at(START - timedelta(minutes=50)) == 0

    assert len(reminder_emails()) == 6  # three people, two reminders each
    hearing.refresh_from_db()
    assert hearing.reminded_1h_at == START - timedelta(minutes=55)


def test_a_hearing_already_under_way_gets_no_reminder(hearing):
    assert run_at(START + timedelta(minutes=5)) == 0


def test_a_hearing_booked_within_the_hour_gets_one_reminder_not_two(consumer, company, officer, conciliator):
    now = datetime(2026, 4, 1, 9, 0, tzinfo=BA)
    with time_machine.travel(now, tick=False):
        hearing = scheduled_hearing(consumer, company, officer, conciliator, starts_at=now + timedelta(minutes=40))

    assert run_at(now) == 1

    hearing.refresh_from_db()
    assert hearing.reminded_1h_at == hearing.reminded_48h_at == now
    assert len(reminder_emails()) == 2  # the consumer and the conciliator, once each


def test_a_cancelled_hearing_gets_no_reminder(hearing, officer):
    with time_machine.travel(datetime(2026, 3, 20, 9, 0, tzinfo=BA), tick=False):
        hearing_cancel(hearing=hearing, by=officer, reason="La empresa pidió otra fecha.")

    assert run_at(START - timedelta(hours=47)) == 0
    assert run_at(START - timedelta(minutes=30)) == 0
    assert reminder_emails() == []


def test_a_hearing_whose_case_was_withdrawn_gets_no_reminder(hearing, consumer):
    with time_machine.travel(datetime(2026, 3, 20, 9, 0, tzinfo=BA), tick=False):
        complaint_withdraw(complaint=hearing.complaint, by=consumer, reason="Me devolvieron el dinero.")

    assert run_at(START - timedelta(hours=47)) == 0


def test_a_moved_hearing_is_reminded_again_for_its_new_time(hearing, officer):
    run_at(START - timedelta(hours=47))
    new_start = START + timedelta(days=14)  # Tuesday 14 April, 10:00: past the 5 business days of notice
    with time_machine.travel(START - timedelta(hours=46), tick=False):
        hearing_reschedule(hearing=hearing, by=officer, starts_at=new_start, reason="Se enfermó la conciliadora.")

    assert run_at(START - timedelta(minutes=55)) == 0  # the old time means nothing now
    assert run_at(new_start - timedelta(hours=47)) == 1

    keys = {row.idempotency_key.split(":u")[0] for row in reminder_emails()}
    assert keys == {f"hearing:{hearing.pk}:reminder:48h:0", f"hearing:{hearing.pk}:reminder:48h:1"}


def test_the_beat_task_sends_them(hearing):
    with time_machine.travel(START - timedelta(hours=47), tick=False):
        assert tasks.send_hearing_reminders.delay().get() == 1
