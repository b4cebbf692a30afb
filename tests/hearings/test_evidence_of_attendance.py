"""Who was in the room is decided by evidence a party cannot make up, and the company's right to
justify an absence comes before a referral."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Attendance, Hearing
from hearings.services.absences import absence_justify
from hearings.services.outcome import outcome_record
from hearings.services.referral import case_refer
from hearings.services.room import attendance_record
from tests.hearings.test_outcome_support import attend, hearing_under_way

pytestmark = pytest.mark.django_db


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return hearing_under_way(consumer, company, officer, conciliator)


def test_a_browser_report_of_joining_does_not_stop_the_conciliator_recording_the_company_absent(
    hearing, representative, conciliator
):
    attendance_record(
        hearing=hearing,
        user=representative,
        party=Attendance.Party.COMPANY,
        kind=Attendance.Kind.JOINED,
        at=timezone.now(),
        source=Attendance.Source.CLIENT,
        dedupe_key="client:fake",
    )

    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)

    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.COMPANY_ABSENT


def test_the_video_server_record_of_joining_does(hearing, representative, conciliator):
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=3))

    with pytest.raises(HearingError):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)


def test_the_office_cannot_refer_while_the_company_may_still_justify_its_absence(
    hearing, conciliator, officer, representative
):
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    with pytest.raises(HearingError, match="may still justify"):
        case_refer(complaint=hearing.complaint, by=officer)

    absence_justify(hearing=hearing, by=representative, text="Se nos cayó internet durante la mañana.")
    with pytest.raises(HearingError, match="decide on the justification first"):
        case_refer(complaint=hearing.complaint, by=officer)

    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.COMPANY_ABSENT


def test_a_conciliator_whose_hearing_was_cancelled_no_longer_opens_the_case(hearing, conciliator, client_for):
    url = reverse("complaint_detail", args=[hearing.complaint.pk])
    assert client_for(conciliator).get(url).status_code == 200

    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.CANCELLED)

    assert client_for(conciliator).get(url).status_code == 404


def test_a_conciliator_keeps_the_case_when_another_hearing_of_it_was_cancelled(
    hearing, conciliator, officer, client_for
):
    from tests.conftest import enrol_totp, make_user

    other = make_user("otra.conciliadora@example.org", "conciliator")
    enrol_totp(other)
    Hearing.objects.create(
        complaint=hearing.complaint,
        conciliator=other,
        starts_at=hearing.starts_at - timedelta(days=7),
        ends_at=hearing.starts_at - timedelta(days=7, minutes=-60),
        status=Hearing.Status.CANCELLED,
    )

    url = reverse("complaint_detail", args=[hearing.complaint.pk])
    assert client_for(conciliator).get(url).status_code == 200
    assert client_for(other).get(url).status_code == 404
