"""The company administrator's pages for webhooks: the company's endpoints (register, change, switch
off and on, give a new secret) and each endpoint's delivery log with a "send again" button per
delivery.

Who: as for the keys (api/views/keys.py): the company's administrators; a 403 for whoever represents
no company (consumers, the office), a 404 for another company's representative, a 403 for the
company's other representatives. An endpoint or a delivery of another company is a 404, the same as
one that does not exist.

An endpoint's secret is shown once: on the page after it was registered or given a new secret. The
session keeps only which endpoint's secret to show (the secret itself stays in its row, which signs
every delivery), and the page forgets it as it shows it."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from api.errors import ManagementError
from api.forms import (
    CASE_SEARCH_DAYS,
    DeliveryFilterForm,
    OnceForm,
    WebhookEndpointChangeForm,
    WebhookEndpointFilterForm,
    WebhookEndpointForm,
    first_sending,
    forget_sending,
)
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from api.views.keys import company_to_manage
from api.webhooks.delivery import endpoint_enable, resend
from parties.http import AuthenticatedRequest
from parties.models import Company
from parties.paginator import CappedPaginator
from parties.redirects import safe_next
from parties.views import representative_required

PAGE_SIZE = 25
# The session's slot naming the endpoint whose secret the next page shows.
NEW_SECRET = "api_new_webhook_secret"


def event_labels(values: list[str]) -> list[str]:
    labels = dict(WebhookEvent.choices)
    return [str(labels.get(value, value)) for value in values]


def _endpoint_of(company: Company, pk: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.select_related("created_by"), pk=pk, company_id=company.pk)


def _secret_to_show(request: AuthenticatedRequest, company: Company) -> WebhookEndpoint | None:
    """The endpoint whose new secret this page shows, taken out of the session: shown once."""
    pending = request.session.get(NEW_SECRET)
    if not pending:
        return None
    del request.session[NEW_SECRET]
    if pending.get("company") != company.pk:
        return None
    return WebhookEndpoint.objects.filter(company_id=company.pk, pk=pending.get("endpoint")).first()


def _show_secret_next(request: AuthenticatedRequest, endpoint: WebhookEndpoint) -> None:
    request.session[NEW_SECRET] = {"company": endpoint.company_id, "endpoint": endpoint.pk}


def _add_error(form: WebhookEndpointChangeForm, error: ManagementError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


def _filtered_endpoints(company: Company, filters: WebhookEndpointFilterForm) -> QuerySet[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(company_id=company.pk)
    data = filters.cleaned_data if filters.is_bound else {}
    text = data.get("q", "").strip()
    if text:
        endpoints = endpoints.filter(Q(url__icontains=text) | Q(description__icontains=text))
    if data.get("state") == "active":
        endpoints = endpoints.filter(active=True)
    elif data.get("state") == "disabled":
        endpoints = endpoints.filter(active=False)
    return endpoints.order_by("-active", "-created_at", "-pk")


@representative_required
def company_webhooks(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The company's endpoints, and the form that registers one."""
    company = company_to_manage(request, pk)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sending = f"webhook-create:{company.pk}:{request.user.pk}"
        if not first_sending(sending, data["once"]):
            # A second click: the first registered it; this page shows its secret if not shown yet.
            return redirect("company_webhooks", pk=company.pk)
        try:
            endpoint, _secret = webhook_endpoint_create(
                company=company,
                by=request.user,
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except ManagementError as error:
            forget_sending(sending, data["once"])
            _add_error(form, error)
        else:
            _show_secret_next(request, endpoint)
            messages.success(request, _("The endpoint was registered."))
            return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)
    shown = _secret_to_show(request, company)
    filters = WebhookEndpointFilterForm(request.GET or None)
    filters.is_valid()
    page = CappedPaginator(_filtered_endpoints(company, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for endpoint in page.object_list:
        endpoint.event_labels = event_labels(endpoint.events)
    return render(
        request,
        "api/webhooks.html",
        {"company": company, "form": form, "filters": filters, "page_obj": page, "shown": shown},
    )


def _filtered_deliveries(endpoint: WebhookEndpoint, filters: DeliveryFilterForm) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint.pk)
    data = filters.cleaned_data if filters.is_bound else {}
    if data.get("q"):
        delivery_id = filters.delivery_id
        if delivery_id is not None:
            deliveries = deliveries.filter(uuid=delivery_id)
        else:
            # The payload has no index: the search reads the last days of the log, not all of it.
            since = timezone.now() - timedelta(days=CASE_SEARCH_DAYS)
            deliveries = deliveries.filter(created_at__gte=since, payload__data__case__number=data["q"].upper())
    if data.get("status") in DeliveryStatus.values:
        deliveries = deliveries.filter(status=data["status"])
    if data.get("event") in WebhookEvent.values:
        deliveries = deliveries.filter(event=data["event"])
    return deliveries.defer("payload").order_by("-created_at", "-pk")


@representative_required
@require_safe
def company_webhook(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    """One endpoint: its settings and state, and the log of its deliveries, newest first."""
    company = company_to_manage(request, company_pk)
    endpoint = _endpoint_of(company, pk)
    shown = _secret_to_show(request, company)
    filters = DeliveryFilterForm(request.GET or None)
    filters.is_valid()
    # Counted in the list's order up to the cap, on the (endpoint, -created_at) index.
    deliveries = CappedPaginator(_filtered_deliveries(endpoint, filters), PAGE_SIZE, count_in_order=True)
    page = deliveries.get_page(request.GET.get("page"))
    endpoint.event_labels = event_labels(endpoint.events)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "company": company,
        "endpoint": endpoint,
        "shown": shown,
        "filters": filters,
        "page_obj": page,
        "rotate_form": OnceForm(),
        # One token for the page's "send again" buttons: a second click of the same one sends nothing more.
        "resend_form": OnceForm(),
    }
    return render(request, "api/webhook.html", context)


@representative_required
def company_webhook_edit(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    company = company_to_manage(request, company_pk)
    endpoint = _endpoint_of(company, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook_endpoint_update(
                endpoint=endpoint,
                by=request.user,
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except ManagementError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)
    return render(request, "api/webhook_edit.html", {"company": company, "endpoint": endpoint, "form": form})


@require_POST
@representative_required
def company_webhook_rotate(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    """A new secret, shown on the endpoint's page. A second click of the same button changes nothing."""
    company = company_to_manage(request, company_pk)
    endpoint = _endpoint_of(company, pk)
    form = OnceForm(request.POST)
    once = form.cleaned_data["once"] if form.is_valid() else ""
    sending = f"webhook-rotate:{endpoint.pk}:{request.user.pk}"
    if first_sending(sending, once):
        try:
            webhook_endpoint_rotate_secret(endpoint=endpoint, by=request.user)
        except ManagementError as error:
            forget_sending(sending, once)
            messages.error(request, str(error))
        else:
            _show_secret_next(request, endpoint)
            messages.success(request, _("The endpoint has a new secret: deliveries are signed with it from now on."))
    return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)


@require_POST
@representative_required
def company_webhook_disable(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    company = company_to_manage(request, company_pk)
    endpoint = _endpoint_of(company, pk)
    if not endpoint.active:
        messages.info(request, _("This endpoint was already switched off."))
        return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)
    try:
        webhook_endpoint_disable(endpoint=endpoint, by=request.user)
    except ManagementError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "The endpoint was switched off. The deliveries that were waiting are sent once you switch it on "
                "again; events that happen while it is off are not sent to it."
            ),
        )
    return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)


@require_POST
@representative_required
def company_webhook_enable(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    company = company_to_manage(request, company_pk)
    endpoint = _endpoint_of(company, pk)
    if endpoint.active:
        messages.info(request, _("This endpoint was already switched on."))
        return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)
    try:
        endpoint_enable(endpoint=endpoint, by=request.user)
    except ManagementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The endpoint was switched on: the deliveries waiting for it go out now."))
    return redirect("company_webhook", company_pk=company.pk, pk=endpoint.pk)


@require_POST
@representative_required
def company_webhook_resend(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    """Send one delivery again (same id, so the receiver can tell it is the same event). A second click
    of the same button sends nothing more: it says the same as the first."""
    company = company_to_manage(request, company_pk)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint").defer("payload"), pk=pk, endpoint__company_id=company.pk
    )
    back = safe_next(request, reverse("company_webhook", kwargs={"company_pk": company.pk, "pk": delivery.endpoint_id}))
    form = OnceForm(request.POST)
    once = form.cleaned_data["once"] if form.is_valid() else ""
    sending = f"webhook-resend:{delivery.pk}:{request.user.pk}"
    done = _("The delivery %(id)s will be sent again in a moment.") % {"id": delivery.uuid}
    if not first_sending(sending, once):
        messages.success(request, done)
        return redirect(back)
    try:
        resend(delivery=delivery, by=request.user)
    except ManagementError as error:  # being sent right now, or its endpoint is switched off
        forget_sending(sending, once)
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(back)
