"""The case file: who sees which case, the list and its filters, the case page, evidence downloads,
the withdrawal and the PDF export for referral."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from complaints import services
from complaints.models import CaseEvent, Evidence
from complaints.states import State
from complaints.templatetags.cases import action_label, ars
from hearings.models import Hearing
from notifications.models import FormalNotice, Notification
from parties.models import ConsumerProfile, Representation, Role
from tests.complaints.factories import PDF_BYTES, draft_case, served_case, submitted_case
from tests.complaints.tampering import as_a_dba
from tests.conftest import make_user


@pytest.fixture
def other_representative(other_company):
    user = make_user("lucia@conectar.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Sosa")
    Representation.objects.create(user=user, company=other_company)
    return user


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer, evidence=True)


@pytest.fixture
def submitted(consumer, company):
    return submitted_case(consumer, company, evidence=True)


def label(action: str) -> str:
    with translation.override("en"):
        return str(action_label(action))


def in_english(amount: object) -> str:
    with translation.override("en"):
        return ars(amount)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def second_consumer(email: str = "pedro@example.com", dni: str = "28999111"):
    user = make_user(email, first_name="Pedro", last_name="Álvarez")
    ConsumerProfile.objects.create(
        user=user, dni=dni, phone="+5491155554444", street_address="Corrientes 1234", city="CABA", province="CABA"
    )
    return user


# --- Who sees a case ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("consumer", 200),
        ("representative", 200),
        ("officer", 200),
        ("supervisor", 200),
        ("other_representative", 404),
        ("conciliator", 404),
        ("stranger", 404),
    ],
)
def test_it_shows_a_served_case_only_to_its_parties_and_the_office(request, served, client_for, role, expected):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse("complaint_detail", args=[served.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert served.number in response.content.decode()


@pytest.mark.parametrize(("role", "expected"), [("consumer", 200), ("officer", 200), ("representative", 404)])
def test_it_hides_a_case_from_the_company_until_it_is_served(request, submitted, client_for, role, expected):
    user = request.getfixturevalue(role)
    assert client_for(user).get(reverse("complaint_detail", args=[submitted.pk])).status_code == expected


def test_it_shows_a_case_to_a_conciliator_only_when_assigned_a_hearing(served, conciliator, client_for):
    assert client_for(conciliator).get(reverse("complaint_detail", args=[served.pk])).status_code == 404
    start = timezone.now() + timedelta(days=7)
    Hearing.objects.create(
        complaint=served, conciliator=conciliator, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    assert client_for(conciliator).get(reverse("complaint_detail", args=[served.pk])).status_code == 200


def test_it_sends_anonymous_visitors_to_log_in(served, client):
    response = client.get(reverse("complaint_detail", args=[served.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_it_takes_the_consumer_to_the_filing_steps_for_a_draft(consumer, company, client_for):
    draft = draft_case(consumer, company)
    response = client_for(consumer).get(reverse("complaint_detail", args=[draft.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("complaint_step", args=[draft.pk, draft.draft_step])


# --- The case page ------------------------------------------------------------------------------


def test_it_shows_the_consumer_their_case_file(served, consumer, client_for):
    page = client_for(consumer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert 'class="status-badge status-badge--lg status-company_notified' in page
    assert "30123456" in page  # their DNI
    assert "+54 9 11 2345-6789" in page  # their phone
    assert "Electrodomésticos del Sur S.A." in page
    assert "30-71234567-1" in page
    assert "legales@electrosur.test" in page
    assert "Heladera No Frost 360 L" in page
    assert in_english(served.amount_paid) in page
    assert "factura.pdf" in page
    evidence = served.evidence.get(original_name="factura.pdf")
    assert reverse("evidence_download", args=[evidence.pk]) in page
    assert evidence.sha256 in page
    for action in ("submit", "admit", "serve_company"):
        assert label(action) in page
    assert reverse("complaint_receipt_pdf", args=[served.pk]) in page
    assert reverse("complaint_export_pdf", args=[served.pk]) not in page
    assert reverse("complaint_withdraw", args=[served.pk]) in page
    assert reverse("company_answer", args=[served.pk]) not in page
    assert "Record integrity" not in page  # the hash check is for the office


def test_it_keeps_the_consumers_dni_and_phone_from_the_company(served, representative, client_for):
    page = client_for(representative).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "María González" in page
    assert "30123456" not in page
    assert "2345-6789" not in page
    assert "maria@example.com" not in page
    assert reverse("company_answer", args=[served.pk]) in page
    assert reverse("offer_make", args=[served.pk]) in page
    assert reverse("complaint_withdraw", args=[served.pk]) not in page
    assert reverse("complaint_export_pdf", args=[served.pk]) not in page


def test_it_shows_the_formal_notice_to_everyone_and_the_deliveries_to_the_office(
    served, consumer, representative, officer, client_for
):
    notice = FormalNotice.objects.get(case_number=served.number)
    delivered_to = Notification.objects.filter(case_number=served.number).exclude(address="").first()
    assert delivered_to is not None
    for user in (consumer, representative, officer):
        page = client_for(user).get(reverse("complaint_detail", args=[served.pk])).content.decode()
        assert notice.subject in page
        assert (
            "Messages sent about this case" in page if user == officer else "Messages sent about this case" not in page
        )
    office_page = client_for(officer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert delivered_to.address in office_page


def test_it_tells_the_office_the_record_is_intact_or_broken(served, officer, client_for):
    page = client_for(officer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "Record integrity verified" in page
    # An edit behind the application's back (a raw UPDATE) breaks the chain.
    with as_a_dba():
        CaseEvent.objects.filter(complaint=served, action="admit").update(reason="edited later")
    page = client_for(officer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "Record integrity broken" in page


def test_it_gives_the_officer_the_admission_panel_on_a_submitted_case(submitted, officer, consumer, client_for):
    office_page = client_for(officer).get(reverse("complaint_detail", args=[submitted.pk])).content.decode()
    assert reverse("complaint_admit", args=[submitted.pk]) in office_page
    consumer_page = client_for(consumer).get(reverse("complaint_detail", args=[submitted.pk])).content.decode()
    assert reverse("complaint_admit", args=[submitted.pk]) not in consumer_page


# --- Evidence downloads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("consumer", 200),
        ("representative", 200),
        ("officer", 200),
        ("other_representative", 404),
        ("conciliator", 404),
        ("stranger", 404),
    ],
)
def test_it_serves_evidence_only_to_who_sees_the_case(request, served, client_for, role, expected):
    evidence = served.evidence.get(original_name="factura.pdf")
    response = client_for(request.getfixturevalue(role)).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="factura.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"


def test_it_does_not_serve_evidence_to_the_company_before_it_is_served(submitted, representative, client_for):
    evidence = Evidence.objects.filter(complaint=submitted).get(original_name="factura.pdf")
    assert client_for(representative).get(reverse("evidence_download", args=[evidence.pk])).status_code == 404


# --- The list -----------------------------------------------------------------------------------


def test_it_lists_only_the_consumers_own_cases_newest_first(consumer, company, officer, client_for):
    first = submitted_case(consumer, company)
    second = served_case(consumer, company, officer)
    someone_elses = submitted_case(second_consumer(), company)
    response = client_for(consumer).get(reverse("complaint_list"))
    page = response.content.decode()
    assert [case.pk for case in response.context["page_obj"]] == [second.pk, first.pk]
    assert someone_elses.number not in page
    assert "My cases" in page
    assert reverse("complaint_new") in page


def test_it_lists_for_a_representative_only_their_companys_served_cases(
    consumer, company, other_company, officer, representative, client_for
):
    served = served_case(consumer, company, officer)
    waiting = submitted_case(consumer, company)
    other = submitted_case(consumer, other_company)
    response = client_for(representative).get(reverse("complaint_list"))
    assert [case.pk for case in response.context["page_obj"]] == [served.pk]
    page = response.content.decode()
    assert "Company cases" in page
    assert waiting.number not in page and other.number not in page
    assert reverse("complaint_new") not in page
    assert 'name="company"' not in page  # one company: no company filter


def test_it_lets_a_representative_of_several_companies_filter_by_company(
    consumer, company, other_company, officer, representative, client_for
):
    Representation.objects.create(user=representative, company=other_company)
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save()
    ours = served_case(consumer, company, officer)
    theirs = served_case(consumer, other_company, officer)
    client = client_for(representative)
    assert {case.pk for case in client.get(reverse("complaint_list")).context["page_obj"]} == {ours.pk, theirs.pk}
    response = client.get(reverse("complaint_list"), {"company": other_company.pk})
    assert [case.pk for case in response.context["page_obj"]] == [theirs.pk]
    assert 'name="company"' in response.content.decode()


def test_it_lists_every_filed_case_for_the_office(consumer, company, officer, supervisor, client_for):
    cases = [submitted_case(consumer, company), submitted_case(second_consumer(), company)]
    draft_case(consumer, company)  # someone else's draft is not the office's business
    for user in (officer, supervisor):
        listed = {case.pk for case in client_for(user).get(reverse("complaint_list")).context["page_obj"]}
        assert listed == {case.pk for case in cases}


def test_it_filters_the_list_by_status_search_and_dates(consumer, company, other_company, officer, client_for):
    pedro = second_consumer()
    served = served_case(consumer, company, officer)
    submitted = submitted_case(pedro, other_company)
    client = client_for(officer)

    def listed(**params: object) -> set[int]:
        return {case.pk for case in client.get(reverse("complaint_list"), params).context["page_obj"]}

    assert listed(status=["company_notified"]) == {served.pk}
    assert listed(status=["company_notified", "submitted"]) == {served.pk, submitted.pk}
    assert listed(q=served.number) == {served.pk}
    assert listed(q=str(int(str(submitted.number).rsplit("-", 1)[1]))) == {submitted.pk}
    assert listed(q="28999111") == {submitted.pk}  # Pedro's DNI
    assert listed(q="30-71234567-1") == {served.pk}  # the company's CUIT, with dashes
    assert listed(q="conectar") == {submitted.pk}  # the company's name
    assert listed(q="gonzález") == {served.pk}  # the consumer's name
    today = timezone.localdate()
    assert listed(date_from=today.isoformat(), date_to=today.isoformat()) == {served.pk, submitted.pk}
    assert listed(date_from=(today + timedelta(days=1)).isoformat()) == set()
    assert listed(date_to=(today - timedelta(days=1)).isoformat()) == set()
    # An invalid filter is reported and ignored, not a 500.
    response = client.get(reverse("complaint_list"), {"date_from": "not-a-date", "status": ["bogus"]})
    assert response.status_code == 200
    assert {case.pk for case in response.context["page_obj"]} == {served.pk, submitted.pk}


def test_it_does_not_let_the_company_search_by_dni(consumer, company, officer, representative, client_for):
    served_case(consumer, company, officer)
    response = client_for(representative).get(reverse("complaint_list"), {"q": "30123456"})
    assert list(response.context["page_obj"]) == []


def test_it_shows_an_empty_state_when_nothing_matches(consumer, client_for):
    page = client_for(consumer).get(reverse("complaint_list")).content.decode()
    assert "empty-state" in page
    assert "You have not filed any complaint yet" in page


def test_the_list_does_not_query_more_as_cases_grow(
    consumer, company, officer, client_for, django_assert_max_num_queries
):
    submitted_case(consumer, company)
    client = client_for(officer)
    # 1 session, 2 user, 3 the officer's MFA authenticator (middleware), 4 the paginator's count,
    # 5 the inbox's unread count (header), 6 the page of cases joined to their company, 7 every
    # company of those cases (one prefetch, however many each case names).
    with django_assert_max_num_queries(7):
        assert client.get(reverse("complaint_list")).status_code == 200
    for number in range(30):
        submitted_case(second_consumer(f"c{number}@example.com", f"2{number:07d}"), company)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("complaint_list"))
    assert len(response.context["page_obj"]) == 25


# --- Withdrawal ---------------------------------------------------------------------------------


def test_it_lets_the_consumer_withdraw_and_closes_the_case(served, consumer, representative, client_for):
    last_row = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client_for(consumer).post(
        reverse("complaint_withdraw", args=[served.pk]),
        {"withdraw-reason": "Me devolvieron el dinero.", "withdraw-confirm": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("complaint_detail", args=[served.pk])
    served.refresh_from_db()
    assert served.status == State.WITHDRAWN
    assert served.closed_at is not None
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "withdraw",
        State.COMPANY_NOTIFIED,
        State.WITHDRAWN,
        consumer,
    )
    assert event.reason == "Me devolvieron el dinero."
    told = set(
        Notification.objects.filter(pk__gt=last_row, case_number=served.number).values_list("recipient", flat=True)
    )
    assert {consumer.pk, representative.pk} <= told
    assert any("withdrawn" in message for message in messages_of(response))
    assert reverse("complaint_withdraw", args=[served.pk]) not in response.content.decode()


def test_it_asks_the_consumer_to_confirm_the_withdrawal(served, consumer, client_for):
    response = client_for(consumer).post(reverse("complaint_withdraw", args=[served.pk]), {"withdraw-reason": "x"})
    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    served.refresh_from_db()
    assert served.status == State.COMPANY_NOTIFIED


def test_it_refuses_a_withdrawal_after_the_outcome(served, consumer, representative, client_for):
    offer = services.offer_make(
        complaint=served,
        by=representative,
        terms="Cambio de la heladera",
        fulfil_by=timezone.localdate() + timedelta(days=10),
        amount=None,
    )
    services.offer_accept(offer=offer, by=consumer)
    events_before = served.events.count()
    response = client_for(consumer).post(
        reverse("complaint_withdraw", args=[served.pk]), {"withdraw-confirm": "on"}, follow=True
    )
    assert response.status_code == 200
    served.refresh_from_db()
    assert served.status == State.AGREEMENT
    assert served.events.count() == events_before
    assert any("no longer possible" in message for message in messages_of(response))


def test_it_does_not_let_the_company_withdraw_the_complaint(served, representative, client_for):
    response = client_for(representative).post(
        reverse("complaint_withdraw", args=[served.pk]), {"withdraw-confirm": "on"}, follow=True
    )
    served.refresh_from_db()
    assert served.status == State.COMPANY_NOTIFIED
    assert any("not allowed" in message for message in messages_of(response))


def test_it_answers_404_to_a_stranger_withdrawing(served, stranger, client_for):
    response = client_for(stranger).post(reverse("complaint_withdraw", args=[served.pk]), {"withdraw-confirm": "on"})
    assert response.status_code == 404
    served.refresh_from_db()
    assert served.status == State.COMPANY_NOTIFIED


# --- The export for referral --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("officer", 200),
        ("supervisor", 200),
        ("conciliator", 404),
        ("consumer", 403),
        ("representative", 403),
        ("stranger", 403),
    ],
)
def test_it_exports_the_case_file_only_for_the_office(request, served, client_for, role, expected):
    response = client_for(request.getfixturevalue(role)).get(reverse("complaint_export_pdf", args=[served.pk]))
    assert response.status_code == expected


def test_the_export_is_one_pdf_with_the_whole_record(served, officer, representative, client_for):
    services.company_answer(complaint=served, by=representative, text="La empresa ofrece revisar la unidad.")
    response = client_for(officer).get(reverse("complaint_export_pdf", args=[served.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="expediente-{served.number}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert served.number in text
    assert "María González" in text
    assert "Electrodomésticos del Sur S.A." in text
    assert "La empresa ofrece revisar la unidad." in text
    for action in ("submit", "admit", "serve_company", "company_answered"):
        assert label(action) in text
    for event in served.events.all():
        assert event.hash[:16] in text.replace(" ", "")
    evidence = served.evidence.get(original_name="factura.pdf")
    assert evidence.sha256[:16] in text.replace(" ", "")
    assert "Record integrity verified" in text
    assert "Page 1 of" in text
    # The PNG evidence is embedded as an image.
    assert sum(len(page.images) for page in reader.pages) >= 1


def test_the_export_of_a_submitted_case_has_no_notices_yet(submitted, officer, client_for):
    response = client_for(officer).get(reverse("complaint_export_pdf", args=[submitted.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert submitted.number in text
    assert "The company was not served." in re.sub(r"\s+", " ", text)


# --- Template helpers ---------------------------------------------------------------------------


def test_ars_formats_pesos_for_each_language() -> None:
    with translation.override("es-ar"):
        assert ars(Decimal("1234.56")) == "$\u00a01.234,56"
        assert ars(Decimal("-5")) == "-$\u00a05,00"
    with translation.override("en"):
        assert ars(Decimal("1234.56")) == "ARS\u00a01,234.56"
    assert ars(None) == ""
