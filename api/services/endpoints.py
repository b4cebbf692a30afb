"""Writes on a company's webhook endpoints, by its administrator: register one, change it, switch it
off, give it a new secret. (Switching it back on is the webhook engine's `endpoint_enable`, which
also forgets its failures; a delivery's resend is `resend`: api/webhooks/delivery.py.)

Each function is keyword-only and atomic; it locks the row it changes (registering locks the
company, so two registrations at once cannot both pass the checks) and asks the one predicate — may
this person manage the company's API (api/policy.py) — under the lock. A refusal is a
`ManagementError` (the policy's) or an `EndpointError` (which names the form field it is about),
with a message the administrator reads. The secret signs every delivery (api/webhooks/signing.py);
it is returned so the page can show it once."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from api import policy
from api.errors import ManagementError
from api.models import WebhookEndpoint, WebhookEvent
from api.webhooks.delivery import check_url, park_pending
from api.webhooks.signing import new_secret
from parties.models import Company, User

# Each event of a case is written once per subscribed endpoint, in the move's transaction: a handful
# of endpoints per company is plenty (one per system that listens), and keeps a move's cost bounded.
MAX_ENDPOINTS_PER_COMPANY = 10
REASON_MAX = WebhookEndpoint._meta.get_field("disabled_reason").max_length or 200


class EndpointError(ManagementError):
    """A refused change to an endpoint; `field` names the form field it is about, if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    unknown = chosen - set(WebhookEvent.values)
    if unknown:
        raise EndpointError(_("Choose events from the list."), field="events")
    if not chosen:
        raise EndpointError(_("Choose at least one event to send."), field="events")
    return [value for value in WebhookEvent.values if value in chosen]


def _clean_url(url: str) -> str:
    url = url.strip()
    refusal = check_url(url)
    if refusal:
        raise EndpointError(refusal, field="url")
    return url


def _url_taken(company: Company, url: str, *, other_than: int | None = None) -> bool:
    endpoints = WebhookEndpoint.objects.filter(company_id=company.pk, url=url)
    if other_than is not None:
        endpoints = endpoints.exclude(pk=other_than)
    return endpoints.exists()


def webhook_endpoint_create(
    *, company: Company, by: User, url: str, events: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (to show once)."""
    events = _clean_events(events)
    url = _clean_url(url)
    with transaction.atomic():
        # FOR NO KEY UPDATE: serializes the company's registrations without blocking the rows that
        # merely point at the company (its cases being filed meanwhile).
        company = Company.objects.select_for_update(no_key=True).get(pk=company.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, company)
        if _url_taken(company, url):
            raise EndpointError(_("Your company already has an endpoint with this URL."), field="url")
        if WebhookEndpoint.objects.filter(company_id=company.pk).count() >= MAX_ENDPOINTS_PER_COMPANY:
            raise EndpointError(
                _("Your company has %(count)s endpoints, the most it may have. Change or reuse one of them.")
                % {"count": MAX_ENDPOINTS_PER_COMPANY}
            )
        secret = new_secret()
        endpoint = WebhookEndpoint.objects.create(
            company=company,
            url=url,
            description=description.strip(),
            events=events,
            secret=secret,
            created_by=by,
        )
    return endpoint, secret


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, by: User, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    """Change where an endpoint is, what it is called and which events it receives. Deliveries
    already written keep the address they will be sent to: the endpoint's, whatever it is then."""
    events = _clean_events(events)
    url = _clean_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("company").get(pk=endpoint.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, endpoint.company)
        if _url_taken(endpoint.company, url, other_than=endpoint.pk):
            raise EndpointError(_("Your company already has an endpoint with this URL."), field="url")
        endpoint.url = url
        endpoint.events = events
        endpoint.description = description.strip()
        endpoint.save(update_fields=["url", "events", "description"])
    return endpoint


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """Switch an endpoint off: no new deliveries are written for it, and those pending wait until it is
    switched on again. Switching off one already off changes nothing (a second click)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("company").get(pk=endpoint.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, endpoint.company)
        if not endpoint.active:
            return endpoint
        endpoint.active = False
        endpoint.disabled_at = timezone.now()
        # Kept on the row, in the office's language, as the webhook engine writes its own reasons.
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Switched off by %(name)s.") % {"name": by.display_name}
        # A long name (up to 150 + 150 characters) must not make switching off fail.
        endpoint.disabled_reason = Truncator(reason).chars(REASON_MAX)
        endpoint.save(update_fields=["active", "disabled_at", "disabled_reason"])
        park_pending(endpoint.pk)  # under the endpoint's lock: the sweeper leaves them alone until enabled
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: User) -> tuple[WebhookEndpoint, str]:
    """A new secret for an endpoint (the old one leaked, or is due for a change); every delivery signed
    from now on, retries included, is signed with it. Returns the endpoint and the secret (to show once)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("company").get(pk=endpoint.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, endpoint.company)
        secret = new_secret()
        endpoint.secret = secret
        endpoint.save(update_fields=["secret"])
    return endpoint, secret
