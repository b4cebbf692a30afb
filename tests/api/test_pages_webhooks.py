"""A company's administrator manages its webhooks on its pages: registers an endpoint (its secret
shown once), changes it, gives it a new secret (shown once), switches it off and on, and reads each
endpoint's delivery log, where a delivery can be sent again. A second click does nothing twice;
its other representatives, the office and consumers are refused (403); another company's
administrator never learns its endpoints or deliveries exist (404). The lists cost the same queries
whatever their length."""

import html
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.endpoints import MAX_ENDPOINTS_PER_COMPANY, webhook_endpoint_create, webhook_endpoint_disable
from parties.models import Representation, Role
from tests.conftest import log_in, make_user
from tests.security.test_forms_never_500 import examples, has_nul, never_500, numbers, text

pytestmark = pytest.mark.django_db

URL = "https://erp.electrosur.test/hooks/concilia"


def list_page(company) -> str:
    return reverse("company_webhooks", kwargs={"pk": company.pk})


def endpoint_page(endpoint: WebhookEndpoint) -> str:
    return reverse("company_webhook", kwargs={"company_pk": endpoint.company_id, "pk": endpoint.pk})


def action(name: str, endpoint: WebhookEndpoint) -> str:
    return reverse(name, kwargs={"company_pk": endpoint.company_id, "pk": endpoint.pk})


def resend_url(delivery: WebhookDelivery, company=None) -> str:
    company_pk = company.pk if company is not None else delivery.endpoint.company_id
    return reverse("company_webhook_resend", kwargs={"company_pk": company_pk, "pk": delivery.pk})


def register(client: Client, company, *, url=URL, events=("case.served", "hearing.scheduled"), once="form-1", **extra):
    return client.post(list_page(company), {"url": url, "events": list(events), "once": once, **extra})


def endpoint_of(company, user, *, url=URL, events=("case.served",)) -> WebhookEndpoint:
    endpoint, _secret = webhook_endpoint_create(company=company, by=user, url=url, events=list(events))
    return endpoint


def delivery_of(endpoint: WebhookEndpoint, *, event="case.served", number="R-2026-000001", **fields) -> WebhookDelivery:
    payload = {"type": event, "data": {"case": {"id": 1, "number": number, "state": "company_notified"}}}
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, source=f"case-event:{uuid.uuid4()}", payload=payload, **fields
    )


@pytest.fixture
def other_admin(other_company):
    user = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=user, company=other_company, is_admin=True)
    return user


# --- Registering ----------------------------------------------------------------------------------


def test_registering_an_endpoint_shows_its_secret_once(client_for, company, representative):
    client = client_for(representative)

    response = register(client, company, description="ERP de reclamos")

    endpoint = WebhookEndpoint.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == endpoint_page(endpoint)
    assert (endpoint.url, endpoint.description, endpoint.events) == (
        URL,
        "ERP de reclamos",
        ["case.served", "hearing.scheduled"],
    )
    assert endpoint.active and endpoint.created_by == representative
    assert endpoint.secret.startswith("whsec_")
    shown = client.get(response["Location"])
    assert shown.context["shown"] == endpoint
    assert endpoint.secret in shown.content.decode()
    # Reloading the page does not show it again.
    again = client.get(response["Location"])
    assert again.context["shown"] is None
    assert endpoint.secret not in again.content.decode()
    assert endpoint.secret not in client.get(list_page(company)).content.decode()


def test_a_second_click_registers_no_second_endpoint(client_for, company, representative):
    client = client_for(representative)

    register(client, company, once="same-form")
    second = register(client, company, once="same-form")

    assert WebhookEndpoint.objects.filter(company=company).count() == 1
    assert second.status_code == 302
    # The page after the second click shows the secret the first click made, if not shown yet.
    endpoint = WebhookEndpoint.objects.get()
    assert client.get(second["Location"]).context["shown"] == endpoint


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "not an address", "events": ["case.served"]}, "url"),
        ({"url": "ftp://erp.electrosur.test/hooks", "events": ["case.served"]}, "url"),
        ({"url": "https://user:secret@erp.electrosur.test/hooks", "events": ["case.served"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["case.burned"]}, "events"),
        ({"url": "https://erp.electrosur.test/" + "x" * 500, "events": ["case.served"]}, "url"),
    ],
)
def test_a_form_with_a_mistake_says_where_and_registers_nothing(client_for, company, representative, data, field):
    response = client_for(representative).post(list_page(company), {**data, "once": "form-1"})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_address_on_a_private_network_is_refused_in_production(client_for, company, representative, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    for url in ("https://127.0.0.1/hooks", "https://10.0.0.8/hooks", "http://erp.electrosur.test/hooks"):
        response = client_for(representative).post(list_page(company), {"url": url, "events": ["case.served"]})
        assert response.status_code == 200, url
        assert "url" in response.context["form"].errors, url
    assert not WebhookEndpoint.objects.exists()


def test_the_same_address_twice_is_refused(client_for, company, representative):
    endpoint_of(company, representative)
    client = client_for(representative)

    response = register(client, company, once="form-2")

    assert response.status_code == 200
    assert "already has an endpoint with this URL" in str(response.context["form"].errors["url"])
    assert WebhookEndpoint.objects.count() == 1
    # Corrected, the same form goes through: the refused sending did not spend its token.
    fixed = register(client, company, url=URL + "/2", once="form-2")
    assert fixed.status_code == 302
    assert WebhookEndpoint.objects.count() == 2


def test_a_company_has_a_bounded_number_of_endpoints(client_for, company, representative):
    for number in range(MAX_ENDPOINTS_PER_COMPANY):
        endpoint_of(company, representative, url=f"{URL}/{number}")

    response = register(client_for(representative), company, url=URL + "/one-more")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS_PER_COMPANY


def test_the_form_offers_every_event_with_its_label(client_for, company, representative):
    page = html.unescape(client_for(representative).get(list_page(company)).content.decode())

    for value, label in WebhookEvent.choices:
        assert f'value="{value}"' in page
        assert str(label) in page


# --- Changing, a new secret, off and on ---------------------------------------------------------


def test_changing_an_endpoint(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    secret = endpoint.secret
    client = client_for(representative)
    assert client.get(action("company_webhook_edit", endpoint)).status_code == 200

    response = client.post(
        action("company_webhook_edit", endpoint),
        {"url": URL + "/v2", "events": ["acta.ready", "deadline.near"], "description": "Nuevo ERP"},
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        URL + "/v2",
        ["acta.ready", "deadline.near"],
        "Nuevo ERP",
    )
    assert endpoint.secret == secret


def test_changing_to_another_endpoints_address_is_refused(client_for, company, representative):
    endpoint_of(company, representative, url=URL + "/a")
    endpoint = endpoint_of(company, representative, url=URL + "/b")

    response = client_for(representative).post(
        action("company_webhook_edit", endpoint), {"url": URL + "/a", "events": ["case.served"]}
    )

    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    endpoint.refresh_from_db()
    assert endpoint.url == URL + "/b"


def test_a_new_secret_is_shown_once_and_a_second_click_changes_nothing(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    old = endpoint.secret
    client = client_for(representative)

    first = client.post(action("company_webhook_rotate", endpoint), {"once": "rotate-1"})
    endpoint.refresh_from_db()
    new = endpoint.secret
    second = client.post(action("company_webhook_rotate", endpoint), {"once": "rotate-1"})

    assert first.status_code == second.status_code == 302
    assert new != old and new.startswith("whsec_")
    endpoint.refresh_from_db()
    assert endpoint.secret == new
    shown = client.get(endpoint_page(endpoint))
    assert new in shown.content.decode()
    assert new not in client.get(endpoint_page(endpoint)).content.decode()
    # Another press of the button (a new page, a new token) rotates again.
    client.post(action("company_webhook_rotate", endpoint), {"once": "rotate-2"})
    endpoint.refresh_from_db()
    assert endpoint.secret not in (old, new)


def test_switching_off_says_why_and_since_when_and_a_second_click_is_a_message(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    client = client_for(representative)

    client.post(action("company_webhook_disable", endpoint))
    endpoint.refresh_from_db()
    second = client.post(action("company_webhook_disable", endpoint), follow=True)

    assert not endpoint.active and endpoint.disabled_at is not None
    assert representative.display_name in endpoint.disabled_reason
    assert "was already switched off" in second.content.decode()
    page = client.get(endpoint_page(endpoint)).content.decode()
    assert 'id="endpoint-off"' in page
    assert endpoint.disabled_reason in page
    assert timezone.localtime(endpoint.disabled_at).strftime("%Y") in page
    # A delivery waiting for it cannot be sent again until it is switched on.
    assert reverse("company_webhook_enable", kwargs={"company_pk": company.pk, "pk": endpoint.pk}) in page


def test_switching_off_says_what_happens_to_the_deliveries(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    client = client_for(representative)

    page = client.post(action("company_webhook_disable", endpoint), follow=True).content.decode()

    assert "The deliveries that were waiting are sent once you switch it on again" in page
    assert "events that happen while it is off are not sent to it" in page


def test_an_administrator_with_a_long_name_switches_an_endpoint_off(client_for, company, representative):
    representative.first_name, representative.last_name = "A" * 150, "B" * 150  # as long as they may be
    representative.save(update_fields=["first_name", "last_name"])
    endpoint = endpoint_of(company, representative)

    response = client_for(representative).post(action("company_webhook_disable", endpoint))

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert len(endpoint.disabled_reason) == WebhookEndpoint._meta.get_field("disabled_reason").max_length
    # Written in the office's language (Spanish), the name cut short.
    assert " AAAA" in endpoint.disabled_reason and endpoint.disabled_reason.endswith("…")


def test_switching_on_forgets_the_failures(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False,
        disabled_at=timezone.now(),
        disabled_reason="Switched off after 20 failed attempts in a row.",
        consecutive_failures=20,
    )
    client = client_for(representative)

    response = client.post(action("company_webhook_enable", endpoint), follow=True)
    again = client.post(action("company_webhook_enable", endpoint), follow=True)

    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    assert response.status_code == again.status_code == 200
    assert "was already switched on" in again.content.decode()


# --- The delivery log -----------------------------------------------------------------------------


def test_the_log_shows_each_delivery(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    failed = delivery_of(
        endpoint,
        status=DeliveryStatus.FAILED,
        attempts=8,
        last_status_code=503,
        last_error="The endpoint answered 503.",
    )
    delivered = delivery_of(endpoint, event="hearing.scheduled", status=DeliveryStatus.DELIVERED, attempts=1)
    WebhookDelivery.objects.filter(pk=delivered.pk).update(delivered_at=timezone.now(), last_status_code=204)

    response = client_for(representative).get(endpoint_page(endpoint))

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [delivered, failed]
    page = response.content.decode()
    assert str(failed.uuid) in page and str(delivered.uuid) in page
    assert "The endpoint answered 503." in page
    assert resend_url(failed) in page


def test_the_log_filters_by_status_event_and_id_or_case(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    pending = delivery_of(endpoint, number="R-2026-000007")
    failed = delivery_of(endpoint, event="acta.ready", status=DeliveryStatus.FAILED)
    delivered = delivery_of(endpoint, event="hearing.scheduled", status=DeliveryStatus.DELIVERED)
    client = client_for(representative)

    def listed(**query) -> set[int]:
        response = client.get(endpoint_page(endpoint), query)
        assert response.status_code == 200
        return {row.pk for row in response.context["page_obj"]}

    assert listed() == {pending.pk, failed.pk, delivered.pk}
    assert listed(status="failed") == {failed.pk}
    assert listed(event="hearing.scheduled") == {delivered.pk}
    assert listed(q=str(failed.uuid)) == {failed.pk}
    assert listed(q="r-2026-000007") == {pending.pk}
    assert listed(status="nonsense") == {pending.pk, failed.pk, delivered.pk}


def test_a_case_number_is_looked_for_among_the_last_thirty_days(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    recent = delivery_of(endpoint, number="R-2026-000007")
    old = delivery_of(endpoint, number="R-2026-000007", status=DeliveryStatus.DELIVERED)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    client = client_for(representative)

    def listed(**query) -> set[int]:
        return {row.pk for row in client.get(endpoint_page(endpoint), query).context["page_obj"]}

    assert listed(q="R-2026-000007") == {recent.pk}
    assert listed(q=str(old.uuid)) == {old.pk}  # by its id, whatever its age
    assert listed() == {recent.pk, old.pk}
    hint = "a case number among the deliveries of the last 30 days"
    assert hint in client.get(endpoint_page(endpoint)).content.decode()


def test_the_log_lists_only_this_endpoints_deliveries(client_for, company, representative, other_company, other_admin):
    endpoint = endpoint_of(company, representative)
    sibling = endpoint_of(company, representative, url=URL + "/2")
    theirs = endpoint_of(other_company, other_admin)
    mine = delivery_of(endpoint)
    delivery_of(sibling)
    delivery_of(theirs)

    response = client_for(representative).get(endpoint_page(endpoint))

    assert list(response.context["page_obj"]) == [mine]


def test_the_log_costs_the_same_queries_for_three_deliveries_or_forty(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    client = client_for(representative)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(endpoint_page(endpoint)).status_code == 200
        return len(captured)

    for _ in range(3):
        delivery_of(endpoint)
    few = queries()
    for _ in range(37):
        delivery_of(endpoint, status=DeliveryStatus.FAILED, attempts=8, last_error="No answer within 10 seconds.")
    many = queries()

    # Session, user, the company, the administrator check, the endpoint (its creator joined), the
    # capped count and the page of deliveries, and the header's three (representations, profile, inbox).
    assert few == many
    assert many <= 10


def test_the_endpoints_list_filters_and_costs_the_same_queries(client_for, company, representative):
    on = endpoint_of(company, representative, url=URL + "/on")
    off = endpoint_of(company, representative, url="https://tablero.electrosur.test/hook")
    webhook_endpoint_disable(endpoint=off, by=representative)
    client = client_for(representative)

    def listed(**query) -> list[int]:
        return [row.pk for row in client.get(list_page(company), query).context["page_obj"]]

    assert listed() == [on.pk, off.pk]
    assert listed(state="active") == [on.pk]
    assert listed(state="disabled") == [off.pk]
    assert listed(q="tablero") == [off.pk]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(list_page(company)).status_code == 200
        return len(captured)

    few = queries()
    for number in range(7):
        endpoint_of(company, representative, url=f"{URL}/{number}")
    assert queries() == few


# --- Sending again --------------------------------------------------------------------------------


def test_sending_again_makes_the_same_delivery_due_now(
    client_for, company, representative, django_capture_on_commit_callbacks
):
    endpoint = endpoint_of(company, representative)
    failed = delivery_of(
        endpoint,
        status=DeliveryStatus.FAILED,
        attempts=8,
        last_status_code=500,
        last_error="The endpoint answered 500.",
    )
    page = endpoint_page(endpoint) + "?status=failed"
    client = client_for(representative)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(resend_url(failed), {"next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    assert failed.next_attempt_at is not None and failed.next_attempt_at <= timezone.now()
    assert failed.attempts == 8  # the record of what happened stays
    assert WebhookDelivery.objects.filter(uuid=failed.uuid).count() == 1  # the same delivery, the same id
    assert len(queued) == 1  # handed to a worker after commit
    assert "will be sent again" in client.get(page).content.decode()


def test_a_second_click_of_send_again_sends_nothing_more(
    client_for, company, representative, django_capture_on_commit_callbacks
):
    endpoint = endpoint_of(company, representative)
    failed = delivery_of(endpoint, status=DeliveryStatus.FAILED, attempts=8)
    other = delivery_of(endpoint, status=DeliveryStatus.FAILED, attempts=8)
    client = client_for(representative)
    page = client.get(endpoint_page(endpoint)).content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page.split(f'id="delivery-{failed.pk}"')[1])
    assert once is not None  # each button carries the page's one-time token

    with django_capture_on_commit_callbacks() as first:
        client.post(resend_url(failed), {"once": once[1]})
    with django_capture_on_commit_callbacks() as second:
        again = client.post(resend_url(failed), {"once": once[1]}, follow=True)
    with django_capture_on_commit_callbacks() as another_button:
        client.post(resend_url(other), {"once": once[1]})

    assert (len(first), len(second), len(another_button)) == (1, 0, 1)
    assert "will be sent again" in again.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING


def test_sending_again_leaves_only_this_site_as_the_way_back(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)

    response = client_for(representative).post(resend_url(delivery), {"next": "https://evil.example/"})

    assert response["Location"] == endpoint_page(endpoint)


def test_a_delivery_of_an_endpoint_switched_off_is_not_sent_again(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)
    webhook_endpoint_disable(endpoint=endpoint, by=representative)

    response = client_for(representative).post(resend_url(delivery), follow=True)

    assert response.status_code == 200
    assert "switched off" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_delivery_being_sent_is_not_sent_again_meanwhile(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    lease = timezone.now() + timedelta(minutes=5)
    delivery = delivery_of(endpoint, status=DeliveryStatus.SENDING, attempts=1, next_attempt_at=lease)

    response = client_for(representative).post(resend_url(delivery), follow=True)

    assert response.status_code == 200
    assert "being sent right now" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.SENDING, lease)


# --- Who may --------------------------------------------------------------------------------------


def every_page_and_action(endpoint: WebhookEndpoint, delivery: WebhookDelivery, company) -> list[tuple[str, str]]:
    return [
        ("get", list_page(company)),
        ("post", list_page(company)),
        ("get", endpoint_page(endpoint)),
        ("get", action("company_webhook_edit", endpoint)),
        ("post", action("company_webhook_edit", endpoint)),
        ("post", action("company_webhook_rotate", endpoint)),
        ("post", action("company_webhook_disable", endpoint)),
        ("post", action("company_webhook_enable", endpoint)),
        ("post", resend_url(delivery, company)),
    ]


def fingerprint() -> list[tuple]:
    return list(WebhookEndpoint.objects.order_by("pk").values_list()) + list(
        WebhookDelivery.objects.order_by("pk").values_list()
    )


def test_another_representative_of_the_company_the_office_and_a_consumer_are_refused(
    client_for, company, representative, unvalidated_representative, officer, supervisor, consumer
):
    endpoint = endpoint_of(company, representative)
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)
    before = fingerprint()
    data = {"url": URL + "/x", "events": ["case.served"], "once": "x"}

    for person in (unvalidated_representative, officer, supervisor, consumer):
        client = client_for(person)
        for method, url in every_page_and_action(endpoint, delivery, company):
            response = client.get(url) if method == "get" else client.post(url, data)
            assert response.status_code == 403, (person, method, url)
    assert fingerprint() == before


def test_another_companys_administrator_learns_nothing(client_for, company, representative, other_company, other_admin):
    endpoint = endpoint_of(company, representative)
    delivery = delivery_of(endpoint, status=DeliveryStatus.FAILED)
    before = fingerprint()
    data = {"url": URL + "/x", "events": ["case.served"], "once": "x"}

    client = client_for(other_admin)
    for method, url in every_page_and_action(endpoint, delivery, company):
        response = client.get(url) if method == "get" else client.post(url, data)
        assert response.status_code == 404, (method, url)
    # Nor through their own company's address: the endpoint and the delivery are not theirs.
    assert client.get(endpoint_page(endpoint).replace(f"/{company.pk}/", f"/{other_company.pk}/")).status_code == 404
    assert client.post(resend_url(delivery, other_company)).status_code == 404
    assert fingerprint() == before


def test_a_visitor_is_asked_to_log_in(client, company):
    response = client.get(list_page(company))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_actions_take_only_a_post(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    delivery = delivery_of(endpoint)
    client = client_for(representative)

    for name in ("company_webhook_rotate", "company_webhook_disable", "company_webhook_enable"):
        assert client.get(action(name, endpoint)).status_code == 405
    assert client.get(resend_url(delivery)).status_code == 405


# --- Messages and inputs ----------------------------------------------------------------------------

DJANGOS_OWN = ("Select a valid choice", "Enter a valid", "Ensure this value", "This field is required")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"url": "not an address", "events": ["case.served"]}, "Enter a whole address, like https://"),
        ({"url": "", "events": ["case.served"]}, "Enter the address of your system that receives the events."),
        ({"url": URL, "events": ["case.burned"]}, "Choose events from the list."),
        ({"url": URL, "events": ["case.served"], "description": "x" * 201}, "Write at most 200 characters."),
    ],
)
def test_every_mistake_is_said_in_the_pages_own_words(client_for, company, representative, data, said):
    page = html.unescape(client_for(representative).post(list_page(company), data).content.decode())

    assert said in page
    assert not [text for text in DJANGOS_OWN if text in page]


def test_a_filter_it_cannot_read_is_said_in_the_pages_own_words(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    client = client_for(representative)

    listed = client.get(list_page(company), {"state": "gone"}).content.decode()
    log = client.get(endpoint_page(endpoint), {"status": "lost", "event": "case.burned"}).content.decode()

    for page in (listed, log):
        assert "Choose one of the options of the list." in page
        assert not [text for text in DJANGOS_OWN if text in page]


def test_the_address_mistake_is_said_in_voseo(company, representative):
    # needs es_AR catalogue
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative)

    page = client.post(list_page(company), {"url": "not an address", "events": ["case.served"]}).content.decode()

    assert "Introduzca" not in page
    assert "Ingresá la dirección completa" in page


def test_the_search_boxes_are_search_inputs_with_one_type(client_for, company, representative):
    endpoint = endpoint_of(company, representative)
    client = client_for(representative)

    for url in (list_page(company), endpoint_page(endpoint)):
        boxes = re.findall(r'<input[^>]*type="search"[^>]*>', client.get(url).content.decode())
        assert boxes, url
        assert all(box.count("type=") == 1 for box in boxes), boxes


# --- Whatever is typed ----------------------------------------------------------------------------

urls = st.one_of(
    text,
    st.sampled_from(
        [
            "https://[::1",
            "https://erp.electrosur.test:99999/h",
            "https://erp.electrosur.test:abc/h",
            "https://xn--/h",
            "https://" + "a" * 300 + ".test/h",
            "javascript:alert(1)",
            "https://erp.electrosur.test/h?x=<script>",
            "HTTPS://ERP.ELECTROSUR.TEST/H",
        ]
    ),
    text.map(lambda path: "https://erp.electrosur.test/" + path),
)


@examples
@given(
    url=urls,
    description=text,
    events=st.lists(st.one_of(st.sampled_from(WebhookEvent.values), text), max_size=4),
    once=text,
)
def test_the_endpoint_form_answers_anything_without_a_500(
    client_for, company, representative, url, description, events, once
):
    data = {"url": url, "description": description, "events": events, "once": once}

    response = client_for(representative).post(list_page(company), data)

    never_500(response)
    assert response.status_code in ((400,) if has_nul(*data.values()) else (200, 302))


@examples
@given(q=text, status=text, event=text, page=numbers)
def test_the_delivery_log_answers_any_filter_without_a_500(client_for, company, representative, q, status, event, page):
    endpoint = WebhookEndpoint.objects.filter(company=company).first() or endpoint_of(company, representative)
    query = {"q": q, "status": status, "event": event, "page": page}

    response = client_for(representative).get(endpoint_page(endpoint), query)

    never_500(response)
    assert response.status_code == (400 if has_nul(*query.values()) else 200)


# --- In Spanish -----------------------------------------------------------------------------------


def test_the_pages_speak_spanish(company, representative):
    # needs es_AR catalogue
    endpoint = endpoint_of(company, representative)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative)

    assert "Registrar el endpoint" in client.get(list_page(company)).content.decode()
    assert "Entregas" in client.get(endpoint_page(endpoint)).content.decode()
