"""The company's moves before the hearing, through the API: a written answer with attachments, an
offer, the answer to a counter-offer. Each is the page's move: the same service, rules, case event
and notices (compared with the page's effect in the same test); a retry with the same
Idempotency-Key does nothing twice; a read-only key is refused, another company's key gets a 404."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from api.models import ApiCall
from complaints import services
from complaints.models import CaseEvent, CompanyAnswer, Complaint, Evidence, Offer, OfferStatus
from complaints.services.offers import offer_event_reason
from complaints.services.parts import name_company
from config.middleware import ApiMethodNotAllowedMiddleware
from notifications.models import Notification
from parties.models import PowerKind, PowerStatus, Representation, Role
from tests.api.conftest import API, make_key
from tests.complaints.factories import PDF_BYTES, PNG_BYTES, draft_case, served_case
from tests.conftest import make_user
from tests.helpers import case_number

ANSWER_TEXT = "El service concurrió el 5/3; adjuntamos la orden de trabajo firmada."


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def last_outbox_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def outbox_since(pk: int, case: Complaint) -> list[tuple[str, str, str]]:
    """Who was told what about the case since `pk`: (address, event, channel), in order."""
    rows = Notification.objects.filter(pk__gt=pk, case_number=case_number(case))
    return sorted((row.address, row.event, row.channel) for row in rows)


def attachments() -> list[SimpleUploadedFile]:
    """A fresh pair of files (each upload is read once)."""
    return [
        SimpleUploadedFile("orden-de-trabajo.pdf", PDF_BYTES, content_type="application/pdf"),
        SimpleUploadedFile("foto-service.png", PNG_BYTES, content_type="image/png"),
    ]


def not_a_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("factura.pdf", b"MZ\x90\x00 this is a program, not a PDF", content_type="application/pdf")


def stored_evidence_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "evidence"
    return {str(path) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def answer_url(case: Complaint) -> str:
    return f"{API}/cases/{case.pk}/answer"


def offers_url(case: Complaint) -> str:
    return f"{API}/cases/{case.pk}/offers"


def offer_body(**overrides: object) -> dict[str, object]:
    return {
        "terms": "Devolución total del precio por transferencia bancaria.",
        "amount": "850000.00",
        "fulfil_by": in_days(10),
        **overrides,
    }


@pytest.fixture
def page_case(consumer, company, officer) -> Complaint:
    """A second case of the same consumer and company, moved through the page, to compare with."""
    return served_case(consumer, company, officer, evidence=True)


@pytest.fixture
def unbound_admin(company):
    """An administrator of the company whose power the office has not validated: may answer, not offer."""
    user = make_user("valeria@electrosur.test", Role.REPRESENTATIVE, first_name="Valeria", last_name="Ríos")
    Representation.objects.create(user=user, company=company, is_admin=True)
    return user


# --- The written answer --------------------------------------------------------------------------


def test_a_key_answers_with_attachments_as_the_page_does(
    served, page_case, full_key, representative, consumer, api_client, client_for
):
    before = last_outbox_pk()
    client_for(representative).post(
        reverse("company_answer", args=[page_case.pk]),
        {"answer-text": ANSWER_TEXT, "answer-attachments": attachments()},
    )
    response = api_client(full_key).post(answer_url(served), {"text": ANSWER_TEXT, "attachments": attachments()})

    assert response.status_code == 201, response.content
    body = response.json()
    answer = CompanyAnswer.objects.get(complaint=served)
    assert (answer.author, answer.text, answer.part) == (representative, ANSWER_TEXT, served.parts.get())
    assert (body["id"], body["case_id"], body["part_id"], body["text"]) == (
        answer.pk,
        served.pk,
        answer.part_id,
        ANSWER_TEXT,
    )
    files = list(Evidence.objects.filter(complaint=served, uploaded_by=representative).order_by("pk"))
    assert [(item.original_name, item.content_type) for item in files] == [
        ("orden-de-trabajo.pdf", "application/pdf"),
        ("foto-service.png", "image/png"),
    ]
    assert [item["id"] for item in body["attachments"]] == [item.pk for item in files]
    # Each file as the case's evidence lists it, with its download through the API.
    download = api_client(full_key).get(body["attachments"][0]["download_url"])
    assert (download.status_code, b"".join(download.streaming_content)) == (200, PDF_BYTES)
    assert all("Electrodomésticos del Sur S.A." in item.description for item in files)
    # The event records the answer and each file's hash, as the page's does.
    event = served.events.latest("created_at", "pk")
    page_event = page_case.events.latest("created_at", "pk")
    assert (event.action, event.actor, event.from_state, event.to_state) == ("company_answered", representative, "", "")
    assert event.reason.startswith(ANSWER_TEXT)
    assert all(f"{item.original_name} · SHA-256 {item.sha256}" in event.reason for item in files)
    assert (page_event.action, page_event.reason.split("\n")[0]) == (event.action, ANSWER_TEXT)
    assert Evidence.objects.filter(complaint=page_case, uploaded_by=representative).count() == 2
    # The same notices, to the same people, on the same channels.
    assert outbox_since(before, served) == outbox_since(before, page_case) != []
    assert {address for address, _event, _channel in outbox_since(before, served)} >= {consumer.email}
    # What the consumer sees: the answer, and the files among the case's evidence.
    page = client_for(consumer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert ANSWER_TEXT in page
    assert "orden-de-trabajo.pdf" in page and "foto-service.png" in page


def test_an_answer_without_attachments_is_a_plain_answer(served, full_key, api_client):
    response = api_client(full_key).post(answer_url(served), {"text": ANSWER_TEXT})
    assert response.status_code == 201
    assert response.json()["attachments"] == []
    assert served.events.latest("created_at", "pk").reason == ANSWER_TEXT


def test_a_retried_answer_is_kept_once(served, full_key, api_client):
    client = api_client(full_key)
    before = last_outbox_pk()
    first = client.post(
        answer_url(served), {"text": ANSWER_TEXT, "attachments": attachments()}, HTTP_IDEMPOTENCY_KEY="a-1"
    )
    told = outbox_since(before, served)
    again = client.post(
        answer_url(served), {"text": ANSWER_TEXT, "attachments": attachments()}, HTTP_IDEMPOTENCY_KEY="a-1"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1
    assert served.events.filter(action="company_answered").count() == 1
    assert Evidence.objects.filter(complaint=served, uploaded_by=full_key.user).count() == 2
    assert outbox_since(before, served) == told != []


def test_the_same_idempotency_key_for_another_answer_is_422(served, full_key, api_client):
    client = api_client(full_key)
    assert client.post(answer_url(served), {"text": ANSWER_TEXT}, HTTP_IDEMPOTENCY_KEY="a-2").status_code == 201
    response = client.post(answer_url(served), {"text": "Otra respuesta."}, HTTP_IDEMPOTENCY_KEY="a-2")
    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1


def test_a_file_of_a_refused_type_is_400_and_nothing_is_kept(served, full_key, api_client):
    events, before, files = CaseEvent.objects.count(), last_outbox_pk(), stored_evidence_files()
    response = api_client(full_key).post(
        answer_url(served), {"text": ANSWER_TEXT, "attachments": [*attachments(), not_a_pdf()]}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "file_rejected"
    assert "“factura.pdf” is not a PDF, JPEG, PNG or HEIC file" in body["message"]
    assert body["errors"] == [{"field": "form.attachments", "message": body["message"]}]
    assert not CompanyAnswer.objects.exists()
    assert not Evidence.objects.filter(uploaded_by=full_key.user).exists()
    assert (CaseEvent.objects.count(), last_outbox_pk()) == (events, before)
    assert stored_evidence_files() == files  # the two good files did not stay on disk either


def test_the_company_may_attach_as_many_files_as_the_consumer(served, full_key, api_client, settings):
    settings.EVIDENCE_MAX_FILES = 3
    client = api_client(full_key)
    assert client.post(answer_url(served), {"text": ANSWER_TEXT, "attachments": attachments()}).status_code == 201
    response = client.post(answer_url(served), {"text": "Y una constancia más.", "attachments": attachments()})
    assert (response.status_code, response.json()["code"]) == (400, "file_rejected")
    assert "You can attach up to 3 files" in response.json()["message"]
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1
    # The consumer's two files do not count against the company's.
    assert Evidence.objects.filter(complaint=served).count() == 4


def test_an_empty_answer_is_400_with_the_forms_message(served, full_key, api_client):
    response = api_client(full_key).post(answer_url(served), {"text": "   "})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "Write the company's answer." in response.json()["message"]
    assert not CompanyAnswer.objects.exists()


def test_a_read_only_key_may_not_answer(served, read_key, api_client):
    response = api_client(read_key).post(answer_url(served), {"text": ANSWER_TEXT})
    assert (response.status_code, response.json()["code"]) == (403, "scope_missing")
    assert not CompanyAnswer.objects.exists()


def test_another_companys_key_gets_the_404_of_a_missing_case(served, rival, api_client):
    client = api_client(rival.key)
    response = client.post(answer_url(served), {"text": ANSWER_TEXT, "attachments": attachments()})
    missing = client.post(f"{API}/cases/999999/answer", {"text": ANSWER_TEXT})
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert response.json()["code"] == "not_found"
    assert not CompanyAnswer.objects.exists()
    assert not Evidence.objects.filter(uploaded_by=rival.admin).exists()


def test_a_closed_case_refuses_the_answer_in_the_callers_language(served, full_key, consumer, api_client):
    services.complaint_withdraw(complaint=served, by=consumer, reason="Lo resolví por otra vía.")
    english = api_client(full_key).post(answer_url(served), {"text": ANSWER_TEXT})
    assert (english.status_code, english.json()["code"]) == (409, "case_rule")
    assert english.json()["message"] == "The company can answer only while the case is open for conciliation."
    spanish = api_client(full_key, language="").post(answer_url(served), {"text": ANSWER_TEXT})
    assert (spanish.status_code, spanish.json()["code"]) == (409, "case_rule")
    assert spanish.json()["message"].startswith("La empresa solo puede responder")
    assert not CompanyAnswer.objects.exists()


# --- The page's answer form takes the same attachments -------------------------------------------


def test_the_page_stores_the_answers_attachments(served, representative, client_for):
    response = client_for(representative).post(
        reverse("company_answer", args=[served.pk]),
        {"answer-text": ANSWER_TEXT, "answer-attachments": attachments()},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("complaint_detail", args=[served.pk])
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1
    assert Evidence.objects.filter(complaint=served, uploaded_by=representative).count() == 2


def test_the_page_keeps_nothing_when_a_file_is_refused_and_says_why(served, representative, client_for):
    files = stored_evidence_files()
    response = client_for(representative).post(
        reverse("company_answer", args=[served.pk]),
        {"answer-text": ANSWER_TEXT, "answer-attachments": [*attachments(), not_a_pdf()]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a PDF, JPEG, PNG or HEIC file" in page
    assert ANSWER_TEXT in page  # the text comes back to be sent again
    assert not CompanyAnswer.objects.exists()
    assert not Evidence.objects.filter(uploaded_by=representative).exists()
    assert stored_evidence_files() == files


def test_the_page_answer_form_offers_a_file_input(served, representative, client_for):
    page = client_for(representative).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="answer-attachments"' in page


# --- Offers --------------------------------------------------------------------------------------


def test_a_key_makes_an_offer_as_the_page_does(
    served, page_case, full_key, representative, consumer, api_client, client_for
):
    before = last_outbox_pk()
    client_for(representative).post(
        reverse("offer_make", args=[page_case.pk]),
        {
            "offer-terms": "Devolución total del precio por transferencia bancaria.",
            "offer-amount": "850000",
            "offer-fulfil_by": in_days(10),
        },
    )
    response = api_client(full_key).post_json(offers_url(served), offer_body())

    assert response.status_code == 201, response.content
    offer = Offer.objects.get(complaint=served)
    page_offer = Offer.objects.get(complaint=page_case)
    assert (offer.status, offer.amount, offer.made_by, offer.part) == (
        OfferStatus.PENDING,
        Decimal("850000"),
        representative,
        served.parts.get(),
    )
    assert (offer.terms, offer.fulfil_by, offer.amount) == (page_offer.terms, page_offer.fulfil_by, page_offer.amount)
    body = response.json()
    assert (body["id"], body["status"]["code"], body["amount"], body["fulfil_by"]) == (
        offer.pk,
        "pending",
        "850000.00",
        in_days(10),
    )
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.actor, event.reason) == ("offer_made", representative, offer_event_reason(offer))
    assert page_case.events.latest("created_at", "pk").reason == event.reason
    assert outbox_since(before, served) == outbox_since(before, page_case) != []
    page = client_for(consumer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "The company made you an offer" in page
    assert reverse("offer_accept", args=[offer.pk]) in page


def test_an_offer_in_instalments_ends_on_the_last_one(served, full_key, api_client):
    response = api_client(full_key).post_json(
        offers_url(served),
        offer_body(
            amount="90000",
            fulfil_by=None,
            instalments=[{"due": in_days(10), "amount": "30000"}, {"due": in_days(40), "amount": "60000"}],
        ),
    )
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(complaint=served)
    assert offer.fulfil_by.isoformat() == in_days(40)
    assert [row["amount"] for row in offer.instalment_rows()] == [Decimal("30000"), Decimal("60000")]
    assert [row["due"] for row in response.json()["instalments"]] == [in_days(10), in_days(40)]


def test_instalments_that_do_not_add_up_are_refused_as_on_the_page(served, full_key, api_client):
    response = api_client(full_key).post_json(
        offers_url(served),
        offer_body(
            amount="90000", instalments=[{"due": in_days(10), "amount": "1"}, {"due": in_days(40), "amount": "2"}]
        ),
    )
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert "The instalments add up to 3.00, not to the agreed amount of 90000.00." in response.json()["message"]
    assert not Offer.objects.exists()


def test_a_retried_offer_is_made_once(served, full_key, consumer, api_client):
    client = api_client(full_key)
    before = last_outbox_pk()
    first = client.post_json(offers_url(served), offer_body(), idempotency_key="o-1")
    told = outbox_since(before, served)
    again = client.post_json(offers_url(served), offer_body(), idempotency_key="o-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again["Idempotent-Replayed"]) == (first.json(), "true")
    assert Offer.objects.filter(complaint=served).count() == 1
    assert served.events.filter(action="offer_made").count() == 1
    assert outbox_since(before, served) == told != []
    different = client.post_json(offers_url(served), offer_body(amount="1"), idempotency_key="o-1")
    assert (different.status_code, different.json()["code"]) == (422, "idempotency_key_reused")
    # Each of the three calls is in the company's log of its API calls, with the key it was sent with.
    logged = ApiCall.objects.filter(key=full_key.key, idempotency_key="o-1").order_by("pk")
    assert [(call.method, call.status) for call in logged] == [("POST", 201), ("POST", 201), ("POST", 422)]


def test_a_key_whose_person_has_no_validated_power_may_not_offer(served, company, unbound_admin, api_client):
    key = make_key(company, unbound_admin, name="Sin poder")
    response = api_client(key).post_json(offers_url(served), offer_body())
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"].startswith("To make offers or sign agreements for Electrodomésticos del Sur S.A.")
    assert not Offer.objects.exists()
    # The same person may still answer in writing (no power needed).
    assert api_client(key).post(answer_url(served), {"text": ANSWER_TEXT}).status_code == 201


def test_a_second_pending_offer_is_refused_in_spanish_by_default(served, full_key, api_client):
    assert api_client(full_key).post_json(offers_url(served), offer_body()).status_code == 201
    response = api_client(full_key, language="").post_json(offers_url(served), offer_body())
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "Ya hay una propuesta pendiente de respuesta del consumidor."
    english = api_client(full_key).post_json(offers_url(served), offer_body())
    assert english.json()["message"] == "There is already an offer awaiting the consumer's answer."
    assert Offer.objects.filter(complaint=served).count() == 1


@pytest.mark.parametrize(
    ("fulfil_by", "message"),
    [
        (in_days(-1), "The date to fulfil the offer must be in the future."),
        (in_days(3 * 366), "An offer must be fulfilled within 2 years"),
    ],
)
def test_an_offer_date_out_of_bounds_gets_the_pages_message(served, full_key, api_client, fulfil_by, message):
    response = api_client(full_key).post_json(offers_url(served), offer_body(fulfil_by=fulfil_by))
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert message in response.json()["message"]
    assert response.json()["errors"][0]["field"] == "body.payload.fulfil_by"
    assert not Offer.objects.exists()


def test_a_malformed_offer_is_400_not_500(served, full_key, api_client):
    client = api_client(full_key)
    for body in ({"terms": ""}, {"terms": "x", "amount": "-5"}, {"terms": "x", "amount": "1.234"}, {"amount": 1}):
        response = client.post_json(offers_url(served), body)
        assert (response.status_code, response.json()["code"]) == (400, "validation_error"), body
    assert not Offer.objects.exists()


def test_offers_are_refused_to_a_read_only_key_and_to_another_company(served, read_key, rival, api_client):
    read_only = api_client(read_key).post_json(offers_url(served), offer_body())
    assert (read_only.status_code, read_only.json()["code"]) == (403, "scope_missing")
    stranger = api_client(rival.key).post_json(offers_url(served), offer_body())
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    assert not Offer.objects.exists()


# --- The answer to a counter-offer ---------------------------------------------------------------

COUNTER = "Acepto la devolución del dinero, no el cambio."


@pytest.fixture
def countered(served, representative, consumer) -> Offer:
    """The company offered a replacement; the consumer rejected it, asking for the money back."""
    offer = services.offer_make(
        complaint=served,
        by=representative,
        terms="Cambio de la heladera por una nueva",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
    )
    return services.offer_reject(offer=offer, by=consumer, counter_terms=COUNTER, counter_amount=Decimal("850000"))


def counter_url(offer: Offer) -> str:
    return f"{API}/offers/{offer.pk}/counter-answer"


def test_accepting_a_counter_offer_offers_the_consumers_terms(countered, served, full_key, consumer, api_client):
    before = last_outbox_pk()
    response = api_client(full_key).post_json(counter_url(countered), {"accept": True, "fulfil_by": in_days(10)})
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(complaint=served, status=OfferStatus.PENDING)
    assert (offer.terms, offer.amount, offer.fulfil_by.isoformat()) == (COUNTER, Decimal("850000"), in_days(10))
    assert (response.json()["id"], response.json()["answers_offer_id"]) == (offer.pk, countered.pk)
    countered.refresh_from_db()
    assert countered.status == OfferStatus.COUNTERED  # the record of the counter-offer stays as it was
    event = served.events.latest("created_at", "pk")
    assert (event.action, event.reason) == ("offer_made", offer_event_reason(offer))
    assert consumer.email in {address for address, _event, _channel in outbox_since(before, served)}


def test_rejecting_a_counter_offer_makes_the_companys_own(countered, served, full_key, api_client):
    response = api_client(full_key).post_json(
        counter_url(countered),
        {"accept": False, "terms": "Devolución del 80 % del precio.", "amount": "680000", "fulfil_by": in_days(10)},
    )
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(complaint=served, status=OfferStatus.PENDING)
    assert (offer.terms, offer.amount) == ("Devolución del 80 % del precio.", Decimal("680000"))


def test_a_counter_offer_is_answered_once(countered, served, full_key, api_client):
    client = api_client(full_key)
    first = client.post_json(counter_url(countered), {"accept": True, "fulfil_by": in_days(10)}, idempotency_key="c-1")
    replay = client.post_json(counter_url(countered), {"accept": True, "fulfil_by": in_days(10)}, idempotency_key="c-1")
    assert (first.status_code, replay.status_code, replay.json()) == (201, 201, first.json())
    again = client.post_json(counter_url(countered), {"accept": True, "fulfil_by": in_days(10)}, idempotency_key="c-2")
    assert (again.status_code, again.json()["code"]) == (409, "case_rule")
    assert again.json()["message"] == "The company already answered this counter-offer with a newer offer."
    assert Offer.objects.filter(complaint=served).count() == 2
    assert served.events.filter(action="offer_made").count() == 2  # the first offer and this one


def test_an_offer_without_a_counter_offer_cannot_be_answered_so(served, representative, full_key, api_client):
    pending = services.offer_make(
        complaint=served,
        by=representative,
        terms="Cambio",
        fulfil_by=timezone.localdate() + timedelta(days=5),
        amount=None,
    )
    response = api_client(full_key).post_json(counter_url(pending), {"accept": True, "fulfil_by": in_days(10)})
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "This offer has no counter-offer to answer."
    assert Offer.objects.filter(complaint=served).count() == 1


def test_a_refusal_of_the_api_itself_reads_in_spanish_by_default(served, representative, full_key, api_client):
    # needs es_AR catalogue (/work/tmp_translations/api-writes.po merged into locale/)
    pending = services.offer_make(
        complaint=served,
        by=representative,
        terms="Cambio",
        fulfil_by=timezone.localdate() + timedelta(days=5),
        amount=None,
    )
    response = api_client(full_key, language="").post_json(
        counter_url(pending), {"accept": True, "fulfil_by": in_days(10)}
    )
    assert (response.status_code, response.json()["code"]) == (409, "case_rule")
    assert response.json()["message"] == "Esta propuesta no tiene una contrapropuesta para responder."


def test_accepting_comes_without_terms_of_ones_own(countered, full_key, api_client):
    response = api_client(full_key).post_json(
        counter_url(countered), {"accept": True, "terms": "Otra cosa", "fulfil_by": in_days(10)}
    )
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert Offer.objects.filter(status=OfferStatus.PENDING).count() == 0


def test_a_counter_offer_is_refused_to_a_read_only_key_and_to_another_company(countered, read_key, rival, api_client):
    body = {"accept": True, "fulfil_by": in_days(10)}
    read_only = api_client(read_key).post_json(counter_url(countered), body)
    assert (read_only.status_code, read_only.json()["code"]) == (403, "scope_missing")
    stranger = api_client(rival.key).post_json(counter_url(countered), body)
    missing = api_client(rival.key).post_json(f"{API}/offers/999999/counter-answer", body)
    assert (stranger.status_code, stranger.json()) == (404, missing.json())
    assert Offer.objects.count() == 1


# --- A case of several companies: a key acts for its own -----------------------------------------


@pytest.fixture
def two_company_case(consumer, company, other_company, officer) -> Complaint:
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    case = draft_case(consumer, company)
    name_company(case, company=other_company)
    case = services.complaint_submit(complaint=case, by=consumer)
    return services.complaint_admit(complaint=case, by=officer)


@pytest.fixture
def both_companies_key(representative, other_company):
    """Jorge administers both companies of the case; this key is the second company's."""
    Representation.objects.create(
        user=representative,
        company=other_company,
        is_admin=True,
        power_kind=PowerKind.GENERAL,
        power_status=PowerStatus.VALIDATED,
    )
    return make_key(other_company, representative, name="Conectar ERP")


def test_in_a_case_of_two_companies_the_key_answers_and_offers_for_its_own(
    two_company_case, both_companies_key, other_company, api_client
):
    client = api_client(both_companies_key)
    own_part = two_company_case.parts.get(company=other_company)
    answered = client.post(answer_url(two_company_case), {"text": ANSWER_TEXT, "attachments": attachments()})
    offered = client.post_json(offers_url(two_company_case), offer_body())
    assert (answered.status_code, offered.status_code) == (201, 201)
    assert CompanyAnswer.objects.get(complaint=two_company_case).part == own_part
    assert Offer.objects.get(complaint=two_company_case).part == own_part
    answer_event = two_company_case.events.get(action="company_answered")
    assert answer_event.reason.startswith(f"Conectar Telecomunicaciones S.A.: {ANSWER_TEXT}")
    files = Evidence.objects.filter(complaint=two_company_case, uploaded_by=both_companies_key.user)
    assert all("Conectar Telecomunicaciones S.A." in item.description for item in files)
    assert answered.json()["part_id"] == offered.json()["part_id"] == own_part.pk


def test_the_other_companys_counter_offer_is_a_404_in_a_shared_case(
    two_company_case, both_companies_key, representative, company, consumer, api_client
):
    lead = two_company_case.parts.get(company=company)
    offer = services.offer_make(
        complaint=two_company_case,
        by=representative,
        part=lead,
        terms="Cambio de la heladera",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
    )
    services.offer_reject(offer=offer, by=consumer, counter_terms=COUNTER, counter_amount=Decimal("850000"))
    response = api_client(both_companies_key).post_json(counter_url(offer), {"accept": True, "fulfil_by": in_days(10)})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Offer.objects.filter(complaint=two_company_case).count() == 1


# --- Django's own limits on a request: answered in the API's JSON, in the company's log --------------


def many_files(count: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.pdf", PDF_BYTES, content_type="application/pdf") for i in range(count)]


def test_more_files_than_django_reads_is_a_json_400_in_the_log(served, full_key, api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 12  # Django's default is 100: the same refusal, fewer files
    client = api_client(full_key)
    client.raise_request_exception = False

    response = client.post(answer_url(served), {"text": ANSWER_TEXT, "attachments": many_files(13)})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "validation_error", "message": "The request holds too many files: at most 12."}
    assert list(ApiCall.objects.values_list("path", "status")) == [(answer_url(served), 400)]
    assert not CompanyAnswer.objects.exists()


def test_more_files_than_django_reads_with_an_unknown_key_is_a_401(served, api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 12
    client = api_client("ck_0123456789ab_" + "x" * 43)
    client.raise_request_exception = False

    response = client.post(answer_url(served), {"text": ANSWER_TEXT, "attachments": many_files(13)})

    assert (response.status_code, response.json()["code"]) == (401, "invalid_key")
    assert not ApiCall.objects.exists()


def test_a_json_body_over_djangos_limit_is_a_413_in_the_log(served, full_key, api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client = api_client(full_key)
    client.raise_request_exception = False

    response = client.post_json(offers_url(served), offer_body(terms="x" * (65 * 1024)))

    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request is too large: at most 64.0 KB of data besides its files.",
    }
    assert list(ApiCall.objects.values_list("path", "status")) == [(offers_url(served), 413)]
    assert not Offer.objects.exists()


def test_a_form_over_djangos_limit_is_a_413_too(served, full_key, api_client, settings):
    """A form body is read before the API (the NUL check): the API still answers it, once it knows the key."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client = api_client(full_key)
    client.raise_request_exception = False

    response = client.post(
        answer_url(served), f"text={'x' * (65 * 1024)}", content_type="application/x-www-form-urlencoded"
    )

    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert list(ApiCall.objects.values_list("status", flat=True)) == [413]


def test_the_pages_keep_djangos_own_400_for_too_many_files(served, representative, client_for, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client = client_for(representative)
    client.raise_request_exception = False

    response = client.post(reverse("complaint_detail", args=[served.pk]), {"files": many_files(3)})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def json_405(settings) -> None:
    """config.middleware.ApiMethodNotAllowedMiddleware, right after the NUL check (as the settings
    should list it)."""
    name = "config.middleware.ApiMethodNotAllowedMiddleware"
    if name not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("config.middleware.RejectNulBytesMiddleware") + 1, name)
        settings.MIDDLEWARE = middleware


@pytest.mark.parametrize(
    ("method", "answer", "allowed"), [("put", False, "GET, HEAD"), ("get", True, "POST"), ("head", True, "POST")]
)
def test_a_wrong_method_is_a_json_405(json_405, served, full_key, api_client, method, answer, allowed):
    url = answer_url(served) if answer else f"{API}/cases"

    response = getattr(api_client(full_key), method)(url)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response["Content-Type"] == "application/json"
    if method == "head":
        assert response.content == b""
        return
    assert response.json() == {
        "code": "method_not_allowed",
        "message": f"This address does not take {method.upper()} requests; it takes: {allowed}.",
    }


# --- HEAD: a GET without its body -------------------------------------------------------------------


def test_head_on_a_get_operation_answers_as_get_without_the_body(json_405, served, full_key, api_client):
    api = api_client(full_key)
    get = api.get(f"{API}/cases/{served.pk}")
    calls = ApiCall.objects.count()

    head = api.head(f"{API}/cases/{served.pk}")

    assert head.status_code == 200
    assert head["Content-Type"] == get["Content-Type"] == "application/json; charset=utf-8"
    assert head["Content-Length"] == str(len(get.content))
    assert head.content == b""
    assert ApiCall.objects.count() == calls + 1  # a call like any other: the key, its limit, its record


def test_head_on_a_file_gives_its_headers_and_asks_the_key_like_get(json_405, served, full_key, api_client):
    evidence = served.evidence.order_by("pk").first()
    assert evidence is not None
    url = f"{API}/evidence/{evidence.pk}/download"

    head = api_client(full_key).head(url)
    anonymous = Client().head(url)

    assert head.status_code == 200
    assert head["Content-Length"] == str(evidence.size)
    assert head["Content-Disposition"].startswith("attachment;")
    assert b"".join(head.streaming_content) == b""
    assert anonymous.status_code == 401


def test_the_middleware_strips_the_body_itself_and_never_reads_a_file(db):
    """What a server that sends a HEAD's body would send: nothing (the test client strips it anyway)."""
    seen: list[str] = []
    handle = io.BytesIO(b"%PDF-1.7 ...")

    def view(request: HttpRequest) -> HttpResponseBase:
        seen.append(request.method or "")
        return FileResponse(handle) if request.path_info.endswith(".pdf") else HttpResponse(b'{"items": []}')

    middleware = ApiMethodNotAllowedMiddleware(view)
    json_answer = middleware(RequestFactory().head(f"{API}/cases"))
    file_answer = middleware(RequestFactory().head(f"{API}/hearings/1/acta.pdf"))
    page = middleware(RequestFactory().head("/transparencia/"))

    assert seen == ["GET", "GET", "HEAD"]  # a page's HEAD is Django's own business
    assert isinstance(json_answer, HttpResponse) and isinstance(page, HttpResponse)
    assert json_answer.content == b""
    assert isinstance(file_answer, FileResponse)
    assert list(file_answer) == []
    assert handle.tell() == 0  # never read
    file_answer.close()  # what the server does once it has sent the answer
    assert handle.closed
    assert page.content == b'{"items": []}'


@pytest.mark.parametrize("path", ["openapi.json", "docs"])
def test_the_document_and_its_page_take_only_get_and_head(json_405, client, path):
    url = f"{API}/{path}"

    assert client.get(url).status_code == 200
    head = client.head(url)
    assert (head.status_code, head.content) == (200, b"")
    for method in ("put", "patch", "delete", "post"):
        response = getattr(client, method)(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 405, method
        assert response["Allow"] == "GET, HEAD"
        assert response.json() == {
            "code": "method_not_allowed",
            "message": f"This address does not take {method.upper()} requests; it takes: GET, HEAD.",
        }


def test_the_public_api_answers_head_and_keeps_its_document_read_only(json_405, client, db):
    public = "/api/publica/v1"

    sectors = client.get(f"{public}/sectores")
    head = client.head(f"{public}/sectores")
    document = client.head(f"{public}/openapi.json")
    changed = client.put(f"{public}/openapi.json")

    assert sectors.status_code == head.status_code == document.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(sectors.content))
    assert (changed.status_code, changed["Allow"]) == (405, "GET, HEAD")
    assert client.put(f"{public}/sectores").status_code == 405  # django-ninja's own answer, unchanged
