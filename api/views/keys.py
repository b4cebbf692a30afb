"""The company administrator's pages for the company API: its keys (create, revoke) and the audit
log of every call made with them.

Who: the company's administrators (api/policy.py MANAGE_COMPANY_API). The pages are closed to
everyone who represents no company (consumers, the office's staff: 403, whatever the company, as the
company's own indicators are); the company is then loaded through `parties.selectors.company_for`,
so for another company's representative it does not exist (404); its other representatives are
refused (403). A key acts for the person who created it, so only the company's own administrators
hold them.

A new key's plaintext exists in three places only: the service's return value, the session between
the form and the page after it, and that page. The page takes it out of the session as it shows it,
so a reload, the back button or another tab never shows it again."""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api import policy
from api.errors import ManagementError
from api.forms import ApiCallFilterForm, ApiKeyFilterForm, ApiKeyForm, first_sending, forget_sending
from api.models import ApiCall, ApiKey, Scope
from api.services.keys import api_key_create, api_key_revoke
from parties.http import AuthenticatedRequest
from parties.models import Company
from parties.paginator import CappedPaginator
from parties.selectors import company_for
from parties.views import representative_required

PAGE_SIZE = 25
# The session's slot for a key just created, until the page after the form shows it.
NEW_KEY = "api_new_key"
STATUS_RANGES = {"2xx": (200, 300), "4xx": (400, 500), "5xx": (500, 600)}


def company_to_manage(request: AuthenticatedRequest, pk: int) -> Company:
    """The company whose API this person (a representative) manages: a 404 when they do not see it,
    a 403 when they see it but are not one of its administrators."""
    company = company_for(request.user, pk)
    if not policy.allowed(policy.MANAGE_COMPANY_API, request.user, company):
        raise PermissionDenied
    return company


def scope_labels(values: list[str]) -> list[str]:
    labels = dict(Scope.choices)
    return [str(labels.get(value, value)) for value in values]


def _new_key_to_show(request: AuthenticatedRequest, company: Company) -> dict[str, Any] | None:
    """The key just created for this company, taken out of the session: shown on this page only."""
    pending = request.session.get(NEW_KEY)
    if not pending:
        return None
    del request.session[NEW_KEY]
    if pending.get("company") != company.pk:
        return None  # another company's tab: never shown there, and not kept either
    return pending


def _filtered_keys(company: Company, filters: ApiKeyFilterForm) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(company_id=company.pk)
    data = filters.cleaned_data if filters.is_bound else {}
    text = data.get("q", "").strip()
    if text:
        keys = keys.filter(Q(name__icontains=text) | Q(prefix__startswith=text.lower().removeprefix("ck_")))
    if data.get("state") == "active":
        keys = keys.filter(revoked_at__isnull=True)
    elif data.get("state") == "revoked":
        keys = keys.filter(revoked_at__isnull=False)
    # Active keys first (newest first), then the revoked ones, the last revoked first.
    return keys.select_related("created_by", "revoked_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


@representative_required
def company_api_keys(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The company's keys, and the form that creates one."""
    company = company_to_manage(request, pk)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sending = f"api-key-create:{company.pk}:{request.user.pk}"
        if not first_sending(sending, data["once"]):
            # A second click of the same form: the first created the key; the page shows it if it has
            # not been shown yet.
            if NEW_KEY not in request.session:
                messages.info(
                    request,
                    _(
                        "This key was already created and shown once. "
                        "If you did not copy it, revoke it and create another."
                    ),
                )
            return redirect("company_api_keys", pk=company.pk)
        try:
            key, plaintext = api_key_create(company=company, by=request.user, name=data["name"], scopes=data["scopes"])
        except ManagementError as error:
            forget_sending(sending, data["once"])
            form.add_error(None, str(error))
        else:
            request.session[NEW_KEY] = {"company": company.pk, "key": key.pk, "name": key.name, "plaintext": plaintext}
            return redirect("company_api_keys", pk=company.pk)
    new_key = _new_key_to_show(request, company)
    filters = ApiKeyFilterForm(request.GET or None)
    filters.is_valid()
    page = CappedPaginator(_filtered_keys(company, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for key in page.object_list:
        key.scope_labels = scope_labels(key.scopes)
    return render(
        request,
        "api/keys.html",
        {
            "company": company,
            "form": form,
            "filters": filters,
            "page_obj": page,
            "new_key": new_key,
            "scopes": Scope.choices,
        },
    )


@representative_required
def company_api_key_revoke(request: AuthenticatedRequest, company_pk: int, pk: int) -> HttpResponse:
    """Asks first (GET), then revokes (POST). Revoking a key already revoked says so and changes nothing."""
    company = company_to_manage(request, company_pk)
    key = get_object_or_404(ApiKey.objects.select_related("created_by", "revoked_by"), pk=pk, company_id=company.pk)
    if request.method == "POST":
        if key.revoked_at is not None:
            messages.info(
                request,
                _("The key “%(name)s” was already revoked on %(date)s.")
                % {"name": key.name, "date": date_format(timezone.localtime(key.revoked_at), "SHORT_DATETIME_FORMAT")},
            )
            return redirect("company_api_keys", pk=company.pk)
        try:
            api_key_revoke(key=key, by=request.user)
        except ManagementError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The key “%(name)s” was revoked: calls made with it are refused from now on.") % {"name": key.name},
            )
        return redirect("company_api_keys", pk=company.pk)
    key.scope_labels = scope_labels(key.scopes)  # type: ignore[attr-defined]
    return render(request, "api/key_revoke.html", {"company": company, "key": key})


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered_calls(company: Company, filters: ApiCallFilterForm) -> QuerySet[ApiCall]:
    calls = ApiCall.objects.filter(company_id=company.pk)
    data = filters.cleaned_data if filters.is_bound else {}
    if data.get("key"):
        calls = calls.filter(key_id=data["key"].pk)
    if data.get("status") in STATUS_RANGES:
        low, high = STATUS_RANGES[data["status"]]
        calls = calls.filter(status__gte=low, status__lt=high)
    if data.get("date_from"):
        calls = calls.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        calls = calls.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    if data.get("path", "").strip():
        calls = calls.filter(path__icontains=data["path"].strip())
    return calls.select_related("key").order_by("-at", "-pk")


@representative_required
@require_safe
def company_api_log(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every call made with the company's keys, newest first."""
    company = company_to_manage(request, pk)
    keys = ApiKey.objects.filter(company_id=company.pk).order_by("name", "pk")
    filters = ApiCallFilterForm(request.GET or None, keys=keys)
    filters.is_valid()
    # Counted in the list's order up to the cap: the (company, -at) index is walked, not the table.
    calls = CappedPaginator(_filtered_calls(company, filters), PAGE_SIZE, count_in_order=True)
    page = calls.get_page(request.GET.get("page"))
    return render(request, "api/log.html", {"company": company, "filters": filters, "page_obj": page})
