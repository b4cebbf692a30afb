"""The admission office: the queue (order, filters, search, age in business days, query count) and
the three decisions (admit, observe, reject) as an officer makes them from the case page."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from complaints import services
from complaints.models import CaseEvent, Complaint, RejectionReason
from complaints.states import State
from notifications.models import FormalNotice
from parties.models import ConsumerProfile, Invitation
from tests.complaints.factories import submitted_case
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
QUEUE = reverse("admission_queue")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUENOS_AIRES)


def a_consumer(email: str, first: str, last: str, dni: str, province: str = "CABA"):
    user = make_user(email, first_name=first, last_name=last)
    ConsumerProfile.objects.create(
        user=user, dni=dni, phone="+5491155554444", street_address="Calle 1", city="Ciudad", province=province
    )
    return user


def file_complaint(consumer, company, *, when: datetime | None = None, **fields) -> Complaint:
    """A complaint filed through the services, submitted at `when` (default: now)."""
    with time_machine.travel(when or timezone.now(), tick=False):
        case = services.complaint_start_draft(consumer=consumer, channel=fields.pop("channel", "web"))
        services.case_parts.name_company(case, company=company, position=1)
        case.product = fields.pop("product", "Lavarropas")
        case.facts = "No centrifuga desde el primer uso."
        case.claim_type = "repair"
        case.declaration_accepted_at = timezone.now()
        for name, value in fields.items():
            setattr(case, name, value)
        case.save()
        return services.complaint_submit(complaint=case, by=consumer)


def numbers_in(html: str) -> list[str]:
    return re.findall(r">(DC-\d{4}-\d{6})</a>", html)


@pytest.fixture
def queue_client(client_for, officer):
    return client_for(officer)


# --- The queue ------------------------------------------------------------------------------------


def test_it_lists_submitted_complaints_oldest_first(queue_client, consumer, company):
    middle = file_complaint(consumer, company, when=at(2026, 11, 18, 10))
    oldest = file_complaint(consumer, company, when=at(2026, 11, 16, 9))
    newest = file_complaint(consumer, company, when=at(2026, 11, 19, 15))
    decided = file_complaint(consumer, company, when=at(2026, 11, 10, 9))
    Complaint.objects.filter(pk=decided.pk).update(status=State.ADMITTED)

    response = queue_client.get(QUEUE, **EN)

    assert response.status_code == 200
    assert numbers_in(response.content.decode()) == [oldest.number, middle.number, newest.number]


def test_it_shows_the_age_in_business_days_and_flags_the_overdue_ones(client_for, officer, consumer, company):
    # Submitted Monday 16 November: the review is due five business days later, Tuesday 24
    # (Monday 23 is a national holiday). On Thursday 26 it is 7 business days old and overdue.
    late = file_complaint(consumer, company, when=at(2026, 11, 16, 9))
    recent = file_complaint(consumer, company, when=at(2026, 11, 25, 9))

    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        response = client_for(officer).get(QUEUE, **EN)

    html = response.content.decode()
    assert timezone.localdate(late.review_due_at).isoformat() == "2026-11-24"
    late_row = html[html.index(late.number) : html.index(recent.number)]
    recent_row = html[html.index(recent.number) :]
    assert "7 business days" in late_row
    assert "24/11/2026" in late_row or "11/24/2026" in late_row
    assert "Overdue" in late_row
    assert "1 business day" in recent_row
    assert "Overdue" not in recent_row


def test_it_filters_by_status(queue_client, consumer, company, officer):
    waiting = file_complaint(consumer, company)
    observed = file_complaint(consumer, company)
    services.complaint_observe(complaint=observed, by=officer, observation="Falta la factura.")

    only_observed = numbers_in(queue_client.get(QUEUE, {"status": "observed"}, **EN).content.decode())
    pending = numbers_in(queue_client.get(QUEUE, {"status": "pending"}, **EN).content.decode())
    default = numbers_in(queue_client.get(QUEUE, **EN).content.decode())

    assert only_observed == [observed.number]
    assert set(pending) == {waiting.number, observed.number}
    assert default == [waiting.number]


def test_it_filters_by_province_channel_and_company(queue_client, consumer, company, other_company):
    cordoba = a_consumer("lucas@example.com", "Lucas", "Moreno", "28999888", province="CB")
    from_cordoba = file_complaint(cordoba, company)
    by_phone = file_complaint(consumer, company, channel="phone")
    against_other = file_complaint(consumer, other_company)

    assert numbers_in(queue_client.get(QUEUE, {"province": "CB"}).content.decode()) == [from_cordoba.number]
    assert numbers_in(queue_client.get(QUEUE, {"channel": "phone"}).content.decode()) == [by_phone.number]
    response = queue_client.get(QUEUE, {"company": other_company.pk}, **EN)
    assert numbers_in(response.content.decode()) == [against_other.number]
    assert "Showing only complaints against" in response.content.decode()


def test_it_filters_by_the_review_deadline(client_for, officer, consumer, company):
    late = file_complaint(consumer, company, when=at(2026, 11, 16, 9))
    on_time = file_complaint(consumer, company, when=at(2026, 11, 25, 9))

    with time_machine.travel(at(2026, 11, 26, 10), tick=False):
        queue_client = client_for(officer)  # logged in on that day: sessions last 12 hours
        overdue = numbers_in(queue_client.get(QUEUE, {"age": "overdue"}).content.decode())
        within = numbers_in(queue_client.get(QUEUE, {"age": "on_time"}).content.decode())

    assert overdue == [late.number]
    assert within == [on_time.number]


@pytest.mark.parametrize(
    "query",
    ["number", "sequence", "dni", "dni_with_dots", "cuit", "cuit_with_dashes", "consumer_name", "company_name"],
)
def test_it_finds_a_complaint_by_what_the_officer_types(queue_client, consumer, company, other_company, query):
    pedro = a_consumer("pedro@example.com", "Pedro", "Sánchez", "25111222")
    target = file_complaint(pedro, other_company)
    file_complaint(consumer, company)
    typed = {
        "number": str(target.number).lower(),
        "sequence": str(int(str(target.number).rsplit("-", 1)[1])),
        "dni": "25111222",
        "dni_with_dots": "25.111.222",
        "cuit": other_company.cuit,
        "cuit_with_dashes": other_company.cuit_display,
        "consumer_name": "sánchez",
        "company_name": "conectar",
    }[query]

    response = queue_client.get(QUEUE, {"q": typed})

    assert numbers_in(response.content.decode()) == [target.number]


def test_it_says_so_when_nothing_matches(queue_client, consumer, company):
    file_complaint(consumer, company)

    response = queue_client.get(QUEUE, {"q": "nadie se llama así"}, **EN)

    assert numbers_in(response.content.decode()) == []
    assert "No complaint matches these filters" in response.content.decode()


def test_it_pages_the_queue_by_25(queue_client, consumer, company):
    for day in range(1, 28):
        file_complaint(consumer, company, when=at(2026, 10, 1, 8) + timedelta(hours=day))

    first = numbers_in(queue_client.get(QUEUE).content.decode())
    second = numbers_in(queue_client.get(QUEUE, {"page": 2}).content.decode())

    assert len(first) == 25
    assert len(second) == 2
    assert not set(first) & set(second)


def test_it_runs_the_same_queries_for_2_rows_as_for_25(queue_client, consumer, company, django_assert_max_num_queries):
    file_complaint(consumer, company)
    file_complaint(consumer, company)
    with CaptureQueriesContext(connection) as few:
        queue_client.get(QUEUE, {"q": "electrodomésticos"})
    for _ in range(23):
        file_complaint(consumer, company)

    # 1 session, 2 user, 3 the staff MFA middleware's authenticator check, 4 COUNT(*) for the pager,
    # 5 one page of complaints LEFT JOINed to their companies. Nothing per row. One spare for the
    # page chrome (e.g. an unread-notifications badge in the header).
    with django_assert_max_num_queries(6):
        response = queue_client.get(QUEUE, {"q": "electrodomésticos"})

    assert len(numbers_in(response.content.decode())) == 25
    with CaptureQueriesContext(connection) as many:
        queue_client.get(QUEUE, {"q": "electrodomésticos"})
    assert len(many) == len(few)


@pytest.mark.parametrize("role_fixture", ["consumer", "representative", "conciliator"])
def test_it_keeps_everyone_but_the_office_out(request, client_for, company, consumer, role_fixture):
    case = file_complaint(consumer, company)
    client = client_for(request.getfixturevalue(role_fixture))

    assert client.get(QUEUE).status_code == 403
    for name in ("complaint_admit", "complaint_observe", "complaint_reject"):
        assert client.post(reverse(name, args=[case.pk]), {"observation": "x", "reason": "other"}).status_code == 403
    case.refresh_from_db()
    assert case.status == State.SUBMITTED
    assert list(CaseEvent.objects.filter(complaint=case).values_list("action", flat=True)) == ["submit"]


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_supervisor_sees_the_queue_too(client_for, supervisor, consumer, company):
    case = file_complaint(consumer, company)

    assert numbers_in(client_for(supervisor).get(QUEUE).content.decode()) == [case.number]


# --- Deciding, from the case page ----------------------------------------------------------------


def render_panel(case: Complaint, user) -> str:
    request = RequestFactory().get(reverse("complaint_detail", args=[case.pk]))
    request.user = user
    return render_to_string(
        "complaints/office/_admission_panel.html", {"case": case, "user": user, "request": request}, request=request
    )


def test_the_case_page_offers_the_officer_the_three_decisions(queue_client, consumer, company):
    case = file_complaint(consumer, company)

    html = queue_client.get(reverse("complaint_detail", args=[case.pk]), **EN).content.decode()

    for name in ("complaint_admit", "complaint_observe", "complaint_reject"):
        assert f'action="{reverse(name, args=[case.pk])}"' in html


def test_the_panel_labels_every_field_and_offers_every_rejection_reason(officer, consumer, other_company):
    case = file_complaint(consumer, other_company)

    html = render_panel(case, officer)

    for reason in RejectionReason:
        assert f'name="reason" value="{reason.value}"' in html
        assert str(reason.label) in html
    for field_id in re.findall(r'<(?:input|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, f"{field_id} has no label"
    # The company has no electronic domicile, so the officer may invite it.
    assert 'name="company_email"' in html


def test_the_panel_is_only_for_the_office_and_only_while_submitted(officer, consumer, company):
    case = file_complaint(consumer, company)

    assert render_panel(case, consumer).strip() == ""
    Complaint.objects.filter(pk=case.pk).update(status=State.ADMITTED)
    assert render_panel(Complaint.objects.get(pk=case.pk), officer).strip() == ""


def test_an_officer_admits_a_complaint_and_the_company_is_served(queue_client, officer, consumer, company):
    case = file_complaint(consumer, company)

    response = queue_client.post(reverse("complaint_admit", args=[case.pk]), {"note": "Documentación completa."}, **EN)

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    case.refresh_from_db()
    assert case.status == State.COMPANY_NOTIFIED
    assert case.admitted_at is not None
    admit = CaseEvent.objects.get(complaint=case, action="admit")
    assert (admit.actor, admit.reason, admit.to_state) == (officer, "Documentación completa.", State.ADMITTED)
    page = queue_client.get(QUEUE, **EN).content.decode()
    assert f"Complaint {case.number} was admitted." in page
    assert case.number not in numbers_in(page)


def test_an_officer_admits_and_invites_a_company_without_a_domicile(queue_client, officer, consumer, other_company):
    case = file_complaint(consumer, other_company)

    queue_client.post(reverse("complaint_admit", args=[case.pk]), {"company_email": "Legales@Conectar.test"}, **EN)

    case.refresh_from_db()
    assert case.status == State.ADMITTED
    # An invitation by e-mail proves no notification: no deadline until a paper notice is delivered.
    assert case.domicile_due_at is None
    invitation = Invitation.objects.get(company=other_company)
    assert (invitation.email, invitation.is_admin, invitation.invited_by) == ("legales@conectar.test", True, officer)
    page = queue_client.get(QUEUE, **EN).content.decode()
    assert "legales@conectar.test was invited" in page


def test_it_asks_again_for_a_valid_invitation_address(queue_client, consumer, other_company):
    case = file_complaint(consumer, other_company)

    response = queue_client.post(reverse("complaint_admit", args=[case.pk]), {"company_email": "no es un mail"}, **EN)

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    case.refresh_from_db()
    assert case.status == State.SUBMITTED
    assert not Invitation.objects.exists()


def test_an_officer_asks_the_consumer_for_corrections(queue_client, officer, consumer, company):
    case = file_complaint(consumer, company)

    response = queue_client.post(
        reverse("complaint_observe", args=[case.pk]), {"observation": "Adjuntá la factura de compra."}, **EN
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == State.OBSERVED
    assert case.observation == "Adjuntá la factura de compra."
    assert case.correction_due_at is not None
    event = CaseEvent.objects.get(complaint=case, action="observe")
    assert (event.actor, event.reason) == (officer, "Adjuntá la factura de compra.")


def test_an_observation_needs_words(queue_client, consumer, company):
    case = file_complaint(consumer, company)

    response = queue_client.post(reverse("complaint_observe", args=[case.pk]), {"observation": "   "}, **EN)

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    case.refresh_from_db()
    assert case.status == State.SUBMITTED
    assert not CaseEvent.objects.filter(complaint=case, action="observe").exists()


def test_an_officer_rejects_a_complaint_with_a_reason(queue_client, officer, consumer, company):
    case = file_complaint(consumer, company)

    queue_client.post(
        reverse("complaint_reject", args=[case.pk]),
        {"reason": "jurisdiction", "detail": "El comercio está en Mendoza."},
        **EN,
    )

    case.refresh_from_db()
    assert case.status == State.REJECTED
    assert (case.rejection_reason, case.rejection_detail) == ("jurisdiction", "El comercio está en Mendoza.")
    assert case.closed_at is not None
    event = CaseEvent.objects.get(complaint=case, action="reject")
    assert event.actor == officer
    assert event.reason == "Outside the jurisdiction. El comercio está en Mendoza."


@pytest.mark.parametrize("data", [{}, {"reason": "not-a-reason"}, {"reason": "other", "detail": ""}])
def test_a_rejection_needs_a_valid_reason(queue_client, consumer, company, data):
    case = file_complaint(consumer, company)

    response = queue_client.post(reverse("complaint_reject", args=[case.pk]), data, **EN)

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    case.refresh_from_db()
    assert case.status == State.SUBMITTED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("complaint_admit", {}),
        ("complaint_observe", {"observation": "Falta el DNI."}),
        ("complaint_reject", {"reason": "duplicate"}),
    ],
)
def test_a_decision_on_a_case_already_decided_is_refused_with_a_message(
    queue_client, officer, consumer, company, name, data
):
    case = file_complaint(consumer, company)
    services.complaint_reject(complaint=case, by=officer, reason="time_barred")
    events = CaseEvent.objects.filter(complaint=case).count()

    response = queue_client.post(reverse(name, args=[case.pk]), data, follow=False, **EN)

    assert response.status_code == 302
    assert response["Location"] == reverse("complaint_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == State.REJECTED
    assert CaseEvent.objects.filter(complaint=case).count() == events
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("no longer possible" in m for m in messages)


def test_an_officer_cannot_decide_on_someone_elses_draft(queue_client, consumer, company):
    draft = services.complaint_start_draft(consumer=consumer)

    response = queue_client.post(reverse("complaint_admit", args=[draft.pk]))

    assert response.status_code == 404


def test_the_decisions_only_accept_post(queue_client, consumer, company):
    case = file_complaint(consumer, company)

    assert queue_client.get(reverse("complaint_admit", args=[case.pk])).status_code == 405


def test_an_observed_consumer_corrects_and_the_case_returns_to_the_queue(
    queue_client, client_for, officer, consumer, company
):
    first = file_complaint(consumer, company, when=at(2026, 11, 16, 9))
    other = file_complaint(consumer, company, when=at(2026, 11, 17, 9))
    with time_machine.travel(at(2026, 11, 17, 12), tick=False):
        services.complaint_observe(complaint=first, by=officer, observation="Adjuntá la factura.")
    assert numbers_in(queue_client.get(QUEUE).content.decode()) == [other.number]

    with time_machine.travel(at(2026, 11, 18, 9), tick=False):
        first = Complaint.objects.get(pk=first.pk)
        first.product = "Lavarropas (factura adjunta)"
        first.save(update_fields=["product"])
        services.complaint_resubmit(complaint=first, by=consumer)

    first.refresh_from_db()
    assert first.status == State.SUBMITTED
    assert first.correction_due_at is None
    assert timezone.localdate(first.submitted_at).isoformat() == "2026-11-18"
    assert list(CaseEvent.objects.filter(complaint=first).values_list("action", flat=True)) == [
        "submit",
        "observe",
        "resubmit",
    ]
    # Back in the queue, behind the one that waited longer.
    assert numbers_in(queue_client.get(QUEUE).content.decode()) == [other.number, first.number]


def test_the_formal_notice_is_written_in_the_office_language_whoever_admits_the_case(consumer, company, officer):
    case = submitted_case(consumer, company)
    with translation.override("en"):
        services.complaint_admit(complaint=case, by=officer)

    notice = FormalNotice.objects.get(case_number=case.number)
    assert notice.subject.startswith("Cédula")
