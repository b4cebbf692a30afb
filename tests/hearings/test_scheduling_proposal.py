"""The proposal of hearing slots for a served case, on the 2026 calendar.

The company is served on Thursday 19 March 2026. Five business days of notice skip the weekend and
the national holidays of Monday 23 (bridge) and Tuesday 24 March (Día de la Memoria): Friday 20,
Wednesday 25, Thursday 26, Friday 27 and Monday 30. The first day a hearing can be held is
Tuesday 31 March; Thursday 2 and Friday 3 April are holidays too (Malvinas, Good Friday)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from complaints.models import Complaint
from hearings.models import Hearing
from hearings.scheduling import conflicts, propose_slots, slot_refusal
from parties.models import ConciliatorDayOff
from tests.complaints.factories import served_case
from tests.hearings.factories import make_conciliator

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
SERVED = datetime(2026, 3, 19, 11, 0, tzinfo=BA)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BA)


@pytest.fixture
def case(consumer, company, officer) -> Complaint:
    case = served_case(consumer, company, officer)
    Complaint.objects.filter(pk=case.pk).update(company_notified_at=SERVED)
    case.refresh_from_db()
    return case


def hearing_of(conciliator, start: datetime, *, consumer, company, officer, minutes: int = 60) -> Hearing:
    """Another case's hearing in the conciliator's calendar (booked directly: only its time matters)."""
    other = served_case(consumer, company, officer)
    return Hearing.objects.create(
        complaint=other, conciliator=conciliator, starts_at=start, ends_at=start + timedelta(minutes=minutes)
    )


def starts(slots) -> list[datetime]:
    return [slot.starts_at for slot in slots]


def test_the_first_slot_respects_the_notice_across_a_weekend_and_national_holidays(case, conciliator):
    slots = propose_slots(case, now=SERVED)

    assert starts(slots) == [at(3, 31, 9), at(3, 31, 9, 30), at(3, 31, 10), at(3, 31, 10, 30), at(3, 31, 11)]
    assert {slot.conciliator for slot in slots} == {conciliator}
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=60) for slot in slots)


def test_a_conciliators_day_off_moves_the_proposal_past_it_and_past_the_easter_holidays(case, conciliator):
    profile = conciliator.conciliator_profile
    ConciliatorDayOff.objects.create(conciliator=profile, date=datetime(2026, 3, 31).date(), reason="Trámite")
    ConciliatorDayOff.objects.create(conciliator=profile, date=datetime(2026, 4, 1).date(), reason="Trámite")

    slots = propose_slots(case, now=SERVED, count=1)

    assert starts(slots) == [at(4, 6, 9)]  # Thursday 2 and Friday 3 April are holidays


def test_it_proposes_nothing_on_days_the_conciliator_does_not_work(case, conciliator):
    conciliator.conciliator_profile.work_days = "3"  # Wednesdays only
    conciliator.conciliator_profile.save()

    assert starts(propose_slots(case, now=SERVED, count=1)) == [at(4, 1, 9)]


def test_a_busy_conciliator_is_proposed_around_their_hearings(case, conciliator, consumer, company, officer):
    hearing_of(conciliator, at(3, 31, 9), consumer=consumer, company=company, officer=officer)
    hearing_of(conciliator, at(3, 31, 11), consumer=consumer, company=company, officer=officer)

    slots = propose_slots(case, now=SERVED, count=4)

    # 10:00 to 11:00 fits between them (back to back is fine); 9:30, 10:30 and 11:30 overlap one.
    assert starts(slots) == [at(3, 31, 10), at(3, 31, 12), at(3, 31, 12, 30), at(3, 31, 13)]


def test_a_cancelled_hearing_frees_its_time(case, conciliator, consumer, company, officer):
    hearing = hearing_of(conciliator, at(3, 31, 9), consumer=consumer, company=company, officer=officer)
    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.CANCELLED)

    assert starts(propose_slots(case, now=SERVED, count=1)) == [at(3, 31, 9)]


def test_a_full_day_is_skipped(case, conciliator, consumer, company, officer):
    conciliator.conciliator_profile.max_hearings_per_day = 1
    conciliator.conciliator_profile.save()
    hearing_of(conciliator, at(3, 31, 14), consumer=consumer, company=company, officer=officer)

    assert starts(propose_slots(case, now=SERVED, count=1)) == [at(4, 1, 9)]


def test_slots_follow_the_grid_and_end_inside_working_hours(case, conciliator):
    conciliator.conciliator_profile.work_start = datetime(2026, 1, 1, 9, 10).time()
    conciliator.conciliator_profile.work_end = datetime(2026, 1, 1, 11, 0).time()
    conciliator.conciliator_profile.save()

    slots = propose_slots(case, now=SERVED, count=4)

    # 9:10 rounds up to 9:30; the last start that ends by 11:00 is 10:00; then the next day.
    assert starts(slots) == [at(3, 31, 9, 30), at(3, 31, 10), at(4, 1, 9, 30), at(4, 1, 10)]


def test_the_least_busy_conciliator_free_at_the_earliest_time_is_proposed(
    case, conciliator, consumer, company, officer
):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    # Ana has two hearings later in April; Bruno none.
    hearing_of(conciliator, at(4, 20, 9), consumer=consumer, company=company, officer=officer)
    hearing_of(conciliator, at(4, 21, 9), consumer=consumer, company=company, officer=officer)

    slots = propose_slots(case, now=SERVED, count=2)

    assert [(slot.conciliator, slot.starts_at) for slot in slots] == [(bruno, at(3, 31, 9)), (bruno, at(3, 31, 9, 30))]


def test_when_the_least_busy_conciliator_is_taken_the_next_free_one_is_proposed(
    case, conciliator, consumer, company, officer
):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    hearing_of(conciliator, at(4, 20, 9), consumer=consumer, company=company, officer=officer)
    hearing_of(bruno, at(3, 31, 9), consumer=consumer, company=company, officer=officer)  # also his only one

    slots = propose_slots(case, now=SERVED, count=2)

    # Bruno is busy from 9 to 10, so both first slots are Ana's although each has one hearing.
    assert [(slot.conciliator, slot.starts_at) for slot in slots] == [
        (conciliator, at(3, 31, 9)),
        (conciliator, at(3, 31, 9, 30)),
    ]


def test_a_proposal_can_be_limited_to_one_conciliator(case, conciliator):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre", work_start=datetime(2026, 1, 1, 13).time())

    slots = propose_slots(case, now=SERVED, count=1, conciliator=bruno)

    assert [(slot.conciliator, slot.starts_at) for slot in slots] == [(bruno, at(3, 31, 13))]


def test_the_proposal_reads_the_calendar_in_three_queries_whatever_its_size(
    case, conciliator, consumer, company, officer, django_assert_num_queries
):
    others = [make_conciliator(f"c{i}@oficina.test", "Conciliador", f"N{i}") for i in range(4)]
    for person in [conciliator, *others]:
        for hour in (9, 10, 11, 12, 13):
            hearing_of(person, at(3, 31, hour), consumer=consumer, company=company, officer=officer)
        ConciliatorDayOff.objects.create(conciliator=person.conciliator_profile, date=datetime(2026, 4, 6).date())

    # 1. the conciliators with their profiles and upcoming load, 2. their days off, 3. their hearings.
    with django_assert_num_queries(3):
        slots = propose_slots(case, now=SERVED, count=5)

    assert len(slots) == 5
    assert starts(slots)[0] == at(3, 31, 14)  # everyone is busy until 14:00 on the first day


def test_no_conciliator_means_no_proposal(case):
    assert propose_slots(case, now=SERVED) == []


def test_the_in_code_overlap_check_is_half_open(conciliator, consumer, company, officer):
    hearing_of(conciliator, at(3, 31, 10), consumer=consumer, company=company, officer=officer)

    assert conflicts(conciliator, at(3, 31, 9, 30), at(3, 31, 10, 30)).exists()
    assert not conflicts(conciliator, at(3, 31, 9), at(3, 31, 10)).exists()
    assert not conflicts(conciliator, at(3, 31, 11), at(3, 31, 12)).exists()


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (at(3, 30, 10), "at least 5 business days' notice"),
        (at(3, 19, 10), "must start in the future"),
        (at(3, 31, 8), "holds hearings between"),
        (at(3, 31, 14, 30), "holds hearings between"),  # would end at 15:30
        (at(4, 3, 10), "not a business day"),
        (at(4, 4, 10), "not a business day"),
    ],
)
def test_a_hand_picked_slot_is_refused_with_the_reason(case, conciliator, start, reason):
    refusal = slot_refusal(case, conciliator, start, start + timedelta(hours=1), now=SERVED)

    assert refusal is not None and reason in refusal


def test_a_hand_picked_slot_on_a_day_off_or_a_non_working_day_is_refused(case, conciliator):
    profile = conciliator.conciliator_profile
    ConciliatorDayOff.objects.create(conciliator=profile, date=datetime(2026, 3, 31).date())
    profile.work_days = "1,2,3,4"
    profile.save()

    day_off = slot_refusal(case, conciliator, at(3, 31, 10), at(3, 31, 11), now=SERVED)
    friday = slot_refusal(case, conciliator, at(4, 10, 10), at(4, 10, 11), now=SERVED)

    assert day_off is not None and "is off on" in day_off
    assert friday is not None and "does not hold hearings on Friday" in friday
    assert slot_refusal(case, conciliator, at(4, 1, 10), at(4, 1, 11), now=SERVED) is None


def test_now_defaults_to_the_clock(case, conciliator):
    assert propose_slots(case, count=1)[0].starts_at > timezone.now()
