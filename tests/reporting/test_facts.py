"""The fact rows (reporting/facts.py): one per company's part of every filed case, built from the
case's record with a constant number of queries, stage times in business days."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.services import (
    complaint_admit,
    complaint_observe,
    complaint_resubmit,
    complaint_submit,
    complaint_transition,
    complaint_withdraw,
    lock_case,
    record_event,
)
from complaints.services.offers import offer_accept, offer_make
from complaints.services.parts import name_company
from complaints.services.serving import refer_complaints_without_domicile
from hearings.models import Hearing
from hearings.services.outcome import CompanyOutcome, outcome_record
from parties.business_days import business_days_between, forget_calendar
from parties.models import Company, NonWorkingDay, Sector
from reporting.facts import BusinessDayCounter, build_facts
from reporting.models import CaseFact, Outcome
from tests.complaints.factories import draft_case
from tests.reporting.scenario import REFRESHED, at, build_office, consumer_named, hearing_at, survey, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test counts with the calendar its own database holds: a day another test declared (its
    transaction rolled back) must not stay in this process's copy."""
    forget_calendar()
    yield
    forget_calendar()


def facts_of(case) -> list[CaseFact]:
    return list(CaseFact.objects.filter(complaint_id=case.pk).order_by("part__position"))


def test_each_case_of_the_office_as_built_by_hand(
    company, other_company, representative, officer, conciliator, director
):
    office = build_office(
        company=company,
        other_company=other_company,
        representative=representative,
        officer=officer,
        conciliator=conciliator,
        director=director,
    )
    with travel(REFRESHED):
        build_facts([case.pk for case in office.cases.values()])
    row = {letter: facts_of(case)[0] for letter, case in office.cases.items()}
    columns = (
        "outcome",
        "complied",
        "referred",
        "closed_on",
        "days_admission",
        "days_service",
        "days_first_hearing",
        "days_outcome",
        "days_compliance",
        "days_answer",
        "days_resolution",
    )
    expected = {
        "A": (Outcome.AGREEMENT_AT_HEARING, True, False, date(2026, 8, 3), 5, 0, 7, 0, 9, 1, 21),
        "B": (Outcome.AGREEMENT_BY_OFFER, False, True, date(2026, 7, 20), 1, 0, None, None, None, 1, 10),
        "C": (Outcome.NO_AGREEMENT, None, True, date(2026, 7, 24), 4, 0, 6, 0, None, None, 12),
        "D": (Outcome.WITHDRAWN, None, False, date(2026, 7, 13), 1, 0, None, None, None, None, 2),
        "E": (Outcome.REJECTED, None, False, date(2026, 7, 13), None, None, None, None, None, None, 1),
        "F": (Outcome.CONSUMER_ABSENT, None, False, None, 2, 2, 6, 0, None, 2, None),
        "G": (Outcome.AGREEMENT_AT_HEARING, None, False, None, 1, 0, 6, 5, None, None, None),
        "H": (Outcome.PENDING, None, False, None, None, None, None, None, None, None, None),
    }
    for letter, values in expected.items():
        assert tuple(getattr(row[letter], name) for name in columns) == values, letter
    # Where each case stands, and what it is filed under.
    assert (row["H"].filed_on, row["H"].filed_month, row["H"].status) == (
        date(2026, 6, 29),
        date(2026, 6, 1),
        "submitted",
    )
    assert (row["A"].closed_month, row["A"].sector, row["C"].sector) == (
        date(2026, 8, 1),
        Sector.RETAIL,
        Sector.TELECOM,
    )
    assert (row["C"].province, row["D"].channel, row["G"].vulnerable) == ("BA", "in_person", True)
    # The conciliator of the latest hearing not cancelled: G's second hearing was Bruno's.
    assert (row["A"].conciliator_id, row["G"].conciliator_id, row["B"].conciliator_id) == (
        conciliator.pk,
        office.bruno.pk,
        None,
    )
    assert (row["G"].hearings_held, row["G"].adjournments, row["F"].consumer_absences) == (2, 1, 1)
    # The consumer's survey, and company X's own answer on its part.
    assert (row["A"].consumer_satisfaction, row["A"].consumer_solved, row["A"].consumer_would_return) == (
        5,
        "yes",
        True,
    )
    assert (row["A"].company_satisfaction, row["B"].company_satisfaction) == (4, None)
    assert (row["A"].served, row["A"].answered, row["E"].served, row["H"].served) == (True, True, False, False)
    assert all(fact.lead for fact in row.values())


@pytest.fixture
def two_companies(consumer, company, officer, conciliator):
    """A case against the seller (`company`) and a bank, both served at admission; its hearing on
    Tuesday 21 July 2026 ends in an agreement with the seller and none with the bank."""
    bank = Company.objects.create(
        cuit="30500001735", legal_name="Banco Cuotas S.A.", electronic_domicile="b@banco.test", sector=Sector.BANKING
    )
    with travel(at(7, 1)):
        case = draft_case(consumer, company)
        name_company(case, company=bank)
        case = complaint_submit(complaint=case, by=consumer)
    with travel(at(7, 8)):
        case = complaint_admit(complaint=case, by=officer)
    seller, bank_part = CaseCompany.objects.filter(complaint=case).order_by("position")
    hearing = hearing_at(case, conciliator, officer, at(7, 21))
    with travel(at(7, 21, 10, 50)):
        outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Hearing.Outcome.AGREEMENT,
            per_company={
                seller.pk: CompanyOutcome(
                    Hearing.Outcome.AGREEMENT, terms="Cambio de la heladera.", compliance_due=date(2026, 9, 1)
                ),
                bank_part.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT, notes="El banco no ofreció nada."),
            },
        )
    survey(case, 3, "partly", True)
    survey(case, 2, "no", False, part=bank_part)
    return case, seller, bank_part


def test_a_case_of_two_companies_has_a_row_for_each(two_companies):
    case, seller, bank = two_companies
    with travel(REFRESHED):
        build_facts([case.pk])
    first, second = facts_of(case)
    assert (first.part_id, second.part_id) == (seller.pk, bank.pk)
    # The seller leads: its row counts the case once.
    assert (first.lead, second.lead) == (True, False)
    assert (first.sector, second.sector) == (Sector.OTHER, Sector.BANKING)
    # Each company's own outcome at the same hearing.
    assert (first.outcome, second.outcome) == (Outcome.AGREEMENT_AT_HEARING, Outcome.NO_AGREEMENT)
    assert (first.referred, second.referred) == (False, True)
    # The bank's part ended at the hearing (We 1 → Tu 21 Jul: 2 3 6 7 8 13 14 15 16 17 20 21 = 12
    # business days); the seller's is still open, as is the case.
    assert (second.closed, second.closed_on, second.days_resolution) == (True, date(2026, 7, 21), 12)
    assert (first.closed, first.days_resolution) == (False, None)
    # The same stages up to the hearing: served We 8, heard Tu 21 (7 business days).
    assert (first.days_first_hearing, second.days_first_hearing) == (7, 7)
    # The consumer's answer on both rows; the bank's own answer on its row only.
    assert (first.consumer_satisfaction, second.consumer_satisfaction) == (3, 3)
    assert (first.company_satisfaction, second.company_satisfaction) == (None, 2)
    assert (first.company_solved, second.company_solved) == ("", "no")
    assert (first.company_would_return, second.company_would_return) == (None, False)
    assert first.part_status == PartStatus.AGREEMENT


def test_drafts_are_not_facts(consumer, company):
    draft = draft_case(consumer, company)
    assert build_facts([draft.pk]) == set()
    assert not CaseFact.objects.exists()


def test_a_sole_trader_is_a_natural_person(consumer, officer):
    person = Company.objects.create(cuit="20123456786", legal_name="Juan Pérez", electronic_domicile="jp@example.com")
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, person), by=consumer)
    build_facts([case.pk])
    assert facts_of(case)[0].natural_person is True


def test_a_part_whose_company_is_not_registered_is_judged_by_its_cuit(consumer, company):
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    # A row written outside the services (e.g. imported): the company left unregistered.
    CaseCompany.objects.filter(complaint=case).update(company=None, cuit="27111111119")
    build_facts([case.pk])
    fact = facts_of(case)[0]
    assert (fact.company_id, fact.natural_person, fact.sector) == (None, True, Sector.OTHER)


def test_rebuilding_updates_the_row_in_place(consumer, company, officer):
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    build_facts([case.pk])
    assert facts_of(case)[0].days_admission is None
    with travel(at(7, 8)):
        complaint_admit(complaint=case, by=officer)
    build_facts([case.pk])
    assert CaseFact.objects.count() == 1
    assert facts_of(case)[0].days_admission == 5


def test_the_queries_do_not_grow_with_the_batch(consumer, company, other_company, officer):
    def submitted(letter: str):
        user = consumer_named(letter)
        with travel(at(7, 1)):
            return complaint_submit(complaint=draft_case(user, company), by=user)

    one = [submitted("P").pk]
    many = [submitted(letter).pk for letter in "QRSTUV"]
    for pk in many[:3]:
        with travel(at(7, 8)):
            complaint_admit(complaint=Complaint.objects.get(pk=pk), by=officer)
    with CaptureQueriesContext(connection) as small:
        build_facts(one)
    with CaptureQueriesContext(connection) as large:
        build_facts(many)
    # Complaints, events, parts, hearings, per-company outcomes, answers, offers, surveys; then the
    # upsert in its savepoint: the load table made (if new) and emptied, COPY, INSERT … ON CONFLICT.
    assert len(large) == len(small) <= 14
    assert CaseFact.objects.count() == 7


def test_business_days_are_counted_as_the_office_counts_them():
    counter = BusinessDayCounter()
    start = date(2026, 6, 25)
    for offset in range(0, 60, 3):
        for length in (0, 1, 2, 5, 9, 20):
            a, b = start + timedelta(days=offset), start + timedelta(days=offset + length)
            assert counter.between(a, b) == business_days_between(a, b)
    # Backwards, and the range growing to the left.
    assert counter.between(date(2026, 7, 8), date(2026, 7, 1)) == 0
    assert counter.between(date(2026, 1, 2), date(2026, 1, 5)) == business_days_between(
        date(2026, 1, 2), date(2026, 1, 5)
    )
    assert counter.between(date(2026, 7, 8), date(2026, 7, 13)) == 1  # over the 9th and 10th of July
    assert counter.between(None, date(2026, 7, 13)) is None


def test_a_day_the_office_declares_closed_counts_for_a_new_counter():
    assert BusinessDayCounter().between(date(2026, 7, 13), date(2026, 7, 15)) == 2
    NonWorkingDay.objects.create(date=date(2026, 7, 14), reason="Corte de luz")
    from parties.business_days import reload_calendar

    reload_calendar()
    assert BusinessDayCounter().between(date(2026, 7, 13), date(2026, 7, 15)) == 1


def served_on_the_8th(letter: str, company: Company, officer):
    consumer = consumer_named(letter)
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    with travel(at(7, 8)):
        return complaint_admit(complaint=case, by=officer)


def absent(hearing: Hearing, outcome: str) -> None:
    with travel(hearing.starts_at + timedelta(minutes=45)):
        outcome_record(hearing=hearing, by=hearing.conciliator, outcome=outcome, notes="No se presentó.")


def test_an_absent_company_referred_keeps_its_absence_as_the_outcome(company, officer, conciliator):
    case = served_on_the_8th("M", company, officer)
    absent(hearing_at(case, conciliator, officer, at(7, 21)), "company_absent")
    with travel(at(7, 31)), transaction.atomic():
        complaint_transition(complaint=Complaint.objects.get(pk=case.pk), transition="refer", by=officer)
    build_facts([case.pk])
    fact = facts_of(case)[0]
    assert (fact.outcome, fact.referred, fact.company_absences, fact.closed_on) == (
        Outcome.COMPANY_ABSENT,
        True,
        1,
        date(2026, 7, 31),
    )


def test_a_consumer_absence_excused_by_a_new_hearing_is_pending_again(company, officer, conciliator):
    case = served_on_the_8th("N", company, officer)
    absent(hearing_at(case, conciliator, officer, at(7, 21)), "consumer_absent")
    build_facts([case.pk])
    assert facts_of(case)[0].outcome == Outcome.CONSUMER_ABSENT
    with travel(at(7, 23)), transaction.atomic():
        complaint_transition(complaint=Complaint.objects.get(pk=case.pk), transition="reactivate", by=officer)
    hearing_at(Complaint.objects.get(pk=case.pk), conciliator, officer, at(8, 4))
    build_facts([case.pk])
    fact = facts_of(case)[0]
    assert (fact.outcome, fact.consumer_absences, fact.hearings_held, fact.days_first_hearing) == (
        Outcome.PENDING,
        1,
        1,
        7,
    )


def test_one_company_agrees_by_an_offer_the_other_is_heard(consumer, company, representative, officer, conciliator):
    bank = Company.objects.create(cuit="30500001735", legal_name="Banco Cuotas S.A.", electronic_domicile="b@b.test")
    with travel(at(7, 1)):
        case = draft_case(consumer, company)
        name_company(case, company=bank)
        case = complaint_submit(complaint=case, by=consumer)
    with travel(at(7, 8)):
        case = complaint_admit(complaint=case, by=officer)
    seller, bank_part = CaseCompany.objects.filter(complaint=case).order_by("position")
    with travel(at(7, 13)):
        offer = offer_make(
            complaint=case, by=representative, terms="Cambio.", fulfil_by=date(2026, 8, 31), amount=None, part=seller
        )
    with travel(at(7, 14)):
        offer_accept(offer=offer, by=consumer)
    hearing = hearing_at(Complaint.objects.get(pk=case.pk), conciliator, officer, at(7, 21))
    with travel(at(7, 21, 10, 50)):
        outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Hearing.Outcome.NO_AGREEMENT,
            per_company={bank_part.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT, notes="Nada.")},
        )
    build_facts([case.pk])
    first, second = facts_of(case)
    # The seller: an agreement by its offer (answered We 8 → Mo 13 = 1 business day), never heard.
    assert (first.outcome, first.days_answer, first.days_first_hearing, first.days_outcome) == (
        Outcome.AGREEMENT_BY_OFFER,
        1,
        None,
        None,
    )
    # The bank: heard on Tu 21 (7 business days after We 8), no agreement, referred at once.
    assert (second.outcome, second.referred, second.days_first_hearing, second.days_outcome) == (
        Outcome.NO_AGREEMENT,
        True,
        7,
        0,
    )
    assert (first.hearings_held, second.hearings_held) == (1, 1)


def test_a_company_referred_on_its_own_keeps_its_referral_when_the_case_is_withdrawn(consumer, company, officer):
    """A (electronic domicile) is served at admission; B (on paper) never set up its domicile and is
    referred alone on Tu 7; the consumer withdraws what is left (A) on We 8."""
    paper = Company.objects.create(cuit="30500001735", legal_name="Papel S.A.")
    with travel(at(7, 1)):
        case = draft_case(consumer, company)
        name_company(case, company=paper)
        case = complaint_submit(complaint=case, by=consumer)
    with travel(at(7, 2)):
        case = complaint_admit(complaint=case, by=officer)
    b = CaseCompany.objects.get(complaint=case, company=paper)
    # The paper notice delivered on Fr 3 (what paper_notice_deliver writes), the domicile due Mo 6.
    CaseCompany.objects.filter(pk=b.pk).update(notified_at=at(7, 3), domicile_due_at=at(7, 6))
    with travel(at(7, 7)):
        assert refer_complaints_without_domicile(now=at(7, 7)) == 1
    with travel(at(7, 8)):
        complaint_withdraw(complaint=Complaint.objects.get(pk=case.pk), by=consumer, reason="Ya no me interesa.")
    build_facts([case.pk])
    first, second = facts_of(case)
    assert (first.outcome, first.closed_on) == (Outcome.WITHDRAWN, date(2026, 7, 8))
    assert (second.outcome, second.referred, second.closed_on) == (Outcome.REFERRED, True, date(2026, 7, 7))
    # The case as a whole closed with its last part, on We 8: We 1 → We 8 = 2 3 6 7 8 = 5 business days.
    assert (first.case_closed, first.case_closed_on, first.case_days_resolution) == (True, date(2026, 7, 8), 5)
    assert (second.case_closed_on, second.case_days_resolution, second.days_resolution) == (date(2026, 7, 8), 5, 4)


def test_the_case_columns_of_a_case_whose_lead_ended_first(consumer, company, officer, conciliator):
    """The lead (a bank) is referred at the hearing, the other company agrees: the lead's part is
    closed, the case is not; a company absent at another hearing counts for the case."""
    bank = Company.objects.create(cuit="30500001735", legal_name="Banco S.A.", electronic_domicile="b@b.test")
    with travel(at(7, 1)):
        case = draft_case(consumer, bank)
        name_company(case, company=company)
        case = complaint_submit(complaint=case, by=consumer)
    with travel(at(7, 8)):
        case = complaint_admit(complaint=case, by=officer)
    lead, other = CaseCompany.objects.filter(complaint=case).order_by("position")
    hearing = hearing_at(case, conciliator, officer, at(7, 21))
    with travel(at(7, 21, 10, 50)):
        outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Hearing.Outcome.AGREEMENT,
            per_company={
                lead.pk: CompanyOutcome("company_absent", notes="No vino."),
                other.pk: CompanyOutcome("agreement", terms="Cambio.", compliance_due=date(2026, 9, 1)),
            },
        )
    CaseCompany.objects.filter(pk=lead.pk).update(status=PartStatus.REFERRED, closed_at=at(7, 31))
    build_facts([case.pk])
    first, second = facts_of(case)
    assert (first.closed, first.closed_on, first.days_resolution, first.company_absences) == (
        True,
        date(2026, 7, 31),
        20,
        1,
    )
    assert (second.closed, second.company_absences) == (False, 0)
    for row in (first, second):
        assert (row.case_closed, row.case_closed_on, row.case_days_resolution, row.case_company_absences) == (
            False,
            None,
            None,
            1,
        )


def test_a_consumer_absence_excused_is_pending_before_the_new_hearing_is_booked(company, officer, conciliator):
    case = served_on_the_8th("P", company, officer)
    absent(hearing_at(case, conciliator, officer, at(7, 21)), "consumer_absent")
    with travel(at(7, 23)), transaction.atomic():
        complaint_transition(complaint=Complaint.objects.get(pk=case.pk), transition="reactivate", by=officer)
    build_facts([case.pk])
    assert (facts_of(case)[0].outcome, facts_of(case)[0].consumer_absences) == (Outcome.PENDING, 1)


def test_a_company_absence_whose_new_hearing_was_cancelled_is_still_pending(company, officer, conciliator):
    case = served_on_the_8th("Q", company, officer)
    absent(hearing_at(case, conciliator, officer, at(7, 21)), "company_absent")
    second = hearing_at(Complaint.objects.get(pk=case.pk), conciliator, officer, at(8, 4))
    with travel(at(7, 29)), transaction.atomic():
        Hearing.objects.filter(pk=second.pk).update(status=Hearing.Status.CANCELLED)
        complaint_transition(complaint=Complaint.objects.get(pk=case.pk), transition="cancel_hearing", by=officer)
    build_facts([case.pk])
    assert facts_of(case)[0].outcome == Outcome.PENDING


def test_a_company_absence_accepted_is_pending(company, officer, conciliator):
    case = served_on_the_8th("R", company, officer)
    absent(hearing_at(case, conciliator, officer, at(7, 21)), "company_absent")
    build_facts([case.pk])
    assert facts_of(case)[0].outcome == Outcome.COMPANY_ABSENT
    # What absence_decide records when the office accepts a company's justification (the case stays
    # "company absent" until the new hearing is booked).
    with travel(at(7, 23)), transaction.atomic():
        record_event(case=lock_case(case.pk), action="absence_accepted", by=officer, reason="Enfermedad.")
    build_facts([case.pk])
    assert facts_of(case)[0].outcome == Outcome.PENDING


def test_admission_is_counted_from_the_corrected_complaint(consumer, company, officer):
    """Filed We 1, observed Th 2, corrected Mo 13, admitted We 15: the office's review took Mo 13 →
    We 15 = 2 business days (not the 8 from We 1); the case still belongs to its filing day."""
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    with travel(at(7, 2)):
        case = complaint_observe(complaint=case, by=officer, observation="Adjuntá la factura.")
    with travel(at(7, 13)):
        case = complaint_resubmit(complaint=Complaint.objects.get(pk=case.pk), by=consumer)
    with travel(at(7, 15)):
        complaint_admit(complaint=Complaint.objects.get(pk=case.pk), by=officer)
    build_facts([case.pk])
    fact = facts_of(case)[0]
    assert (fact.filed_on, fact.days_admission) == (date(2026, 7, 1), 2)
