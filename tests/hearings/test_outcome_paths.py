"""Every way a hearing can end, carried to the case's final state with the notifications it queues,
and the outcomes the service refuses."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from complaints import services as case_services
from complaints.models import CaseEvent, Offer
from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Acta, Agreement, Hearing
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import ask_consumers_about_compliance
from hearings.services.outcome import outcome_record
from parties.models import Role
from tests.complaints.factories import served_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import (
    TERMS,
    agreement_at,
    attend,
    compliance_day,
    free_slot,
    hearing_under_way,
    recipients,
)


@pytest.fixture
def hearing(consumer, company, officer, conciliator, representative):
    return hearing_under_way(consumer, company, officer, conciliator)


def actions(case) -> list[str]:
    return list(CaseEvent.objects.filter(complaint=case).order_by("created_at", "pk").values_list("action", flat=True))


def at_nine_on(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


# --- Agreement ---------------------------------------------------------------------------------


def test_an_agreement_is_confirmed_approved_followed_up_and_complied_with(
    hearing, consumer, representative, officer, conciliator, director, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    case = hearing.complaint
    case.refresh_from_db()
    hearing.refresh_from_db()
    assert case.status == State.AGREEMENT
    assert (hearing.status, hearing.outcome, hearing.outcome_recorded_by) == ("held", "agreement", conciliator)
    agreement = Agreement.objects.get(complaint=case)
    assert (agreement.hearing, agreement.terms, agreement.amount) == (hearing, TERMS, Decimal("850000.00"))
    assert recipients("outcome_recorded") == {consumer.email, representative.email}
    acta = Acta.objects.get(hearing=hearing)
    assert acta.is_ready
    assert recipients("acta_ready") == {consumer.email, representative.email, conciliator.email}

    for party in (consumer, representative):
        response = client_for(party).post(
            reverse("acta_confirm", args=[hearing.pk]), {"sha256": acta.sha256, "agree": "on"}
        )
        assert response.status_code == 302
    response = client_for(director).post(reverse("agreement_approve", args=[case.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    acta.refresh_from_db()
    assert case.status == State.AGREEMENT_APPROVED
    assert acta.approved_by == director and acta.approved_at is not None

    with time_machine.travel(at_nine_on(compliance_day() - timedelta(days=1))):
        assert ask_consumers_about_compliance() == 0  # not yet
    with time_machine.travel(at_nine_on(compliance_day())) as clock:
        assert ask_consumers_about_compliance() == 1
        assert recipients("compliance_due") == {consumer.email}
        clock.shift(timedelta(hours=2))
        response = client_for(consumer).post(reverse("compliance_answer", args=[case.pk]), {"complied": "yes"})
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.COMPLIED and case.closed_at is not None
    assert [a for a in actions(case) if a not in ("submit", "admit", "serve_company", "schedule_hearing")] == [
        "record_agreement",
        "acta_generated",
        "acta_confirmed",
        "acta_confirmed",
        "approve_agreement",
        "disposition_issued",
        "compliance_asked",
        "confirm_compliance",
    ]


def test_a_breached_agreement_is_referred_by_the_system(
    hearing, consumer, representative, officer, conciliator, director, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    for party in (consumer, representative):
        acta_confirm(hearing=hearing, by=party)
    agreement_approve(complaint=hearing.complaint, by=director)

    response = client_for(consumer).post(
        reverse("compliance_answer", args=[hearing.complaint_id]),
        {"complied": "no", "details": "No transfirieron el dinero."},
    )
    assert response.status_code == 302
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.REFERRED and case.closed_at is not None
    breach, referral = CaseEvent.objects.filter(complaint=case).order_by("-created_at", "-pk")[:2][::-1]
    assert (breach.action, breach.actor, breach.reason) == ("report_breach", consumer, "No transfirieron el dinero.")
    assert (referral.action, referral.actor, referral.to_state) == ("refer", None, State.REFERRED)
    assert recipients("agreement_breached") == {representative.email}
    assert recipients("complaint_referred") == {consumer.email, representative.email}


def test_an_agreement_from_an_accepted_offer_is_approved_from_the_offer_and_followed_up(
    consumer, company, representative, officer, director
):
    case = served_case(consumer, company, officer)
    offer = case_services.offer_make(
        complaint=case, by=representative, terms="Cambio de la heladera.", fulfil_by=compliance_day(10), amount=None
    )
    case_services.offer_accept(offer=Offer.objects.get(pk=offer.pk), by=consumer)
    assert not Agreement.objects.filter(complaint=case).exists()

    agreement = agreement_approve(complaint=case, by=director)

    case.refresh_from_db()
    assert case.status == State.AGREEMENT_APPROVED
    assert (agreement.hearing, agreement.terms, agreement.compliance_due) == (
        None,
        "Cambio de la heladera.",
        compliance_day(10),
    )
    with time_machine.travel(at_nine_on(compliance_day(10))):
        assert ask_consumers_about_compliance() == 1
    assert recipients("compliance_due") == {consumer.email}


def test_a_hearing_agreement_waits_for_both_confirmations_before_approval(
    hearing, consumer, officer, conciliator, director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    acta_confirm(hearing=hearing, by=consumer)
    with pytest.raises(HearingError, match="Still to confirm: company"):
        agreement_approve(complaint=hearing.complaint, by=director)
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.AGREEMENT


# --- No agreement ------------------------------------------------------------------------------


def test_no_agreement_leaves_the_case_to_the_office_which_refers_it(
    hearing, consumer, representative, officer, conciliator, client_for
):
    outcome_record(hearing=hearing, by=conciliator, outcome="no_agreement", notes="La empresa no ofreció nada.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.NO_AGREEMENT
    assert recipients("outcome_recorded") == {consumer.email, representative.email}

    page = client_for(officer).get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert reverse("case_refer", args=[case.pk]) in page
    assert client_for(officer).get(reverse("case_refer", args=[case.pk])).status_code == 200
    response = client_for(officer).post(reverse("case_refer", args=[case.pk]), {"reason": "Sin acuerdo."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.REFERRED and case.closed_at is not None
    assert case.events.order_by("-created_at", "-pk").first().actor == officer
    assert recipients("complaint_referred") == {consumer.email, representative.email}


def test_only_the_office_refers_a_case(hearing, conciliator, consumer, client_for):
    outcome_record(hearing=hearing, by=conciliator, outcome="no_agreement")
    for person in (conciliator, consumer):
        response = client_for(person).post(reverse("case_refer", args=[hearing.complaint_id]), {"reason": "x"})
        assert response.status_code == 403
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.NO_AGREEMENT


# --- Adjourned (cuarto intermedio) -------------------------------------------------------------


def test_an_adjournment_with_a_date_schedules_the_continuation(hearing, conciliator, client_for):
    continue_at = free_slot()
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[hearing.pk]),
        {
            "outcome": "adjourned",
            "notes": "La empresa pide consultar una propuesta.",
            "adjourn_to": timezone.localtime(continue_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert (hearing.status, hearing.outcome) == ("adjourned", "adjourned")
    continuation = Hearing.objects.get(continues=hearing)
    assert (continuation.starts_at, continuation.conciliator, continuation.status) == (
        continue_at,
        conciliator,
        "scheduled",
    )
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.HEARING_SCHEDULED


def test_an_adjournment_without_a_date_leaves_the_case_adjourned(hearing, conciliator):
    outcome_record(hearing=hearing, by=conciliator, outcome="adjourned", notes="Falta documentación.")
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.ADJOURNED
    assert not Hearing.objects.filter(continues=hearing).exists()


# --- Refusals ----------------------------------------------------------------------------------


def test_a_representative_cannot_record_an_outcome(hearing, representative):
    with pytest.raises(HearingError, match="Only the conciliator of this hearing or the office"):
        outcome_record(hearing=hearing, by=representative, outcome="no_agreement")
    hearing.refresh_from_db()
    assert hearing.status == "scheduled" and hearing.outcome == ""


def test_the_conciliator_of_another_hearing_cannot_record_this_one(hearing):
    other = make_user("pablo@oficina.test", Role.CONCILIATOR, first_name="Pablo", last_name="Ruiz")
    with pytest.raises(HearingError, match="Only the conciliator of this hearing"):
        outcome_record(hearing=hearing, by=other, outcome="no_agreement")
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.HEARING_SCHEDULED


def test_no_outcome_is_recorded_before_the_hearing_starts(consumer, company, officer, conciliator):
    upcoming = hearing_under_way(consumer, company, officer, conciliator, minutes_ago=-10)
    with pytest.raises(HearingError, match="has not started yet"):
        agreement_at(upcoming, conciliator)
    assert not Agreement.objects.exists()


def test_an_absence_is_recorded_only_once_the_tolerance_has_run_out(consumer, company, officer, conciliator):
    started = hearing_under_way(consumer, company, officer, conciliator, minutes_ago=10)
    with pytest.raises(HearingError, match="30-minute tolerance runs until"):
        outcome_record(hearing=started, by=conciliator, outcome="company_absent")
    # Other outcomes do not wait for the tolerance.
    outcome_record(hearing=started, by=conciliator, outcome="no_agreement")


def test_a_party_the_room_saw_join_cannot_be_recorded_absent(hearing, representative, conciliator):
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=2))
    with pytest.raises(HearingError, match="joined the hearing"):
        outcome_record(hearing=hearing, by=conciliator, outcome="company_absent")


def test_an_outcome_is_recorded_once(hearing, conciliator):
    outcome_record(hearing=hearing, by=conciliator, outcome="no_agreement")
    with pytest.raises(HearingError, match="already recorded"):
        agreement_at(hearing, conciliator)


def test_an_agreement_needs_terms_and_a_future_compliance_deadline(hearing, conciliator):
    with pytest.raises(HearingError, match="terms"):
        agreement_at(hearing, conciliator, terms="  ")
    with pytest.raises(HearingError, match="after today"):
        agreement_at(hearing, conciliator, compliance_due=timezone.localdate())
    assert hearing.complaint.events.filter(action="record_agreement").count() == 0
