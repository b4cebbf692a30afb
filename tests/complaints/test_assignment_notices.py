"""Once a company gives a case to one of its representatives, the case's ordinary notices on the
company's side go to that person only — an answer to an offer, a hearing's date, a deadline's
reminder, a move of the sanction proceeding — and to everyone again once their representation is
revoked. The formal notices still reach the electronic domicile and every representative."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.models import CaseCompany, Complaint, Offer
from complaints.services.assignment import part_assign
from complaints.services.parts import name_company
from hearings.models import Hearing
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
from tests.hearings.test_outcome_support import hearing_under_way
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


def test_the_answer_to_an_offer_goes_only_to_the_assignee(
    consumer, company, officer, representative, unvalidated_representative
):
    case = served_case(consumer, company, officer)
    give(case, company, unvalidated_representative, representative)
    offer = make_offer(case, representative)
    services.offer_reject(offer=offer, by=consumer, counter_terms="Prefiero el reintegro.")
    assert told("offer_answered", company=company) == {unvalidated_representative}


def test_in_a_case_of_several_companies_the_answer_goes_to_the_offering_companys_assignee_only(
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
    assert told("offer_answered", company=company) == {unvalidated_representative}
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
