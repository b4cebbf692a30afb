"""The outbox of webhooks: a move of a case writes, in its own transaction, one delivery per active
endpoint subscribed to its event, of each company served in the case; the payload carries ids,
numbers, states and dates, nothing a person wrote. Nothing is sent here (no commit callbacks run)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.fanout import complete_payload
from api.webhooks.signing import new_secret
from complaints import services as case_services
from complaints.models import CaseCompany, CaseEvent, Complaint
from oversight.models import Clock, Kind
from oversight.services.clocks import send_reminders
from parties.models import Company, User
from tests.complaints.factories import served_case, submitted_case
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db

ALL_EVENTS = list(WebhookEvent.values)


def endpoint_for(
    company: Company, admin: User, *, events: list[str] | None = None, active: bool = True
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=company,
        url="https://erp.example.com/hooks/concilia",
        events=events if events is not None else ALL_EVENTS,
        secret=new_secret(),
        created_by=admin,
        active=active,
    )


def office_time(moment: datetime | None) -> str:
    """How the payload writes a moment: ISO 8601 in the office's time with its offset, as the company
    API does (api/schemas.py `Moment`)."""
    assert moment is not None
    return timezone.localtime(moment).isoformat()


def event_of(case: Complaint, action: str) -> CaseEvent:
    return CaseEvent.objects.get(complaint=case, action=action)


def part_of(case: Complaint, company: Company) -> CaseCompany:
    return CaseCompany.objects.get(complaint=case, company=company)


def test_a_case_served_writes_one_pending_delivery_with_the_documented_payload(
    consumer, company, officer, representative
):
    endpoint = endpoint_for(company, representative, events=[WebhookEvent.CASE_SERVED])

    case = served_case(consumer, company, officer)

    delivery = WebhookDelivery.objects.get()
    part = part_of(case, company)
    served = event_of(case, "serve_company")
    assert (delivery.endpoint, delivery.event, delivery.status, delivery.attempts) == (
        endpoint,
        "case.served",
        DeliveryStatus.PENDING,
        0,
    )
    assert delivery.source == f"part:{part.pk}:served"
    assert delivery.next_attempt_at is not None
    assert delivery.payload == {
        "id": str(delivery.uuid),
        "type": "case.served",
        "created_at": office_time(served.created_at),
        "data": {
            "case": {"id": case.pk, "number": case.number, "state": "company_notified"},
            "company_part": {"id": part.pk, "status": "served", "notified_at": office_time(part.notified_at)},
            "action": "serve_company",
        },
    }
    # The office's time with its offset, as the company API writes a moment: not UTC.
    assert delivery.payload["created_at"].endswith("-03:00")


def test_the_payload_carries_nothing_a_person_wrote_nor_their_personal_data(consumer, company, officer, representative):
    endpoint_for(company, representative)

    case = served_case(consumer, company, officer)

    text = str(WebhookDelivery.objects.get().payload)
    for personal in ("María", "González", "maria@example.com", "30123456", "San Juan", case.facts[:20]):
        assert personal not in text


def test_with_no_endpoint_at_all_a_serve_costs_one_query_of_the_webhooks(consumer, company, officer):
    case = submitted_case(consumer, company)

    with CaptureQueriesContext(connection) as queries:
        case_services.complaint_admit(complaint=case, by=officer)  # admit, then serve_company

    # The one query: the active endpoints (partial index webhookendpoint_active) of the companies
    # served in the case (a subquery on its parts). "admit" sends no webhook and asks nothing.
    webhook_queries = [q["sql"] for q in queries.captured_queries if "api_webhook" in q["sql"]]
    assert len(webhook_queries) == 1
    assert "api_webhookendpoint" in webhook_queries[0]
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_of_another_company_a_switched_off_one_or_one_not_subscribed_gets_nothing(
    consumer, company, officer, representative, rival
):
    endpoint_for(rival.company, rival.admin)
    endpoint_for(company, representative, active=False)
    endpoint_for(company, representative, events=[WebhookEvent.ACTA_READY])

    served_case(consumer, company, officer)

    assert not WebhookDelivery.objects.exists()


def test_each_subscribed_endpoint_of_the_company_gets_its_own_delivery_with_its_own_id(
    consumer, company, officer, representative
):
    first = endpoint_for(company, representative)
    second = endpoint_for(company, representative, events=[WebhookEvent.CASE_SERVED, WebhookEvent.CASE_OUTCOME])

    served_case(consumer, company, officer)

    deliveries = list(WebhookDelivery.objects.order_by("endpoint_id"))
    assert [d.endpoint for d in deliveries] == [first, second]
    assert deliveries[0].uuid != deliveries[1].uuid
    assert [d.payload["id"] for d in deliveries] == [str(d.uuid) for d in deliveries]


def test_a_hearing_scheduled_carries_the_hearing(consumer, company, officer, conciliator, representative):
    case = served_case(consumer, company, officer)
    endpoint_for(company, representative, events=[WebhookEvent.HEARING_SCHEDULED])

    hearing = scheduled_hearing(consumer, company, officer, conciliator, complaint=case)

    delivery = WebhookDelivery.objects.get(event=WebhookEvent.HEARING_SCHEDULED)
    assert delivery.source == f"case-event:{event_of(case, 'schedule_hearing').pk}"
    assert delivery.payload["data"]["action"] == "schedule_hearing"
    assert delivery.payload["data"]["case"]["state"] == "hearing_scheduled"
    # The hearing is booked after the case's move: it is added before the first attempt.
    assert "hearing" not in delivery.payload["data"]
    assert complete_payload(delivery)
    assert not complete_payload(delivery)  # once
    assert delivery.payload["data"]["hearing"] == {
        "id": hearing.pk,
        "starts_at": office_time(hearing.starts_at),
        "ends_at": office_time(hearing.ends_at),
        "status": "scheduled",
        "outcome": "",
    }


def test_a_hearing_booked_by_the_office_reaches_the_company_with_its_time(
    consumer, company, officer, conciliator, representative, django_capture_on_commit_callbacks, settings
):
    from api.webhooks.delivery import attempt, claim
    from tests.hearings.factories import booked_hearing

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    case = served_case(consumer, company, officer)
    endpoint = endpoint_for(company, representative, events=[WebhookEvent.HEARING_SCHEDULED])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/closed")

    hearing = booked_hearing(case, officer)  # hearings/services/scheduling.py: the case moves, then the hearing

    delivery = WebhookDelivery.objects.get()
    claimed = claim(str(delivery.uuid))
    assert claimed is not None
    assert attempt(claimed) == "retry"  # nobody listens on port 9; the payload is stored all the same
    delivery.refresh_from_db()
    assert delivery.payload["data"]["hearing"]["id"] == hearing.pk
    assert delivery.payload["data"]["hearing"]["starts_at"] == office_time(hearing.starts_at)


def test_a_cancelled_hearing_s_delivery_carries_that_hearing_even_if_it_waits_while_the_next_is_booked(
    consumer, company, officer, conciliator, representative, monkeypatch, django_capture_on_commit_callbacks
):
    from api.webhooks import tasks
    from hearings.services.scheduling import hearing_cancel
    from tests.hearings.factories import booked_hearing

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker away")

    monkeypatch.setattr(tasks.deliver_webhook, "delay", broker_away)  # nothing is sent: the deliveries wait
    case = served_case(consumer, company, officer)
    endpoint_for(company, representative, events=[WebhookEvent.HEARING_SCHEDULED])
    with django_capture_on_commit_callbacks(execute=True):
        first = booked_hearing(case, officer)
    with django_capture_on_commit_callbacks(execute=True):
        hearing_cancel(hearing=first, by=officer, reason="El conciliador está enfermo.")
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second = booked_hearing(case, officer)

    # Completed right after each move's commit, though the broker took none of them.
    booked, cancelled, rebooked = WebhookDelivery.objects.order_by("pk")
    assert [d.payload["data"]["action"] for d in (booked, cancelled, rebooked)] == [
        "schedule_hearing",
        "cancel_hearing",
        "schedule_hearing",
    ]
    assert booked.payload["data"]["hearing"]["id"] == first.pk
    assert booked.payload["data"]["hearing"]["status"] == "scheduled"  # as it was when it was booked
    assert cancelled.payload["data"]["hearing"]["id"] == first.pk
    assert cancelled.payload["data"]["hearing"]["status"] == "cancelled"
    assert rebooked.payload["data"]["hearing"]["id"] == second.pk
    assert all(d.attempts == 0 for d in (booked, cancelled, rebooked))

    # Had the commit's callback never run (the process died at commit), the first attempt's lookup
    # still finds the cancelled hearing, not the one booked since.
    del cancelled.payload["data"]["hearing"]
    assert complete_payload(cancelled)
    assert cancelled.payload["data"]["hearing"]["id"] == first.pk


def test_a_rescheduled_hearing_is_in_the_payload_the_move_writes(
    consumer, company, officer, representative, conciliator
):
    from hearings.services.scheduling import hearing_reschedule
    from tests.hearings.factories import booked_hearing

    case = served_case(consumer, company, officer)
    hearing = booked_hearing(case, officer)
    endpoint_for(company, representative, events=[WebhookEvent.HEARING_SCHEDULED])

    moved = hearing_reschedule(
        hearing=hearing,
        by=officer,
        starts_at=hearing.starts_at + timedelta(days=1),
        conciliator=hearing.conciliator,
        reason="La empresa pidió otro día.",
    )

    delivery = WebhookDelivery.objects.get()  # no commit callback ran: the move wrote it whole
    assert delivery.payload["data"]["action"] == "reschedule_hearing"
    assert delivery.payload["data"]["hearing"]["id"] == hearing.pk
    assert delivery.payload["data"]["hearing"]["starts_at"] == office_time(moved.starts_at)
    assert not complete_payload(delivery)


def test_the_lead_company_hears_nothing_of_a_case_it_no_longer_sees(
    consumer, company, officer, representative, full_key, api_client
):
    case = served_case(consumer, company, officer)
    endpoint_for(company, representative, events=[WebhookEvent.CASE_OUTCOME])

    case_services.complaint_withdraw(complaint=case, by=consumer)
    case_services.complaint_transition(complaint=case, transition="archive", by=officer)

    # The withdrawal, yes (the company sees a withdrawn case); the archiving, no: its API answers 404.
    assert [d.payload["data"]["action"] for d in WebhookDelivery.objects.all()] == ["withdraw"]
    assert api_client(full_key).get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_an_error_in_the_fan_out_never_undoes_the_move(consumer, company, officer, representative, monkeypatch, caplog):
    from api.webhooks import fanout

    endpoint_for(company, representative, events=[WebhookEvent.CASE_SERVED])
    build = fanout._delivery

    def too_long_a_source(*args, **kwargs):
        row = build(*args, **kwargs)
        row.source = "x" * 200  # the database refuses the row (source is 80 characters at most)
        return row

    monkeypatch.setattr(fanout, "_delivery", too_long_a_source)

    case = served_case(consumer, company, officer)

    case.refresh_from_db()
    assert case.status == "company_notified"
    assert CaseEvent.objects.filter(complaint=case, action="serve_company").exists()
    assert not WebhookDelivery.objects.exists()
    assert "Could not write webhook deliveries" in caplog.text


def test_a_bug_in_the_fan_out_never_undoes_the_move(consumer, company, officer, representative, monkeypatch, caplog):
    from api.webhooks import fanout

    endpoint_for(company, representative, events=[WebhookEvent.CASE_SERVED])

    def broken(*args, **kwargs):
        raise KeyError("a bug of ours")

    monkeypatch.setattr(fanout, "_part_data", broken)

    case = served_case(consumer, company, officer)

    case.refresh_from_db()
    assert case.status == "company_notified"
    assert not WebhookDelivery.objects.exists()
    assert "the move goes on without them" in caplog.text


def test_a_withdrawal_is_an_outcome_for_the_served_company(consumer, company, officer, representative):
    case = served_case(consumer, company, officer)
    endpoint_for(company, representative, events=[WebhookEvent.CASE_OUTCOME])

    case_services.complaint_withdraw(complaint=case, by=consumer, reason="Me devolvieron el dinero, gracias.")

    delivery = WebhookDelivery.objects.get()
    data = delivery.payload["data"]
    assert (delivery.event, data["action"], data["case"]["state"]) == ("case.outcome", "withdraw", "withdrawn")
    assert data["company_part"]["status"] == "ended"
    assert "devolvieron" not in str(delivery.payload)  # the consumer's reason stays on the case


def test_a_company_not_yet_served_hears_nothing_of_the_case(consumer, company, officer, representative):
    endpoint_for(company, representative)
    case = submitted_case(consumer, company)

    case_services.complaint_withdraw(complaint=case, by=consumer)

    assert not WebhookDelivery.objects.exists()


def test_the_same_cause_never_writes_a_second_delivery_for_an_endpoint(consumer, company, officer, representative):
    from api.webhooks.fanout import fan_out_case_event

    endpoint_for(company, representative)
    case = served_case(consumer, company, officer)
    event = event_of(case, "serve_company")

    fan_out_case_event(case=case, event=event)  # the same event heard twice

    assert WebhookDelivery.objects.count() == 1


def test_a_reminder_of_the_company_answer_sends_deadline_near(consumer, company, officer, representative):
    case = served_case(consumer, company, officer)
    endpoint_for(company, representative, events=[WebhookEvent.DEADLINE_NEAR])
    clock = Clock.objects.get(kind=Kind.COMPANY_ANSWER, complaint=case, closed_at__isnull=True)
    assert clock.remind_at is not None

    with time_machine.travel(clock.remind_at + timedelta(minutes=1), tick=False):
        assert send_reminders(Kind.COMPANY_ANSWER) == 1
        assert send_reminders(Kind.COMPANY_ANSWER) == 0

    delivery = WebhookDelivery.objects.get()
    part = part_of(case, company)
    assert (delivery.event, delivery.source) == ("deadline.near", f"clock:{clock.pk}:reminder:0")
    assert delivery.payload["data"]["company_part"]["id"] == part.pk
    assert delivery.payload["data"]["deadline"] == {
        "clock_id": clock.pk,
        "kind": "company_answer",
        "due_at": office_time(clock.due_at),
        "overdue": False,
    }


def test_a_reminder_to_the_office_sends_no_webhook(consumer, company, officer, representative):
    endpoint_for(company, representative)
    case = submitted_case(consumer, company)
    Complaint.objects.filter(pk=case.pk).update(assigned_officer=officer)
    from django.db import transaction

    with transaction.atomic():
        from oversight.services.clocks import sync_case_clocks

        sync_case_clocks(case_services.lock_case(case.pk))
    clock = Clock.objects.get(kind=Kind.ADMISSION_REVIEW, complaint=case, closed_at__isnull=True)
    assert clock.remind_at is not None

    with time_machine.travel(clock.remind_at + timedelta(minutes=1), tick=False):
        assert send_reminders(Kind.ADMISSION_REVIEW) == 1

    assert not WebhookDelivery.objects.exists()


# --- A case of several companies -----------------------------------------------------------------------


@pytest.fixture
def financier(db) -> Company:
    return Company.objects.create(
        cuit="30500010912", legal_name="Financiera Andina S.A.", electronic_domicile="f@a.test"
    )


@pytest.fixture
def financier_admin(financier) -> User:
    from parties.models import PowerKind, PowerStatus, Representation, Role
    from tests.conftest import make_user

    user = make_user("marta@andina.test", Role.REPRESENTATIVE)
    Representation.objects.create(
        user=user, company=financier, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )
    return user


def two_company_case(consumer, company, financier, officer) -> Complaint:
    from complaints.services import parts as case_parts
    from tests.complaints.factories import draft_case

    case = draft_case(consumer, company)
    case_parts.name_company(case, company=financier)
    case = case_services.complaint_submit(complaint=case, by=consumer)
    return case_services.complaint_admit(complaint=case, by=officer)


def test_in_a_case_of_two_companies_each_hears_once_that_its_own_part_was_served(
    consumer, company, financier, officer, representative, financier_admin
):
    ours = endpoint_for(company, representative, events=[WebhookEvent.CASE_SERVED])
    theirs = endpoint_for(financier, financier_admin, events=[WebhookEvent.CASE_SERVED])

    case = two_company_case(consumer, company, financier, officer)

    assert case.status == "company_notified"  # each part served on its own, then the case
    ours_delivery = WebhookDelivery.objects.get(endpoint=ours)
    theirs_delivery = WebhookDelivery.objects.get(endpoint=theirs)
    assert ours_delivery.payload["data"]["company_part"]["id"] == part_of(case, company).pk
    assert theirs_delivery.payload["data"]["company_part"]["id"] == part_of(case, financier).pk
    assert ours_delivery.payload["data"]["action"] == "part_served"


def test_a_move_of_one_company_s_part_goes_to_that_company_only(
    consumer, company, financier, officer, representative, financier_admin
):
    from complaints.models import PartStatus
    from complaints.services import parts as case_parts

    case = two_company_case(consumer, company, financier, officer)
    ours = endpoint_for(company, representative, events=[WebhookEvent.CASE_OUTCOME])
    theirs = endpoint_for(financier, financier_admin, events=[WebhookEvent.CASE_OUTCOME])

    from django.db import transaction

    with transaction.atomic():
        agreed = part_of(case, financier)
        agreed.complaint = case_services.lock_case(case.pk)
        case_parts.part_move(agreed, PartStatus.AGREEMENT, by=officer, settle_case=False)

    assert not WebhookDelivery.objects.filter(endpoint=ours).exists()
    delivery = WebhookDelivery.objects.get(endpoint=theirs)
    assert delivery.payload["data"]["action"] == "part_agreement"
    assert delivery.payload["data"]["company_part"] == {
        "id": agreed.pk,
        "status": "agreement",
        "notified_at": office_time(agreed.notified_at),
    }


# --- The hearing's outcome and its acta -----------------------------------------------------------------


def test_an_agreement_at_the_hearing_then_its_acta_reach_the_company(
    consumer, company, officer, conciliator, representative
):
    from hearings.services.acta import acta_generate
    from tests.hearings.test_outcome_support import agreement_at, hearing_under_way

    hearing = hearing_under_way(consumer, company, officer, conciliator)
    endpoint_for(company, representative, events=[WebhookEvent.CASE_OUTCOME, WebhookEvent.ACTA_READY])

    agreement_at(hearing, conciliator)
    acta = acta_generate(hearing_id=hearing.pk)

    assert acta is not None
    outcome = WebhookDelivery.objects.get(event=WebhookEvent.CASE_OUTCOME)
    assert complete_payload(outcome)  # the outcome is written on the hearing after the case's move
    assert outcome.payload["data"]["action"] == "record_agreement"
    assert outcome.payload["data"]["hearing"]["outcome"] == "agreement"
    ready = WebhookDelivery.objects.get(event=WebhookEvent.ACTA_READY)
    assert ready.payload["data"]["acta"] == {
        "id": acta.pk,
        "hearing_id": hearing.pk,
        "sha256": acta.sha256,  # what the company sends back to confirm it, without a call to read it
        "generated_at": office_time(acta.generated_at),
    }
    assert ready.payload["data"]["hearing"]["id"] == hearing.pk
    text = str(ready.payload) + str(outcome.payload)
    assert "reintegra" not in text  # the agreement's terms stay in the acta
