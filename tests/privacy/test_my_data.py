"""A person downloads what the platform holds about them (and nothing about anyone else) and asks
the office to correct it; the request reaches the supervisor's list and the office's mailbox."""

import json

import pytest
from django.urls import reverse

from notifications.models import Notification
from parties.models import ConsumerProfile
from privacy.models import DataRequest
from tests.complaints.factories import submitted_case
from tests.conftest import make_user


@pytest.fixture
def other_consumer(db):
    user = make_user("lucia@example.com", first_name="Lucía", last_name="Benítez")
    ConsumerProfile.objects.create(
        user=user,
        dni="27999888",
        phone="+5491155554444",
        street_address="Calle Falsa 123",
        city="CABA",
        province="CABA",
    )
    return user


def download(client) -> dict:
    response = client.get(reverse("my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="concilia-mis-datos-')
    return json.loads(response.content)


def test_the_download_holds_the_consumers_profile_cases_events_evidence_and_messages(
    client_for, consumer, company, other_consumer
):
    case = submitted_case(consumer, company, evidence=True)
    submitted_case(other_consumer, company, facts="Lo que le pasó a Lucía")

    data = download(client_for(consumer))

    assert data["account"]["email"] == "maria@example.com"
    assert data["consumer_profile"]["dni"] == "30123456"
    assert [c["number"] for c in data["cases"]] == [case.number]
    assert data["cases"][0]["events"][0]["action"] == "submit"
    assert {e["file_name"] for e in data["cases"][0]["evidence"]} == {"factura.pdf", "foto-heladera.png"}
    assert {m["case_number"] for m in data["notifications"]} == {case.number}
    text = json.dumps(data, ensure_ascii=False)
    assert "Lucía" not in text and "27999888" not in text and "lucia@example.com" not in text


def test_someone_else_downloads_only_their_own_record(client_for, consumer, company, stranger):
    submitted_case(consumer, company)

    data = download(client_for(stranger))

    assert data["account"]["email"] == "stranger@example.com"
    assert data["cases"] == [] and data["consumer_profile"] is None
    assert "maria@example.com" not in json.dumps(data)


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get(reverse("my_data_download"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def ask(client, **fields):
    data = {
        "kind": "correction",
        "case_number": "",
        "details": "Mi DNI en el reclamo figura mal: es 30123457.",
        **fields,
    }
    return client.post(reverse("my_data"), data)


def test_a_correction_request_is_recorded_and_the_office_is_emailed(
    client_for, consumer, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_OFFICE_EMAIL = "datos@oficina.test"

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client_for(consumer), case_number="dc-2026-000001")

    assert response.status_code == 302
    request = DataRequest.objects.get()
    assert (request.user, request.kind, request.status, request.case_number) == (
        consumer,
        DataRequest.Kind.CORRECTION,
        DataRequest.Status.OPEN,
        "DC-2026-000001",
    )
    mail = Notification.objects.get(address="datos@oficina.test")
    assert mail.event == "privacy_data_request"
    assert "maria@example.com" in mail.body_text and reverse("data_request_list") in mail.body_text
    # The details stay on the platform: the e-mail only points to them.
    assert "30123457" not in mail.body_text


def test_the_person_sees_their_request_and_its_status(client_for, consumer):
    client = client_for(consumer)
    ask(client)

    page = client.get(reverse("my_data")).content.decode()

    assert "Correct my data" in page and "Open" in page


def test_a_request_needs_details(client_for, consumer):
    response = ask(client_for(consumer), details="   ")

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not DataRequest.objects.exists()


def test_the_request_appears_in_the_supervisors_list(client_for, consumer, supervisor):
    ask(client_for(consumer))

    page = client_for(supervisor).get(reverse("data_request_list")).content.decode()

    assert "María González" in page and "Mi DNI en el reclamo figura mal" in page


def test_the_supervisor_marks_a_request_done_saying_what_was_done(client_for, consumer, supervisor):
    ask(client_for(consumer))
    request = DataRequest.objects.get()
    client = client_for(supervisor)

    response = client.post(reverse("data_request_close", args=[request.pk]), {"resolution": "DNI corregido."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.handled_by, request.resolution) == ("done", supervisor, "DNI corregido.")
    open_only = client.get(reverse("data_request_list"), {"status": "open"}).content.decode()
    assert "Mi DNI en el reclamo figura mal" not in open_only


def test_closing_twice_is_refused_with_a_message(client_for, consumer, supervisor):
    ask(client_for(consumer))
    request = DataRequest.objects.get()
    client = client_for(supervisor)
    client.post(reverse("data_request_close", args=[request.pk]))

    response = client.post(reverse("data_request_close", args=[request.pk]), follow=True)

    assert "already marked as done" in response.content.decode()


@pytest.mark.parametrize("role", ["consumer", "officer", "conciliator", "stranger"])
def test_nobody_but_a_supervisor_sees_or_closes_requests(client_for, consumer, role, request):
    ask(client_for(consumer))
    data_request = DataRequest.objects.get()
    client = client_for(request.getfixturevalue(role))

    assert client.get(reverse("data_request_list")).status_code == 404
    assert client.post(reverse("data_request_close", args=[data_request.pk])).status_code == 404
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.OPEN
