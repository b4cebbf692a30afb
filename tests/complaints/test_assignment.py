"""A company's own handling of its served cases (complaints/services/assignment.py): its administrator
gives a case, or a selection of them, to one of its representatives, who is told; any representative
acknowledges receiving a case, which the record keeps once; the company's rules choose the assignee
when a case is served, the first matching one by position."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import policy
from complaints.errors import CaseError
from complaints.models import AssignmentRule, CaseCompany, CaseEvent, Complaint
from complaints.services import assignment
from complaints.services.assignment import (
    assignment_rule_create,
    assignment_rule_delete,
    assignment_rule_move,
    assignment_rule_update,
    company_recipients,
    part_acknowledge,
    part_assign,
    parts_acknowledge_bulk,
    parts_assign_bulk,
)
from complaints.services.parts import name_company
from complaints.states import State
from notifications.models import Notification
from parties.models import Company, Representation, Role, User
from tests.complaints.factories import draft_case, served_case
from tests.conftest import make_user
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(company) -> User:
    """A third representative of the company, not an administrator, who reads in English."""
    user = make_user(
        "sofia@electrosur.test", Role.REPRESENTATIVE, first_name="Sofía", last_name="Luna", preferred_language="en"
    )
    Representation.objects.create(user=user, company=company)
    return user


@pytest.fixture
def outsider(other_company) -> User:
    """An administrator of another company."""
    user = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=user, company=other_company, is_admin=True)
    return user


def part_of(case: Complaint, company: Company | None = None) -> CaseCompany:
    parts = CaseCompany.objects.filter(complaint=case)
    return parts.get(company=company) if company is not None else parts.get()


def assigned_notices(user: User) -> list[Notification]:
    return rendered(Notification.objects.filter(event="case_assigned", recipient=user, channel="email").order_by("pk"))


def revoke(user: User, company: Company) -> None:
    Representation.objects.filter(user=user, company=company).update(revoked_at=timezone.now())


# --- By hand -------------------------------------------------------------------------------------


def test_the_admin_assigns_a_served_case_and_the_assignee_is_told(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    part = part_assign(part=part_of(case), assignee=unvalidated_representative, by=representative)

    part.refresh_from_db()
    assert part.assignee == unvalidated_representative and part.assigned_at is not None
    [notice] = assigned_notices(unvalidated_representative)
    assert notice.case_number == case.number
    assert case.number in notice.subject and "Jorge Fernández" in notice.body_text
    assert Notification.objects.filter(event="case_assigned", recipient=unvalidated_representative, channel="inbox")
    # The company's internal business: nothing on the case's record, nobody else told.
    assert not CaseEvent.objects.filter(complaint=case, action__contains="assign").exists()
    assert Notification.objects.filter(event="case_assigned").exclude(recipient=unvalidated_representative).count() == 0


def test_the_assignees_notice_reads_in_their_language(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    # needs es_AR catalogue
    first, second = served_case(consumer, company, officer), served_case(consumer, company, officer)
    part_assign(part=part_of(first), assignee=colleague, by=representative)
    part_assign(part=part_of(second), assignee=unvalidated_representative, by=representative)
    [english] = assigned_notices(colleague)
    assert english.subject == f"Case {first.number} of Electrodomésticos del Sur S.A. was assigned to you"
    [spanish] = assigned_notices(unvalidated_representative)  # es-AR, the default
    assert spanish.subject == f"Se te asignó el expediente {second.number} de Electrodomésticos del Sur S.A."


def test_assigning_again_to_the_same_person_changes_nothing_and_tells_nobody_twice(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    part_assign(part=part_of(case), assignee=unvalidated_representative, by=representative)
    first = part_of(case).assigned_at
    part_assign(part=part_of(case), assignee=unvalidated_representative, by=representative)
    assert part_of(case).assigned_at == first
    assert len(assigned_notices(unvalidated_representative)) == 1


def test_an_admin_who_takes_a_case_is_not_told_of_their_own_click_and_can_give_it_back_to_nobody(
    consumer, company, officer, representative
):
    case = served_case(consumer, company, officer)
    part_assign(part=part_of(case), assignee=representative, by=representative)
    assert part_of(case).assignee == representative
    assert assigned_notices(representative) == []
    part_assign(part=part_of(case), assignee=None, by=representative)
    assert (part_of(case).assignee, part_of(case).assigned_at) == (None, None)


def test_a_representative_who_is_not_an_admin_may_not_assign(
    consumer, company, officer, unvalidated_representative, colleague
):
    case = served_case(consumer, company, officer)
    part = part_of(case)
    refusal = policy.why_not(policy.ASSIGN_CASE, unvalidated_representative, part)
    assert refusal is not None and refusal.forbidden  # the view answers 403
    assert not policy.may_assign_case(unvalidated_representative, part)
    with pytest.raises(CaseError, match="Only an administrator of the company"):
        part_assign(part=part, assignee=colleague, by=unvalidated_representative)
    assert part_of(case).assignee is None and not Notification.objects.filter(event="case_assigned").exists()


def test_an_admin_of_another_company_may_not_assign_this_companys_case(consumer, company, officer, outsider):
    case = served_case(consumer, company, officer)
    with pytest.raises(CaseError, match="Only an administrator of the company"):
        part_assign(part=part_of(case), assignee=outsider, by=outsider)


def test_a_representative_of_another_company_or_a_revoked_one_cannot_be_the_assignee(
    consumer, company, officer, representative, outsider, colleague
):
    case = served_case(consumer, company, officer)
    with pytest.raises(CaseError, match="not an active representative of the company"):
        part_assign(part=part_of(case), assignee=outsider, by=representative)
    revoke(colleague, company)
    with pytest.raises(CaseError, match="not an active representative of the company"):
        part_assign(part=part_of(case), assignee=colleague, by=representative)
    assert part_of(case).assignee is None
    assert list(policy.assignable_representatives(company)) == [representative]


def test_a_case_not_yet_served_on_the_company_cannot_be_assigned(consumer, company, representative, colleague):
    case = draft_case(consumer, company)
    refusal = policy.why_not(policy.ASSIGN_CASE, representative, part_of(case))
    assert refusal is not None and not refusal.forbidden
    with pytest.raises(CaseError, match="not been served"):
        part_assign(part=part_of(case), assignee=colleague, by=representative)


# --- In bulk -------------------------------------------------------------------------------------


@pytest.fixture
def three_cases(consumer, company, officer) -> list[Complaint]:
    return [served_case(consumer, company, officer) for _ in range(3)]


def test_the_admin_assigns_a_selection_in_one_update_and_the_assignee_is_told_once_with_the_count(
    three_cases, company, representative, colleague
):
    ids = [part_of(case).pk for case in three_cases[:2]]
    with CaptureQueriesContext(connection) as queries:
        changed = parts_assign_bulk(company=company, part_ids=ids, assignee=colleague, by=representative)
    assert changed == 2
    assert set(CaseCompany.objects.filter(assignee=colleague).values_list("pk", flat=True)) == set(ids)
    assert part_of(three_cases[2]).assignee is None
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "complaints_casecompany"')]
    assert len(updates) == 1
    [notice] = assigned_notices(colleague)
    assert "2 cases of Electrodomésticos del Sur S.A. were assigned to you" in notice.subject
    assert f"/empresa/{company.pk}/casos/?assigned=me" in notice.body_text  # the desk, their own cases
    # A second click assigns nothing again and tells nobody again.
    assert parts_assign_bulk(company=company, part_ids=ids, assignee=colleague, by=representative) == 0
    assert len(assigned_notices(colleague)) == 1


def test_a_bulk_assignment_may_take_the_queryset_of_all_matching_and_give_them_to_nobody(
    three_cases, company, representative, colleague
):
    served = CaseCompany.objects.filter(company=company, notified_at__isnull=False).values("pk")
    assert parts_assign_bulk(company=company, part_ids=served, assignee=colleague, by=representative) == 3
    assert parts_assign_bulk(company=company, part_ids=served, assignee=None, by=representative) == 3
    assert not CaseCompany.objects.filter(assignee__isnull=False).exists()


def test_a_bulk_selection_with_a_stranger_companys_case_is_refused_whole(
    three_cases, consumer, company, other_company, officer, representative, colleague
):
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    stranger = part_of(served_case(consumer, other_company, officer))
    ids = [part_of(three_cases[0]).pk, stranger.pk]
    with pytest.raises(CaseError, match="not cases served on Electrodomésticos del Sur"):
        parts_assign_bulk(company=company, part_ids=ids, assignee=colleague, by=representative)
    with pytest.raises(CaseError, match="not valid"):
        parts_assign_bulk(company=company, part_ids=["1", "x"], assignee=colleague, by=representative)
    with pytest.raises(CaseError, match="Select at least one case"):
        parts_assign_bulk(company=company, part_ids=[], assignee=colleague, by=representative)
    assert not CaseCompany.objects.filter(assignee__isnull=False).exists()
    assert not Notification.objects.filter(event="case_assigned").exists()


def test_a_non_admin_may_not_assign_in_bulk_nor_give_cases_to_another_company(
    three_cases, company, representative, unvalidated_representative, outsider
):
    ids = [part_of(case).pk for case in three_cases]
    with pytest.raises(CaseError, match="Only an administrator"):
        parts_assign_bulk(
            company=company, part_ids=ids, assignee=unvalidated_representative, by=unvalidated_representative
        )
    with pytest.raises(CaseError, match="not an active representative"):
        parts_assign_bulk(company=company, part_ids=ids, assignee=outsider, by=representative)
    assert not CaseCompany.objects.filter(assignee__isnull=False).exists()


# --- Who hears of the case -----------------------------------------------------------------------


def test_the_company_side_is_the_assignee_else_everyone_in_two_queries_whatever_the_number_of_parts(
    consumer, company, other_company, officer, representative, unvalidated_representative, colleague, outsider
):
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    draft = draft_case(consumer, company)
    name_company(draft, company=other_company)
    from complaints import services

    case = services.complaint_admit(complaint=services.complaint_submit(complaint=draft, by=consumer), by=officer)
    assert company_recipients(case) == [representative, unvalidated_representative, colleague, outsider]

    part_assign(part=part_of(case, company), assignee=colleague, by=representative)
    with CaptureQueriesContext(connection) as queries:  # the served parts; their companies' representations
        assert company_recipients(case) == [colleague, outsider]
    assert len(queries) == 2
    assert company_recipients(case, part_ids=[part_of(case, other_company).pk]) == [outsider]

    # The assignee's representation revoked: everyone again.
    revoke(colleague, company)
    assert company_recipients(case) == [representative, unvalidated_representative, outsider]


# --- Acknowledging -------------------------------------------------------------------------------


def test_any_representative_acknowledges_a_case_once_with_an_event(consumer, company, officer, colleague):
    case = served_case(consumer, company, officer)
    part = part_acknowledge(part=part_of(case), by=colleague)
    assert (part.acknowledged_by, part.acknowledged_at is not None) == (colleague, True)
    [event] = CaseEvent.objects.filter(complaint=case, action="company_acknowledged")
    assert (event.actor, event.reason) == (colleague, "")
    # Twice is a no-op, not an error.
    part_acknowledge(part=part_of(case), by=colleague)
    assert CaseEvent.objects.filter(complaint=case, action="company_acknowledged").count() == 1
    assert Complaint.objects.get(pk=case.pk).status == State.COMPANY_NOTIFIED


def test_in_a_case_of_several_companies_the_event_names_the_company(
    consumer, company, other_company, officer, representative, outsider
):
    from complaints import services

    draft = draft_case(consumer, company)
    name_company(draft, company=other_company)  # without a domicile: awaits a paper notice
    case = services.complaint_admit(complaint=services.complaint_submit(complaint=draft, by=consumer), by=officer)
    part_acknowledge(part=part_of(case, company), by=representative)
    event = CaseEvent.objects.get(complaint=case, action="company_acknowledged")
    assert event.reason == "Electrodomésticos del Sur S.A."
    # The other company, not served yet, has nothing to acknowledge.
    with pytest.raises(CaseError, match="not been served"):
        part_acknowledge(part=part_of(case, other_company), by=outsider)


def test_a_stranger_may_not_acknowledge(consumer, company, officer, outsider, stranger):
    case = served_case(consumer, company, officer)
    for person in (outsider, stranger):
        refusal = policy.why_not(policy.ACKNOWLEDGE_CASE, person, part_of(case))
        assert refusal is not None and refusal.forbidden
        with pytest.raises(CaseError):
            part_acknowledge(part=part_of(case), by=person)
    assert not CaseEvent.objects.filter(complaint=case, action="company_acknowledged").exists()


def test_a_bulk_acknowledgement_records_one_event_per_case_and_skips_those_already_acknowledged(
    three_cases, company, colleague
):
    part_acknowledge(part=part_of(three_cases[0]), by=colleague)
    ids = [part_of(case).pk for case in three_cases]
    assert parts_acknowledge_bulk(company=company, part_ids=ids, by=colleague) == 2
    assert parts_acknowledge_bulk(company=company, part_ids=ids, by=colleague) == 0
    for case in three_cases:
        assert CaseEvent.objects.filter(complaint=case, action="company_acknowledged").count() == 1
    assert not CaseCompany.objects.filter(acknowledged_at__isnull=True).exists()


def test_an_acknowledgement_leaves_the_clocks_alone(
    consumer, company, officer, colleague, django_capture_on_commit_callbacks
):
    """It changes no wait (oversight/rules.py), so recording it costs no clock sync: a bulk
    acknowledgement of thousands of cases would otherwise read and write two dozen rows per case."""

    def cost(cases: int) -> tuple[int, int]:
        ids = [part_of(served_case(consumer, company, officer)).pk for _ in range(cases)]
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            assert parts_acknowledge_bulk(company=company, part_ids=ids, by=colleague) == cases
        clocks = [query for query in queries.captured_queries if "oversight_clock" in query["sql"]]
        return len(queries), len(clocks)

    (two, clocks_of_two), (four, clocks_of_four) = cost(2), cost(4)
    assert clocks_of_two == clocks_of_four == 0
    # Each case: its lock, its part's lock, its event (with the previous event's hash) and the part's
    # update; nothing else per case.
    assert (four - two) % 2 == 0 and (four - two) // 2 <= 7


# --- Rules, applied when a case is served --------------------------------------------------------


def add_rule(company, assignee, by, **conditions) -> AssignmentRule:
    return assignment_rule_create(company=company, assignee=assignee, by=by, **conditions)


def test_the_first_rule_matching_the_consumers_province_assigns_the_case_at_service(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    add_rule(company, unvalidated_representative, representative, province="CT")
    add_rule(company, colleague, representative)  # the default, last
    from_catamarca = served_case(consumer, company, officer, consumer_province="CT")
    from_the_city = served_case(consumer, company, officer)  # the profile's province: CABA

    assert part_of(from_catamarca).assignee == unvalidated_representative
    assert part_of(from_the_city).assignee == colleague
    assert part_of(from_the_city).assigned_at is not None
    [notice] = assigned_notices(colleague)
    assert "assignment rules" in notice.body_text and notice.case_number == from_the_city.number


def test_a_product_rule_matches_whatever_the_case_and_accents(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    add_rule(company, unvalidated_representative, representative, product_contains="  FIBRA   optica ")
    add_rule(company, colleague, representative, product_contains="heladera")
    fibre = served_case(consumer, company, officer, product="Servicio de fibra óptica 300 MB")
    fridge = served_case(consumer, company, officer, product="HELADERA No Frost")
    other = served_case(consumer, company, officer, product="Lavarropas")
    assert part_of(fibre).assignee == unvalidated_representative
    assert part_of(fridge).assignee == colleague
    assert part_of(other).assignee is None
    assert AssignmentRule.objects.get(assignee=unvalidated_representative).product_contains == "FIBRA optica"


def test_rules_apply_in_their_order_and_moving_one_changes_which_wins(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    first = add_rule(company, unvalidated_representative, representative, product_contains="heladera")
    second = add_rule(company, colleague, representative, province="CABA")
    assert part_of(served_case(consumer, company, officer)).assignee == unvalidated_representative

    assignment_rule_move(rule=second, to_position=1, by=representative)
    assert list(AssignmentRule.objects.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]
    assert part_of(served_case(consumer, company, officer)).assignee == colleague


def test_a_rule_whose_assignee_is_no_longer_a_representative_is_skipped(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    add_rule(company, unvalidated_representative, representative)
    add_rule(company, colleague, representative)
    revoke(unvalidated_representative, company)
    [first, second] = assignment.assignment_rules_of(company)
    assert (first.assignee_active, second.assignee_active) == (False, True)  # type: ignore[attr-defined]
    assert part_of(served_case(consumer, company, officer)).assignee == colleague


def test_rule_matching_loads_the_rules_once_whatever_their_number(
    consumer, company, officer, representative, colleague
):
    case = served_case(consumer, company, officer)
    part = part_of(case)

    def queries_to_match(rules: int) -> int:
        AssignmentRule.objects.all().delete()
        for _ in range(rules):
            add_rule(company, colleague, representative, province="CT")  # none matches
        with CaptureQueriesContext(connection) as queries:
            assert assignment.apply_assignment_rules(part, case=case) is None
        return len(queries)

    # The rules with their assignees; the company's active representatives among them.
    assert queries_to_match(1) == queries_to_match(12) == 2


def test_a_company_served_on_paper_gets_its_rule_on_the_recorded_delivery(consumer, officer):
    from tests.complaints.test_paper_service import admitted_against_unregistered, deliver, dispatch, print_notice

    case = admitted_against_unregistered(consumer, officer)
    part = CaseCompany.objects.get(complaint=case)
    firm = part.company
    assert firm is not None
    admin = make_user("dueño@fantasma.test", Role.REPRESENTATIVE, first_name="Raúl", last_name="Gómez")
    Representation.objects.create(user=admin, company=firm, is_admin=True)
    handler = make_user("ventas@fantasma.test", Role.REPRESENTATIVE, first_name="Inés", last_name="Vera")
    Representation.objects.create(user=handler, company=firm)
    add_rule(firm, handler, admin, product_contains="placard")

    print_notice(part, officer)
    dispatch(part, officer)
    assert part_of(case).assignee is None
    deliver(part, officer)
    assert part_of(case).assignee == handler
    assert len(assigned_notices(handler)) == 1


def test_a_case_assigned_before_its_electronic_service_keeps_its_assignee(
    consumer, company, officer, representative, unvalidated_representative, colleague
):
    """A part already assigned (on its paper service, say) is not reassigned by the rules."""
    case = served_case(consumer, company, officer)
    part_assign(part=part_of(case), assignee=colleague, by=representative)
    add_rule(company, unvalidated_representative, representative)
    assert assignment.apply_assignment_rules(part_of(case), case=case) is None
    assert part_of(case).assignee == colleague


# --- Managing the rules --------------------------------------------------------------------------


def test_only_an_admin_manages_the_rules_and_only_with_the_companys_representatives(
    company, representative, unvalidated_representative, colleague, outsider
):
    with pytest.raises(CaseError, match="Only an administrator"):
        add_rule(company, colleague, unvalidated_representative)
    with pytest.raises(CaseError, match="Only an administrator"):
        add_rule(company, colleague, outsider)
    with pytest.raises(CaseError, match="not an active representative"):
        add_rule(company, outsider, representative)
    with pytest.raises(CaseError, match="province from the list"):
        add_rule(company, colleague, representative, province="XX")
    with pytest.raises(CaseError, match="Choose the representative"):
        add_rule(company, None, representative)
    assert not AssignmentRule.objects.exists()
    assert policy.may_manage_assignment_rules(representative, company)
    assert not policy.may_manage_assignment_rules(colleague, company)


def test_rules_are_updated_deleted_and_renumbered(company, representative, unvalidated_representative, colleague):
    rules = [add_rule(company, colleague, representative, product_contains=word) for word in ("a", "b", "c")]
    assert [rule.position for rule in rules] == [1, 2, 3]
    updated = assignment_rule_update(
        rule=rules[1], assignee=unvalidated_representative, province="BA", product_contains="", by=representative
    )
    assert (updated.assignee, updated.province, updated.product_contains) == (unvalidated_representative, "BA", "")

    assignment_rule_delete(rule=rules[0], by=representative)
    assignment_rule_delete(rule=rules[0], by=representative)  # a second click: nothing left to delete
    assert list(AssignmentRule.objects.order_by("position").values_list("pk", "position")) == [
        (rules[1].pk, 1),
        (rules[2].pk, 2),
    ]
    assignment_rule_move(rule=rules[1], to_position=99, by=representative)
    assert list(AssignmentRule.objects.order_by("position").values_list("pk", flat=True)) == [rules[2].pk, rules[1].pk]
    with pytest.raises(CaseError, match="deleted meanwhile"):
        assignment_rule_move(rule=rules[0], to_position=1, by=representative)
    with pytest.raises(CaseError, match="Only an administrator"):
        assignment_rule_delete(rule=rules[1], by=colleague)
