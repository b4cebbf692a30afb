"""The case's vocabulary is declared once (complaints/actions.py, hearings/actions.py): every move the
workflow can make is declared, an undeclared one cannot be recorded, and what a declaration says
(its label, whether it closes the case, what it notifies) is what the case and the timeline do."""

import pytest
from django.utils import translation
from django_fsm import FSMField

from complaints import actions, services
from complaints.models import CaseEvent, Complaint
from complaints.states import CLOSED_STATES
from complaints.templatetags.cases import action_label
from notifications.events import EVENTS
from tests.complaints.factories import submitted_case


def fsm_transitions() -> list:
    status = next(field for field in Complaint._meta.fields if isinstance(field, FSMField))
    return list(status.get_all_transitions(Complaint))


def test_every_transition_of_the_workflow_is_a_declared_action() -> None:
    undeclared = {transition.name for transition in fsm_transitions()} - {a.code for a in actions.all()}
    assert undeclared == set()


def test_a_transition_closes_the_case_exactly_when_its_declaration_says_so() -> None:
    for transition in fsm_transitions():
        declared = actions.get(transition.name)
        assert declared.closes_case == (transition.target in CLOSED_STATES), transition.name


def test_every_action_that_notifies_names_a_declared_notification_event() -> None:
    named = {action.notifies for action in actions.all() if action.notifies is not None}
    assert named - set(EVENTS) == set()


def test_the_hearings_floor_declares_its_own_actions_when_it_loads() -> None:
    assert actions.get("acta_generated").label
    assert actions.get("reschedule_hearing").notifies == "hearing_rescheduled"
    assert not actions.get("recording_consented").closes_case


def test_a_code_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="already declared"):
        actions.register("withdraw", "Withdrawn again")
    assert str(actions.get("withdraw").label) != "Withdrawn again"


@pytest.mark.django_db
def test_an_undeclared_action_cannot_be_recorded(consumer, company) -> None:
    case = submitted_case(consumer, company)
    before = CaseEvent.objects.filter(complaint=case).count()

    with pytest.raises(actions.UnknownAction, match="complaint_teleported"):
        services.record_event(case=case, action="complaint_teleported", by=consumer)

    assert CaseEvent.objects.filter(complaint=case).count() == before


@pytest.mark.django_db
def test_an_undeclared_transition_cannot_be_applied(consumer, company, officer) -> None:
    case = submitted_case(consumer, company)
    with pytest.raises(actions.UnknownAction):
        services.complaint_transition(complaint=case, transition="delete", by=officer)
    case.refresh_from_db()
    assert case.status == "submitted"


@pytest.mark.django_db
def test_a_move_declared_as_closing_the_case_stamps_when_it_closed(consumer, company, officer) -> None:
    case = submitted_case(consumer, company)
    services.complaint_reject(complaint=case, by=officer, reason="duplicate")
    case.refresh_from_db()
    assert case.is_closed and case.closed_at is not None


@pytest.mark.django_db
def test_a_move_not_declared_as_closing_leaves_the_case_open(consumer, company, officer) -> None:
    case = services.complaint_admit(complaint=submitted_case(consumer, company), by=officer)
    assert case.closed_at is None


def test_the_timeline_names_an_action_by_its_declared_label_in_the_readers_language() -> None:
    with translation.override("en"):
        assert action_label("acta_generated") == "Acta issued"
        assert action_label("offer_countered") == "Offer rejected with a counter-offer"
    with translation.override("es-ar"):
        assert action_label("offer_countered") == translation.gettext("Offer rejected with a counter-offer")


def test_the_timeline_still_shows_an_old_row_whose_action_is_no_longer_declared() -> None:
    assert action_label("hearing_teleported") == "Hearing teleported"


@pytest.mark.django_db
def test_an_action_that_is_not_a_transition_cannot_move_the_case(consumer, company, officer) -> None:
    case = submitted_case(consumer, company)
    with pytest.raises(ValueError, match="not a transition"):
        services.complaint_transition(complaint=case, transition="company_answered", by=officer)
    case.refresh_from_db()
    assert case.status == "submitted"
