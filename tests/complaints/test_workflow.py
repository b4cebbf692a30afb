"""Every move of the case workflow: each legal transition by each role allowed to make it, each
refusal (wrong role, wrong state) leaving the case untouched, the event hash chain, and the
generated docs/workflow.md staying true to the model."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from complaints import services
from complaints.management.commands.workflow_graph import OUTPUT, SPANISH_STATES, render_workflow
from complaints.models import CaseEvent, Complaint
from complaints.selectors import case_events_intact
from complaints.services import CaseError
from complaints.states import State
from hearings.models import Hearing
from parties.models import Role
from tests.complaints.tampering import as_a_dba
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# Who may make each move: the specification, written down here independently of the permission
# callables in complaints/states.py, so a change to either one shows up as a failing test.
# "consumer" is the consumer who filed the case; "representative", an active representative of the
# company complained about; "conciliator" holds a hearing of this case, "other_conciliator" holds
# none; "system" is a beat job (by=None); "stranger" is any other consumer.
ALLOWED = {
    "submit": {"consumer"},
    "resubmit": {"consumer"},
    "observe": {"officer", "supervisor"},
    "reject": {"officer", "supervisor"},
    "admit": {"officer", "supervisor"},
    "serve_company": {"officer", "supervisor", "system"},
    "schedule_hearing": {"conciliator", "officer", "supervisor"},
    "cancel_hearing": {"officer", "supervisor"},
    "adjourn": {"conciliator", "officer", "supervisor"},
    "accept_offer": {"consumer", "representative", "officer", "supervisor"},
    "record_agreement": {"conciliator", "officer", "supervisor"},
    # Homologation: the director (or a delegate; tests/hearings/test_homologation.py).
    "approve_agreement": {"director"},
    "confirm_compliance": {"consumer", "representative", "officer", "supervisor"},
    "report_breach": {"consumer", "representative", "officer", "supervisor"},
    "record_no_agreement": {"conciliator", "officer", "supervisor"},
    "record_company_absent": {"conciliator", "officer", "supervisor"},
    "record_consumer_absent": {"conciliator", "officer", "supervisor"},
    "reactivate": {"officer", "supervisor"},
    "withdraw": {"consumer"},
    "deem_withdrawn": {"officer", "supervisor", "system"},
    "refer": {"officer", "supervisor", "system"},
    "archive": {"officer", "supervisor", "system"},
    "refer_out": {"officer", "supervisor"},
    "conclude": {"officer", "supervisor", "system"},
}
ACTORS = [
    "consumer",
    "representative",
    "officer",
    "conciliator",
    "other_conciliator",
    "supervisor",
    "director",
    "system",
    "stranger",
]
# Moves whose service goes on by itself: admitting a case whose company has an electronic domicile
# serves it at once.
FOLLOWED_BY = {"admit": State.COMPANY_NOTIFIED}

TRANSITIONS = list(Complaint._meta.get_field("status").get_all_transitions(Complaint))
LEGAL = sorted({(t.name, str(t.source), str(t.target)) for t in TRANSITIONS})
SOURCES: dict[str, set[str]] = {}
for _t in TRANSITIONS:
    SOURCES.setdefault(_t.name, set()).add(str(_t.source))


def complete_draft(consumer, company, **fields) -> Complaint:
    case = services.complaint_start_draft(consumer=consumer, **fields)
    services.case_parts.name_company(case, company=company, position=1)
    case.product = "Heladera no frost"
    case.purchase_date = timezone.localdate()
    case.facts = "Dejó de enfriar a la semana y el service no vino."
    case.claim_type = "replacement"
    case.declaration_accepted_at = timezone.now()
    case.save()
    return case


def submitted_case(consumer, company, **fields) -> Complaint:
    return services.complaint_submit(complaint=complete_draft(consumer, company, **fields), by=consumer)


def case_in(state: str, consumer, company, **fields) -> Complaint:
    """A real case, filed through the services, then put in `state` for the move under test."""
    case = (
        complete_draft(consumer, company, **fields)
        if state == State.DRAFT
        else submitted_case(consumer, company, **fields)
    )
    Complaint.objects.filter(pk=case.pk).update(status=state)
    return Complaint.objects.get(pk=case.pk)


def give_hearing(case: Complaint, conciliator) -> None:
    """The conciliator's hearing of this case: what lets a conciliator act on it."""
    start = timezone.now() + timedelta(days=7)
    Hearing.objects.create(complaint=case, conciliator=conciliator, starts_at=start, ends_at=start + timedelta(hours=1))


def make_move(case: Complaint, transition: str, by) -> None:
    """Each move through the public service a page or a job would call."""
    with transaction.atomic():
        if transition == "submit":
            services.complaint_submit(complaint=case, by=by)
        elif transition == "resubmit":
            services.complaint_resubmit(complaint=case, by=by)
        elif transition == "observe":
            services.complaint_observe(complaint=case, by=by, observation="Adjuntá la factura de compra.")
        elif transition == "reject":
            services.complaint_reject(complaint=case, by=by, reason="duplicate", detail="Igual al DC-2026-000001.")
        elif transition == "admit":
            services.complaint_admit(complaint=case, by=by)
        elif transition == "serve_company":
            services.complaint_serve_company(complaint=case, by=by)
        elif transition == "withdraw":
            services.complaint_withdraw(complaint=case, by=by, reason="Me devolvieron el dinero.")
        else:
            services.complaint_transition(complaint=case, transition=transition, by=by)


@pytest.fixture
def people(consumer, representative, officer, conciliator, supervisor, director, stranger):
    return {
        "other_conciliator": make_user("otro.conciliador@example.org", Role.CONCILIATOR),
        "consumer": consumer,
        "representative": representative,
        "officer": officer,
        "conciliator": conciliator,
        "supervisor": supervisor,
        "director": director,
        "system": None,
        "stranger": stranger,
    }


def test_it_specifies_every_transition_of_the_model():
    assert set(SOURCES) == set(ALLOWED)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("transition", "source", "target"), LEGAL, ids=[f"{n}-from-{s}" for n, s, _ in LEGAL])
def test_it_lets_only_the_right_roles_make_each_move(people, company, transition, source, target, actor):
    case = case_in(source, people["consumer"], company)
    give_hearing(case, people["conciliator"])
    events_before = CaseEvent.objects.filter(complaint=case).count()
    by = people[actor]

    if actor in ALLOWED[transition]:
        make_move(case, transition, by)

        case.refresh_from_db()
        assert case.status == FOLLOWED_BY.get(transition, target)
        event = CaseEvent.objects.filter(complaint=case).order_by("created_at", "pk")[events_before]
        assert (event.action, event.from_state, event.to_state) == (transition, source, target)
        assert event.actor == by
    else:
        with pytest.raises(CaseError):
            make_move(case, transition, by)

        case.refresh_from_db()
        assert case.status == source
        assert CaseEvent.objects.filter(complaint=case).count() == events_before


@pytest.mark.parametrize("transition", sorted(ALLOWED))
def test_it_refuses_each_move_from_a_state_it_does_not_start_from(people, company, transition):
    allowed_actor = sorted(ALLOWED[transition])[0]
    by = people[allowed_actor]
    case = submitted_case(people["consumer"], company)
    give_hearing(case, people["conciliator"])
    for state in State:
        if state in SOURCES[transition]:
            continue
        Complaint.objects.filter(pk=case.pk).update(status=state)
        events_before = CaseEvent.objects.filter(complaint=case).count()

        with pytest.raises(CaseError):
            make_move(Complaint.objects.get(pk=case.pk), transition, by)

        assert Complaint.objects.get(pk=case.pk).status == state, f"{transition} from {state}"
        assert CaseEvent.objects.filter(complaint=case).count() == events_before


@pytest.mark.parametrize(("transition", "source"), [("submit", State.DRAFT), ("withdraw", State.SUBMITTED)])
def test_it_lets_the_office_act_for_the_citizen_only_on_a_case_it_filed_for_them(people, company, transition, source):
    officer = people["officer"]
    web_case = case_in(source, people["consumer"], company)
    assisted = case_in(source, people["consumer"], company, filed_by=officer, channel="in_person")

    with pytest.raises(CaseError):
        make_move(web_case, transition, officer)
    make_move(assisted, transition, officer)

    assert Complaint.objects.get(pk=web_case.pk).status == source
    assert Complaint.objects.get(pk=assisted.pk).status != source
    assert CaseEvent.objects.filter(complaint=assisted, action=transition, actor=officer).exists()


def test_it_refuses_to_serve_a_company_without_an_electronic_domicile(people, other_company):
    case = case_in(State.ADMITTED, people["consumer"], other_company)

    with pytest.raises(CaseError):
        make_move(case, "serve_company", people["officer"])

    case.refresh_from_db()
    assert case.status == State.ADMITTED
    assert not CaseEvent.objects.filter(complaint=case, action="serve_company").exists()


def test_it_links_every_event_to_the_one_before_it(people, company):
    case = submitted_case(people["consumer"], company)
    services.complaint_admit(complaint=case, by=people["officer"], note="Completo.")

    events = list(CaseEvent.objects.filter(complaint=case).order_by("created_at", "pk"))

    assert [e.action for e in events] == ["submit", "admit", "serve_company"]
    assert events[0].previous_hash == ""
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert all(e.hash == e.compute_hash() for e in events)
    assert case_events_intact(case)


def test_it_notices_an_event_edited_behind_its_back(people, company):
    case = submitted_case(people["consumer"], company)
    services.complaint_admit(complaint=case, by=people["officer"], note="Completo.")
    admitted = CaseEvent.objects.get(complaint=case, action="admit")

    with as_a_dba():
        CaseEvent.objects.filter(pk=admitted.pk).update(reason="Rechazado por duplicado.")

    assert not case_events_intact(case)


def test_it_notices_an_event_deleted_behind_its_back(people, company):
    case = submitted_case(people["consumer"], company)
    services.complaint_admit(complaint=case, by=people["officer"])
    admitted = CaseEvent.objects.get(complaint=case, action="admit")

    with pytest.raises(ValueError):
        admitted.delete()
    assert case_events_intact(case)
    with as_a_dba():
        CaseEvent.objects.filter(pk=admitted.pk).delete()

    assert not case_events_intact(case)


def test_it_keeps_the_committed_workflow_document_up_to_date():
    assert OUTPUT.read_text(encoding="utf-8") == render_workflow(), (
        "docs/workflow.md is stale: run `python manage.py workflow_graph`."
    )


def test_it_prints_the_same_document_it_writes():
    out = StringIO()

    call_command("workflow_graph", "--print", stdout=out)

    assert out.getvalue() == render_workflow()


def test_it_draws_every_state_and_names_who_may_admit():
    document = render_workflow()

    assert document.count("```mermaid\nstateDiagram-v2\n") == 1
    assert set(SPANISH_STATES) == set(State)
    assert 'state "Presentado · Submitted" as submitted' in document
    assert "submitted --> admitted : admit (office)" in document
    assert "admitted --> company_notified : serve_company (office, system)" in document
    assert (
        "| `admit` | Complaint admitted | `submitted` | `admitted` "
        "| agente de admisión · admission officer<br>supervisor/a · supervisor |  |  |" in document
    )
    assert "| `reject` | Complaint rejected | `submitted` | `rejected` " in document
    assert "| agente de admisión · admission officer<br>supervisor/a · supervisor |  | yes |" in document
    # The probe's people and company were rolled back.
    assert not Complaint.objects.exists()
