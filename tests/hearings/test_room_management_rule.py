"""Who manages a hearing's room (corrects its attendance, registers its recording, sees who agreed
to be recorded) is one rule, hearings.policy.may_manage_room, asked by the services and the pages."""

from datetime import timedelta

import pytest
from django.urls import reverse

from hearings import policy
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.services.room import attendance_correct, recording_register
from tests.hearings.factories import make_conciliator, scheduled_hearing

pytestmark = pytest.mark.django_db


@pytest.fixture
def hearing(consumer, company, officer, conciliator) -> Hearing:
    return scheduled_hearing(consumer, company, officer, conciliator)


def test_the_hearings_conciliator_and_the_office_manage_its_room(
    hearing, conciliator, officer, supervisor, consumer, representative
):
    other_conciliator = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")

    assert [policy.may_manage_room(person, hearing) for person in (conciliator, officer, supervisor)] == [True] * 3
    for person in (consumer, representative, other_conciliator):
        assert not policy.may_manage_room(person, hearing)
        refusal = policy.why_not(policy.MANAGE_ROOM, person, hearing)
        assert refusal is not None and refusal.forbidden


def test_the_room_pages_and_services_ask_that_one_rule(hearing, conciliator, consumer, client_for, monkeypatch):
    monkeypatch.setitem(policy._CHECKS, policy.MANAGE_ROOM, lambda user, obj: policy.Refusal("No.", forbidden=True))
    client = client_for(conciliator)

    assert client.get(reverse("hearing_attendance_edit", args=[hearing.pk])).status_code == 403
    assert client.get(reverse("hearing_recording_register", args=[hearing.pk])).status_code == 403
    room = client.get(reverse("hearing_room", args=[hearing.pk])).content.decode()
    assert f'href="{reverse("hearing_attendance_edit", args=[hearing.pk])}"' not in room
    with pytest.raises(HearingError, match="correct its attendance"):
        attendance_correct(
            hearing=hearing,
            by=conciliator,
            user_or_name=consumer,
            party="consumer",
            joined_at=hearing.starts_at,
            left_at=hearing.starts_at + timedelta(minutes=30),
            note="Entró por teléfono.",
        )
    with pytest.raises(HearingError, match="register its recording"):
        recording_register(hearing=hearing, by=conciliator, url="https://grabaciones.test/1")
