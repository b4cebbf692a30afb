"""The company administrator's API and webhook pages in a real browser, on a 360 px phone and on a
desktop: creating a key (shown once), a key that no longer works because its creator left, the log
of API calls, registering an endpoint (its secret shown once) and its delivery log, revoking a key
after the confirmation page. Each page is axe-clean
(no serious or critical finding), logs no console error, blocked asset or failed request, never
scrolls the whole page sideways, and is photographed for docs/screens/ (company-api-<page>-<width>.png).

The selectors are ids and names, not words: the pages speak Spanish here (the browser asks es-AR)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from api.models import ApiCall, ApiKey, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.services.endpoints import webhook_endpoint_create, webhook_endpoint_disable
from api.services.keys import api_key_create, api_key_revoke
from parties.models import Representation, Role
from tests.browser.a11y import assert_accessible
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
WIDTHS = {"360": (360, 780), "desktop": (1280, 900)}


@pytest.fixture
def api_world(company, representative):
    """A company with a key in use, a revoked one, one whose creator left the company, their calls,
    and two endpoints with deliveries."""
    crm, _token = api_key_create(company=company, by=representative, name="CRM", scopes=["read", "answer"])
    board, _token = api_key_create(company=company, by=representative, name="Tablero", scopes=["read"])
    api_key_revoke(key=board, by=representative)
    ana = make_user("ana@electrosur.test", Role.REPRESENTATIVE, first_name="Ana", last_name="Gil")
    Representation.objects.create(user=ana, company=company, is_admin=True)
    anas, _token = api_key_create(company=company, by=ana, name="ERP de Ana", scopes=["read"])
    Representation.objects.filter(user=ana).update(revoked_at=timezone.now())
    ApiKey.objects.filter(pk=crm.pk).update(last_used_at=timezone.now())
    calls = [
        ("GET", "/api/v1/cases?limit=50", 200, ""),
        ("GET", "/api/v1/cases/1204", 200, ""),
        ("POST", "/api/v1/cases/1204/answer", 201, "respuesta-1204"),
        ("POST", "/api/v1/cases/1204/answer", 201, "respuesta-1204"),
        ("GET", "/api/v1/cases/99999", 404, ""),
        ("POST", "/api/v1/offers/55/counter-answer", 409, "contra-55"),
    ]
    for minutes, (method, path, answer, idempotency_key) in enumerate(calls):
        row = ApiCall.objects.create(
            company=company, key=crm, method=method, path=path, status=answer, idempotency_key=idempotency_key
        )
        ApiCall.objects.filter(pk=row.pk).update(at=timezone.now() - timedelta(minutes=10 - minutes), ip="203.0.113.9")
    endpoint, _secret = webhook_endpoint_create(
        company=company,
        by=representative,
        url="https://erp.electrosur.test/hooks/concilia",
        description="ERP de reclamos",
        events=["case.served", "hearing.scheduled", "case.outcome"],
    )
    for number, (event, status, code, error) in enumerate(
        [
            ("case.served", DeliveryStatus.DELIVERED, 204, ""),
            ("hearing.scheduled", DeliveryStatus.DELIVERED, 200, ""),
            # The engine writes its reasons in the office's language (api/webhooks/delivery.py).
            ("case.outcome", DeliveryStatus.PENDING, 503, "El endpoint respondió 503."),
            ("case.served", DeliveryStatus.FAILED, None, "El endpoint no respondió a tiempo (10 s)."),
        ]
    ):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            source=f"case-event:{number}",
            payload={"data": {"case": {"number": f"R-2026-00000{number}"}}},
            status=status,
            attempts=1 if status == DeliveryStatus.DELIVERED else 3,
            last_status_code=code,
            last_error=error,
            delivered_at=timezone.now() if status == DeliveryStatus.DELIVERED else None,
            next_attempt_at=timezone.now() + timedelta(minutes=30) if status == DeliveryStatus.PENDING else None,
        )
    old, _secret = webhook_endpoint_create(
        company=company, by=representative, url="https://tablero.electrosur.test/eventos", events=["deadline.near"]
    )
    webhook_endpoint_disable(endpoint=old, by=representative)
    return {"crm": crm, "anas": anas, "endpoint": endpoint}


def photograph(page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_the_screen(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def assert_a_good_page(page, name: str) -> None:
    assert page.get_attribute("html", "lang") == "es-ar"
    assert page.locator("h1").first.is_visible()
    assert page.problems == []
    assert_fits_the_screen(page)
    assert_accessible(page, name)
    assert photograph(page, name).stat().st_size > 10_000


@pytest.mark.parametrize("width", list(WIDTHS))
def test_creating_a_key_shows_it_once(page_for, live_server, company, representative, api_world, width):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    keys = f"{live_server.url}/empresa/{company.pk}/api/"
    page.goto(keys)

    page.fill("#id_name", "Integración CRM")
    page.check("input[name=scopes][value=offer]")
    page.locator("#create-key-form button[type=submit]").click()
    page.wait_for_url(keys)

    shown = page.locator("#new-key")
    assert shown.is_visible()
    plaintext = shown.input_value()
    created = ApiKey.objects.get(name="Integración CRM")
    assert plaintext.startswith(f"ck_{created.prefix}_")
    assert created.scopes == ["read", "offer"]
    # The copy button appears with JavaScript (hidden without it).
    assert page.locator("[data-copy-target=new-key]").is_visible()
    # Ana left the company: her key is not called active.
    assert page.locator(f"#key-{api_world['anas'].pk} .status-badge.status-warning").is_visible()
    assert_a_good_page(page, f"company-api-keys-{width}")

    page.reload()
    assert page.locator("#new-key").count() == 0
    assert plaintext not in page.content()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_log_of_api_calls(page_for, live_server, company, representative, api_world, width):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(f"{live_server.url}/empresa/{company.pk}/api/registro/")

    assert page.locator("#api-calls tbody tr").count() == 6
    assert_a_good_page(page, f"company-api-log-{width}")

    if page.locator(".filters-toggle").is_visible():  # folded on a phone until asked for
        page.locator(".filters-toggle").click()
    page.select_option("#id_status", "4xx")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#api-calls tbody tr").count() == 2


@pytest.mark.parametrize("width", list(WIDTHS))
def test_registering_an_endpoint_and_reading_its_deliveries(
    page_for, live_server, company, representative, api_world, width
):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(f"{live_server.url}/empresa/{company.pk}/webhooks/")
    assert page.locator("#webhook-endpoints tbody tr").count() == 2
    assert_a_good_page(page, f"company-api-webhooks-{width}")

    page.fill("#id_url", "https://crm.electrosur.test/webhooks")
    page.check("input[name=events][value='acta.ready']")
    page.locator("#endpoint-form button[type=submit]").click()
    page.wait_for_selector("#endpoint-secret")

    registered = WebhookEndpoint.objects.get(url="https://crm.electrosur.test/webhooks")
    assert page.locator("#endpoint-secret").input_value() == registered.secret
    assert registered.events == ["acta.ready"]

    # The first endpoint's page: its deliveries, each with a button to send it again.
    page.goto(f"{live_server.url}/empresa/{company.pk}/webhooks/{api_world['endpoint'].pk}/")
    assert page.locator("#webhook-deliveries tbody tr").count() == 4
    assert page.locator("#secret-panel").count() == 0
    assert_a_good_page(page, f"company-api-webhook-{width}")


def test_revoking_a_key_after_the_confirmation_page(page_for, live_server, company, representative, api_world):
    page = page_for(representative)
    page.goto(f"{live_server.url}/empresa/{company.pk}/api/")

    page.locator(f"#key-{api_world['crm'].pk} a.btn-outline-danger").click()
    page.wait_for_selector("#revoke-form")
    assert_accessible(page, "company-api-key-revoke")
    page.locator("#revoke-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/empresa/{company.pk}/api/")

    assert ApiKey.objects.get(pk=api_world["crm"].pk).revoked_at is not None
    assert page.locator(".alert-success").is_visible()
    assert page.problems == []


def test_a_delivery_is_sent_again_and_a_secret_renewed_after_confirming(
    page_for, live_server, company, representative, api_world
):
    endpoint = api_world["endpoint"]
    page = page_for(representative)
    page.goto(f"{live_server.url}/empresa/{company.pk}/webhooks/{endpoint.pk}/?status=failed")
    failed = WebhookDelivery.objects.get(endpoint=endpoint, status=DeliveryStatus.FAILED)

    page.locator(f"#delivery-{failed.pk} button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "status=failed" in page.url
    # Tried again at once (tasks run eagerly in tests): a fourth attempt, whatever the unreachable host said.
    failed.refresh_from_db()
    assert (failed.uuid, failed.attempts) == (WebhookDelivery.objects.get(pk=failed.pk).uuid, 4)

    old_secret = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"form[action$='/webhooks/{endpoint.pk}/secreto/'] button[type=submit]").click()
    page.wait_for_selector("#endpoint-secret")
    renewed = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    assert renewed != old_secret
    assert page.locator("#endpoint-secret").input_value() == renewed
