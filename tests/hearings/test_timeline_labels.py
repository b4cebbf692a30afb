"""The case timeline names every event the hearings floor writes: each is a declared action
(hearings/actions.py), and recording an undeclared one fails at the call, so no path of the hearings
floor can write an event the timeline cannot name."""

import pytest
from django.utils import translation

from complaints import actions
from complaints.models import CaseEvent
from complaints.templatetags.cases import action_label
from hearings import actions as hearing_actions
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db


def test_every_action_the_hearings_floor_declares_has_a_label_of_its_own() -> None:
    declared = [value for value in vars(hearing_actions).values() if isinstance(value, actions.CaseAction)]
    assert declared, "hearings/actions.py declares nothing"
    with translation.override("en"):
        for action in declared:
            assert action_label(action.code) == str(action.label)
            assert action_label(action.code) != action.code.replace("_", " ").capitalize()


def test_the_events_a_hearing_writes_are_named_on_the_timeline(consumer, company, officer, conciliator) -> None:
    from hearings.services.scheduling import hearing_cancel

    hearing = scheduled_hearing(consumer, company, officer, conciliator)
    hearing_cancel(hearing=hearing, by=officer, reason="El conciliador está de licencia.")

    codes = set(CaseEvent.objects.filter(complaint=hearing.complaint).values_list("action", flat=True))
    assert {"schedule_hearing", "cancel_hearing"} <= codes
    assert all(actions.is_declared(code) for code in codes)
