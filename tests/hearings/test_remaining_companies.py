"""A case of several companies whose companies were not all heard at once.

- A company that agreed before the hearing (by accepting its offer) keeps its agreement when the
  hearing with the others ends without one: the case is in agreement, not stranded in "no agreement".
- A company whose absence was excused while another agreed gets its own new hearing ("a hearing for
  the remaining companies"): the case keeps its agreement and its state; only that company's part moves.
"""

from datetime import timedelta

import pytest
import time_machine

from complaints.models import CaseCompany, CaseEvent, Offer, PartStatus
from complaints.services.offers import offer_accept, offer_make
from complaints.states import State
from hearings import policy
from hearings.errors import HearingError
from hearings.models import Agreement, Hearing, PartOutcome
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.outcome import CompanyOutcome, outcome_record
from hearings.services.scheduling import hearing_adjourn, hearing_schedule
from notifications.models import Notification
from tests.hearings.test_outcome_support import compliance_day, free_slot
from tests.hearings.test_several_companies import _mixed, _reload, three  # noqa: F401  (the fixture)

Outcome = Hearing.Outcome


def _excused_b(hearing, conciliator, officer, parts, reps):
    """A agreed, B was absent and is excused, C was referred: B awaits its own hearing."""
    hearing = _mixed(hearing, conciliator, parts)
    justification = absence_justify(hearing=hearing, by=reps[1], text="El apoderado estuvo internado.")
    absence_decide(justification=justification, by=officer, accept=True)
    case = hearing.complaint
    case.refresh_from_db()
    return case


def test_an_agreement_reached_by_offer_survives_a_hearing_without_agreement_with_the_others(
    three,  # noqa: F811
    conciliator,
    consumer,
):
    hearing, parts, reps = three
    a, b, c = parts
    offer = offer_make(
        complaint=hearing.complaint,
        by=reps[0],
        terms="Cambiamos la heladera.",
        fulfil_by=compliance_day(),
        amount=None,
        part=a,
    )
    offer_accept(offer=offer, by=consumer)
    assert CaseCompany.objects.get(pk=a.pk).status == PartStatus.AGREEMENT

    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.NO_AGREEMENT,
        per_company={b.pk: CompanyOutcome(Outcome.NO_AGREEMENT), c.pk: CompanyOutcome(Outcome.NO_AGREEMENT)},
    )

    case = hearing.complaint
    case.refresh_from_db()
    a, b, c = _reload(parts)
    # The case goes on to approve A's agreement; B and C are referred on their own.
    assert case.status == State.AGREEMENT
    assert (a.status, b.status, c.status) == (PartStatus.AGREEMENT, PartStatus.REFERRED, PartStatus.REFERRED)
    assert policy.accepted_offer(case) == Offer.objects.get(pk=offer.pk)
    hearing.refresh_from_db()
    assert hearing.outcome == Outcome.NO_AGREEMENT  # what happened at this hearing, with B and C


def test_an_excused_company_gets_its_own_hearing_and_the_case_keeps_its_agreement(
    three,  # noqa: F811
    conciliator,
    officer,
    consumer,
):
    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    assert case.status == State.AGREEMENT
    assert policy.why_not(policy.SCHEDULE_HEARING, officer, case) is None

    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)

    case.refresh_from_db()
    assert case.status == State.AGREEMENT  # the agreement with A stays on its way
    assert new.status == Hearing.Status.SCHEDULED and policy.is_part_hearing(new)
    event = CaseEvent.objects.filter(complaint=case).latest("pk")
    assert event.action == "part_hearing_scheduled" and event.from_state == event.to_state == ""
    invited = Notification.objects.filter(event="hearing_scheduled", idempotency_key__startswith=f"hearing:{new.pk}:")
    assert invited.filter(recipient=consumer).exists()
    assert invited.filter(recipient=reps[1]).exists()
    # A second click books nothing more.
    with pytest.raises(HearingError, match="already scheduled"):
        hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=4), conciliator=conciliator)
    assert Hearing.objects.filter(complaint=case, status=Hearing.Status.SCHEDULED).count() == 1


def test_the_remaining_company_agrees_at_its_hearing_and_only_its_part_moves(
    three,  # noqa: F811
    conciliator,
    officer,
):
    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)
    b = parts[1]

    with time_machine.travel(new.starts_at + timedelta(minutes=45)):
        outcome_record(
            hearing=new,
            by=conciliator,
            outcome=Outcome.AGREEMENT,
            per_company={
                b.pk: CompanyOutcome(
                    Outcome.AGREEMENT, terms="La fábrica repara el motor.", compliance_due=compliance_day()
                )
            },
        )

    case.refresh_from_db()
    a, b, c = _reload(parts)
    assert case.status == State.AGREEMENT
    assert (a.status, b.status, c.status) == (PartStatus.AGREEMENT, PartStatus.AGREEMENT, PartStatus.REFERRED)
    assert Agreement.objects.get(part=b).hearing_id == new.pk
    assert list(PartOutcome.objects.filter(hearing=new).values_list("part_id", "outcome")) == [
        (b.pk, Outcome.AGREEMENT)
    ]
    new.refresh_from_db()
    assert new.status == Hearing.Status.HELD and new.outcome == Outcome.AGREEMENT


def test_the_remaining_company_without_agreement_is_referred_alone(three, conciliator, officer):  # noqa: F811
    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)
    with time_machine.travel(new.starts_at + timedelta(minutes=45)):
        outcome_record(
            hearing=new,
            by=conciliator,
            outcome=Outcome.NO_AGREEMENT,
            per_company={parts[1].pk: CompanyOutcome(Outcome.NO_AGREEMENT)},
        )

    case.refresh_from_db()
    a, b, _c = _reload(parts)
    assert case.status == State.AGREEMENT and a.status == PartStatus.AGREEMENT
    assert b.status == PartStatus.REFERRED
    assert CaseEvent.objects.filter(complaint=case, action="part_referred", reason__startswith="Fábrica Frío").exists()


def test_a_hearing_for_the_remaining_companies_is_not_adjourned_nor_ended_for_the_whole_case(
    three,  # noqa: F811
    conciliator,
    officer,
):
    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)
    with time_machine.travel(new.starts_at + timedelta(minutes=45)):
        with pytest.raises(HearingError, match="reschedule"):
            hearing_adjourn(hearing=new, by=conciliator, reason="Falta un documento.")
        with pytest.raises(HearingError, match="remaining companies"):
            outcome_record(hearing=new, by=conciliator, outcome=Outcome.CONSUMER_ABSENT)
    new.refresh_from_db()
    case.refresh_from_db()
    assert new.status == Hearing.Status.SCHEDULED and case.status == State.AGREEMENT
    assert CaseCompany.objects.get(pk=parts[1].pk).status == PartStatus.SERVED


def test_a_case_with_an_agreement_and_no_company_awaiting_cannot_get_a_hearing(
    three,  # noqa: F811
    conciliator,
    officer,
):
    hearing, parts, _reps = three
    hearing = _mixed(hearing, conciliator, parts)  # B absent, not excused yet
    case = hearing.complaint
    case.refresh_from_db()
    refusal = policy.why_not(policy.SCHEDULE_HEARING, officer, case)
    assert refusal is not None
    with pytest.raises(HearingError):
        hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)


def test_the_excused_companys_new_hearing_is_watched_until_it_is_set_and_then_its_outcome(
    three,  # noqa: F811
    conciliator,
    officer,
):
    from oversight.models import Clock, Kind

    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    waiting = Clock.objects.get(complaint=case, kind=Kind.REHEARING, closed_at__isnull=True)
    assert waiting.due_at > waiting.started_at

    new = hearing_schedule(complaint=case, by=officer, starts_at=free_slot(business_days=3), conciliator=conciliator)

    waiting.refresh_from_db()
    assert waiting.closed_at is not None
    outcome_clock = Clock.objects.get(complaint=case, kind=Kind.OUTCOME_RECORD, closed_at__isnull=True)
    assert (outcome_clock.subject_id, outcome_clock.assignee_id) == (new.pk, conciliator.pk)


def test_the_agreements_wait_for_the_excused_company_and_are_homologated_together(
    three,  # noqa: F811
    conciliator,
    officer,
    director,
):
    from hearings.services.approval import agreement_approve

    hearing, parts, reps = three
    case = _excused_b(hearing, conciliator, officer, parts, reps)
    refusal = policy.why_not(policy.APPROVE_AGREEMENT, director, case)
    assert refusal is not None and "Fábrica Frío S.A." in str(refusal)
    with pytest.raises(HearingError, match="still to be heard"):
        agreement_approve(complaint=case, by=director)


def test_an_offer_agreement_is_homologated_beside_the_hearing_agreement(
    three,  # noqa: F811
    conciliator,
    consumer,
    director,
):
    from hearings.services.acta import acta_confirm, acta_generate
    from hearings.services.approval import agreement_approve

    hearing, parts, reps = three
    a, b, c = parts
    offer = offer_make(
        complaint=hearing.complaint,
        by=reps[0],
        terms="Cambiamos la heladera.",
        fulfil_by=compliance_day(),
        amount=None,
        part=a,
    )
    offer_accept(offer=offer, by=consumer)
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            b.pk: CompanyOutcome(
                Outcome.AGREEMENT, terms="La fábrica repara el motor.", compliance_due=compliance_day()
            ),
            c.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
        },
    )
    acta_generate(hearing_id=hearing.pk)
    hearing.refresh_from_db()
    acta_confirm(hearing=hearing, by=consumer)
    acta_confirm(hearing=hearing, by=reps[1])
    case = hearing.complaint
    case.refresh_from_db()

    agreement_approve(complaint=case, by=director)

    case.refresh_from_db()
    assert case.status == State.AGREEMENT_APPROVED
    agreements = {ag.part_id: ag for ag in Agreement.objects.filter(complaint=case)}
    assert set(agreements) == {a.pk, b.pk}
    assert agreements[a.pk].hearing_id is None and agreements[a.pk].terms == "Cambiamos la heladera."
    assert set(case.disposition.agreements.values_list("part_id", flat=True)) == {a.pk, b.pk}
