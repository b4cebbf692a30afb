"""Once a company gives a case to one of its representatives, the case's ordinary notices on the
company's side go to that person only — a hearing's date, a deadline's reminder, a move of the
sanction proceeding — and to everyone again once their representation is revoked (never to a
deactivated account). A notice asking for a move only a validated power may make (an acta to
confirm, its reminder, the answer to an offer) also reaches whoever can bind the company when the
assignee cannot, and the answer to an offer reaches whoever made it. The formal notices still reach
the electronic domicile and every representative."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.models import CaseCompany, Complaint, Offer
from complaints.services.assignment import company_recipients, part_assign
from complaints.services.parts import name_company
from hearings import policy as hearing_policy
from hearings.models import Acta, Hearing
from hearings.services.outcome import outcome_record
from hearings.services.referral import case_refer
from hearings.services.room import people_of
from hearings.services.scheduling import hearing_schedule
from legal.models import Proceeding
from legal.services.moves import proceeding_charge, proceeding_receive
from notifications.models import Notification
from oversight.models import Clock, Kind
from oversight.services.clocks import send_reminders
from parties.models import Company, PowerStatus, Representation, Role, User
from tests.complaints.factories import draft_case, served_case
from tests.conftest import enrol_totp, make_user
from tests.hearings.factories import SERVED, at
from tests.hearings.test_outcome_support import agreement_at, hearing_under_way
from tests.oversight.test_rules import MONDAY

pytestmark = pytest.mark.django_db


def told(event: str, *, company: Company) -> set[User]:
    """The company's representatives with an e-mail of `event`."""
    rows = Notification.objects.filter(
        event=event, channel="email", recipient__representations__company=company
    ).select_related("recipient")
    return {row.recipient for row in rows if row.recipient is not None}


def give(case: Complaint, company: Company, to: User, by: User) -> None:
    part_assign(part=CaseCompany.objects.get(complaint=case, company=company), assignee=to, by=by)


def revoke(user: User, company: Company) -> None:
    Representation.objects.filter(user=user, company=company).update(revoked_at=timezone.now())


def make_offer(case: Complaint, by: User, part: CaseCompany | None = None) -> Offer:
    return services.offer_make(
        complaint=case,
        by=by,
        terms="Cambio por una nueva.",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
        part=part,
    )


# --- Offers --------------------------------------------------------------------------------------


def test_the_answer_to_an_offer_goes_to_the_assignee_and_to_whoever_can_bind_the_company(
    consumer, company, officer, representative, unvalidated_representative
):
    """The assignee has no validated power, so they cannot answer a counter-offer with a new offer:
    the representative who can (who made the offer, too) is told as well."""
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    offer = make_offer(case, representative)
    services.offer_reject(offer=offer, by=consumer, counter_terms="Prefiero el reintegro.")
    assert told("offer_answered", company=company) == {unvalidated_representative, representative}


def test_an_assignee_who_can_bind_the_company_hears_of_the_answer_with_whoever_made_the_offer(
    consumer, company, officer, representative, unvalidated_representative
):
    lucia = make_user("lucia@electrosur.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Sosa")
    Representation.objects.create(user=lucia, company=company, power_status=PowerStatus.VALIDATED)
    case = served_case(consumer, company, officer)
    give(case, company, lucia, representative)
    offer = make_offer(case, representative)
    services.offer_reject(offer=offer, by=consumer)
    # Not the colleague without a power: the assignee can act, and the offer's author is told.
    assert told("offer_answered", company=company) == {lucia, representative}
    # An accepted offer too (the case ends in an agreement): one notice each, no second one.
    second = served_case(consumer, company, officer)
    give(second, company, lucia, representative)
    services.offer_accept(offer=make_offer(second, representative), by=consumer)
    rows = Notification.objects.filter(event="offer_answered", channel="email", case_number=second.number)
    assert sorted(row.recipient.email for row in rows if row.recipient is not None) == [
        "jorge@electrosur.test",
        "lucia@electrosur.test",
        "maria@example.com",
    ]


def test_whoever_made_the_offer_is_not_told_once_they_no_longer_represent_the_company(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    offer = make_offer(case, representative)
    revoke(representative, company)
    services.offer_reject(offer=offer, by=consumer)
    assert told("offer_answered", company=company) == {unvalidated_representative}


def test_in_a_case_of_several_companies_the_answer_goes_to_the_offering_companys_side_only(
    consumer, company, other_company, officer, representative, unvalidated_representative
):
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    lucia = make_user("lucia@conectar.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Sosa")
    Representation.objects.create(user=lucia, company=other_company, power_status=PowerStatus.VALIDATED)
    draft = draft_case(consumer, company)
    name_company(draft, company=other_company)
    case = services.complaint_admit(complaint=services.complaint_submit(complaint=draft, by=consumer), by=officer)
    give(case, company, unvalidated_representative, representative)

    offer = make_offer(case, representative, part=CaseCompany.objects.get(complaint=case, company=company))
    services.offer_accept(offer=offer, by=consumer)
    assert told("offer_answered", company=company) == {unvalidated_representative, representative}
    assert told("offer_answered", company=other_company) == set()


# --- Hearings ------------------------------------------------------------------------------------


def test_a_hearing_date_goes_to_the_assignee_and_the_domicile_but_everyone_may_still_attend(
    consumer, company, officer, conciliator, representative, unvalidated_representative
):
    with time_machine.travel(SERVED, tick=True):
        case = served_case(consumer, company, officer)
        give(case, company, unvalidated_representative, representative)
        hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    rows = Notification.objects.filter(event="hearing_scheduled", channel="email", recipient__isnull=False)
    assert {row.recipient for row in rows} == {consumer, unvalidated_representative, conciliator}
    # The date served at the company's electronic domicile, as always.
    assert Notification.objects.filter(
        event="hearing_scheduled", recipient__isnull=True, address=company.electronic_domicile
    ).exists()
    # Being told is not taking part: the room still knows every representative of the company.
    assert {person for person, _side in people_of(hearing)} >= {representative, unvalidated_representative}


def test_once_the_assignees_representation_is_revoked_everyone_is_told_again(
    consumer, company, officer, conciliator, representative, unvalidated_representative
):
    with time_machine.travel(SERVED, tick=True):
        case = served_case(consumer, company, officer)
        give(case, company, unvalidated_representative, representative)
        revoke(unvalidated_representative, company)
        hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)
    assert told("hearing_scheduled", company=company) == {representative}


# --- Deadlines' reminders ------------------------------------------------------------------------


def test_the_reminder_of_the_companys_answer_goes_to_the_assignee(
    consumer, company, officer, representative, unvalidated_representative
):
    with time_machine.travel(MONDAY, tick=False):
        case = served_case(consumer, company, officer)
        give(case, company, unvalidated_representative, representative)
    clock = Clock.objects.get(kind=Kind.COMPANY_ANSWER, complaint=case, closed_at__isnull=True)
    assert clock.remind_at is not None
    with time_machine.travel(clock.remind_at, tick=False):
        assert send_reminders(Kind.COMPANY_ANSWER) == 1
    assert told("clock_reminder", company=company) == {unvalidated_representative}


# --- Moves only a validated power may make --------------------------------------------------------


def test_an_acta_to_confirm_reaches_whoever_can_bind_the_company_when_the_assignee_cannot(
    consumer,
    company,
    officer,
    conciliator,
    representative,
    unvalidated_representative,
    django_capture_on_commit_callbacks,
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    give(hearing.complaint, company, unvalidated_representative, representative)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)

    assert Acta.objects.filter(hearing=hearing).exclude(sha256="").exists()
    # The assignee cannot confirm it in the company's name; the representative with a power can.
    assert hearing_policy.why_not(hearing_policy.CONFIRM_ACTA, unvalidated_representative, hearing) is not None
    assert hearing_policy.why_not(hearing_policy.CONFIRM_ACTA, representative, hearing) is None
    assert told("acta_ready", company=company) == {unvalidated_representative, representative}
    # The outcome's news asks nothing of the company's power: the assignee alone.
    assert told("outcome_recorded", company=company) == {unvalidated_representative}


def test_an_assignee_who_can_bind_the_company_is_the_only_one_told_of_the_acta(
    consumer,
    company,
    officer,
    conciliator,
    representative,
    unvalidated_representative,
    django_capture_on_commit_callbacks,
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    give(hearing.complaint, company, representative, representative)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    assert told("acta_ready", company=company) == {representative}


def test_the_reminder_to_confirm_an_acta_reaches_whoever_can_bind_the_company(
    consumer,
    company,
    officer,
    conciliator,
    representative,
    unvalidated_representative,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(MONDAY, tick=False):
        hearing = hearing_under_way(consumer, company, officer, conciliator)
        give(hearing.complaint, company, unvalidated_representative, representative)
        with django_capture_on_commit_callbacks(execute=True):
            agreement_at(hearing, conciliator)
    clock = Clock.objects.get(kind=Kind.ACTA_CONFIRMATION, complaint=hearing.complaint, closed_at__isnull=True)
    assert clock.remind_at is not None
    with time_machine.travel(clock.remind_at, tick=False):
        assert send_reminders(Kind.ACTA_CONFIRMATION) == 1
    assert told("clock_reminder", company=company) == {unvalidated_representative, representative}


def test_an_expired_power_does_not_bind_the_company(
    consumer, company, officer, representative, unvalidated_representative
):
    """The rule of policy.power_refusal, read of the representations already loaded."""
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    Representation.objects.filter(user=representative, company=company).update(
        power_valid_until=timezone.localdate() - timedelta(days=1)
    )
    assert company_recipients(case, binding=True) == [unvalidated_representative]
    Representation.objects.filter(user=representative, company=company).update(power_valid_until=timezone.localdate())
    assert company_recipients(case, binding=True) == [unvalidated_representative, representative]


def test_who_can_bind_the_company_costs_no_more_queries(
    consumer, company, officer, representative, unvalidated_representative, django_assert_num_queries
):
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    for n in range(5):
        user = make_user(f"rep{n}@electrosur.test", Role.REPRESENTATIVE)
        Representation.objects.create(user=user, company=company, power_status=PowerStatus.VALIDATED)
    # The case's served parts; their companies' active representations with their users and powers.
    with django_assert_num_queries(2):
        assert len(company_recipients(case, binding=True)) == 7


# --- Deactivated accounts ------------------------------------------------------------------------


def deactivate(user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_a_deactivated_account_is_not_among_everyone(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    deactivate(unvalidated_representative)
    assert company_recipients(case) == [representative]


def test_a_deactivated_assignee_gives_way_to_the_active_representatives_only(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    deactivate(unvalidated_representative)
    assert company_recipients(case) == [representative]
    assert company_recipients(case, binding=True) == [representative]


# --- The sanction proceeding ---------------------------------------------------------------------


def test_the_proceedings_news_go_to_the_assignee_and_its_formal_charge_to_everyone(
    consumer, company, officer, conciliator, representative, unvalidated_representative
):
    lawyer = make_user("lucia@oficina.test", Role.LEGAL, first_name="Lucía", last_name="Méndez")
    enrol_totp(lawyer)
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    case_refer(complaint=hearing.complaint, by=officer, reason="Sin acuerdo en la audiencia.")
    proceeding = Proceeding.objects.get(complaint=hearing.complaint)
    give(hearing.complaint, company, unvalidated_representative, representative)

    proceeding_receive(proceeding=proceeding, by=lawyer)
    assert told("legal_update", company=company) == {unvalidated_representative}
    assert Notification.objects.filter(event="legal_update", recipient=consumer).exists()

    def formal_inbox(user: User) -> int:
        return Notification.objects.filter(event="formal_notice", channel="inbox", recipient=user).count()

    before = {user: formal_inbox(user) for user in (representative, unvalidated_representative)}
    proceeding_charge(proceeding=proceeding, by=lawyer, text="Incumplimiento del art. 19 de la Ley 24.240.")
    assert {user: formal_inbox(user) - before[user] for user in before} == {
        representative: 1,
        unvalidated_representative: 1,
    }
    assert Notification.objects.filter(
        event="formal_notice", recipient__isnull=True, address=company.electronic_domicile
    ).exists()
