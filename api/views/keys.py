"""The company administrator's pages for the company API: its keys (create, revoke) and the audit
log of every call made with them.

Who: the company's administrators (api/policy.py MANAGE_COMPANY_API). The pages are closed to
everyone who represents no company (consumers, the office's staff: 403, whatever the company, as the
company's own indicators are); the company is then loaded through `parties.selectors.company_for`,
so for another company's representative it does not exist (404); its other representatives are
refused (403). A key acts for the person who created it, so only the company's own administrators
hold them.

A new key's plaintext exists in three places only: the service's return value, the cache for the
moment between the form and the page after it (NEW_KEY_SECONDS at most; never the database: the
session keeps only which cache slot to read), and that page. The page takes it out of the cache as it
shows it, so a reload, the back button or another tab never shows it again. A second click of the
same form (the browser follows the second answer, not the first) waits for the first click's key
and shows it, once.

Whether a key still works is the API's own rule (api/key_state.py): the list says "no longer works"
of a key whose creator left the company, and why."""

import hashlib
import logging
import secrets
import time
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from django.contrib import messages
from django.core.cache import cache
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
from api.forms import ONCE_SECONDS, ApiCallFilterForm, ApiKeyFilterForm, ApiKeyForm, first_sending, forget_sending
from api.key_state import why_key_stopped, with_key_state
from api.models import ApiCall, ApiKey, Scope
from api.retention import api_call_log_days
from api.services.keys import api_key_create, api_key_revoke
from parties.http import AuthenticatedRequest
from parties.models import Company
from parties.paginator import CappedPaginator
from parties.selectors import company_for
from parties.views import representative_required

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
# The session's pointer to the cache slot of a key just created, until the page after the form shows it.
NEW_KEY = "api_new_key"
# How long a new key's plaintext waits in the cache for the page that shows it.
NEW_KEY_SECONDS = 120
# How long a second click of the create form waits for the first click's key, and how often it looks.
SECOND_CLICK_WAIT_SECONDS = 5.0
SECOND_CLICK_STEP_SECONDS = 0.1
# What the slot holds once its key was shown (as long as the form's token is remembered).
SHOWN = "shown"
# Without dates, the call log shows this many days (a short walk of the (company, -at) index).
LOG_DEFAULT_DAYS = 30
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


def _slot(company: Company, request: AuthenticatedRequest, once: str) -> str:
    """The cache slot of the key a create form makes: the same for a second click of the same form
    (its token), this company and this person only."""
    token = once or secrets.token_urlsafe(16)  # a form without a token: a slot of its own
    return "api-new-key:" + hashlib.sha256(f"{company.pk}:{request.user.pk}:{token}".encode()).hexdigest()


def _keep_new_key(slot: str, key: ApiKey, plaintext: str) -> bool:
    """The key waits in the cache for the page after the form; False if the cache did not answer."""
    try:
        cache.set(slot, {"key": key.pk, "name": key.name, "plaintext": plaintext}, NEW_KEY_SECONDS)
    except Exception:
        logger.warning("A new API key could not wait in the cache: shown on the form's answer", exc_info=True)
        return False
    return True


def _key_of_first_click(slot: str) -> dict[str, Any] | str | None:
    """What the first click of a form made, waiting a moment for it if it is still at work: the key
    (not shown yet), SHOWN, or None (still at work, or gone: NEW_KEY_SECONDS passed)."""
    deadline = time.monotonic() + SECOND_CLICK_WAIT_SECONDS
    while True:
        try:
            made = cache.get(slot)
        except Exception:
            logger.warning("The first click's API key could not be read: the cache did not answer", exc_info=True)
            return None
        if made is not None or time.monotonic() >= deadline:
            return made
        time.sleep(SECOND_CLICK_STEP_SECONDS)


def _new_key_to_show(request: AuthenticatedRequest, company: Company) -> dict[str, Any] | None:
    """The key just created for this company, taken out of the cache: shown on this page only."""
    pending = request.session.pop(NEW_KEY, None)
    if not isinstance(pending, dict) or pending.get("company") != company.pk:
        return None  # another company's tab: never shown there, and not kept either
    slot = str(pending.get("slot", ""))
    try:
        made = cache.get(slot)
        # Of two pages reading the slot at once, the one that deletes it shows the key.
        if not isinstance(made, dict) or not cache.delete(slot):
            return None
        cache.set(slot, SHOWN, ONCE_SECONDS)  # a later second click of the form says it was shown
    except Exception:
        logger.warning("A new API key could not be read: the cache did not answer", exc_info=True)
        return None
    return made


def _filtered_keys(company: Company, filters: ApiKeyFilterForm) -> QuerySet[ApiKey]:
    keys = with_key_state(ApiKey.objects.filter(company_id=company.pk))
    data = filters.cleaned_data if filters.is_bound else {}
    text = data.get("q", "").strip()
    if text:
        keys = keys.filter(Q(name__icontains=text) | Q(prefix__startswith=text.lower().removeprefix("ck_")))
    if data.get("state") == "active":
        keys = keys.filter(works=True)  # type: ignore[misc]  # annotated by with_key_state
    elif data.get("state") == "stopped":
        keys = keys.filter(works=False, revoked_at__isnull=True)  # type: ignore[misc]  # annotated by with_key_state
    elif data.get("state") == "revoked":
        keys = keys.filter(revoked_at__isnull=False)
    # Keys not revoked first (newest first), then the revoked ones, the last revoked first.
    return keys.select_related("created_by", "revoked_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


@representative_required
def company_api_keys(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The company's keys, and the form that creates one."""
    company = company_to_manage(request, pk)
    form = ApiKeyForm(request.POST or None)
    new_key: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sending = f"api-key-create:{company.pk}:{request.user.pk}"
        slot = _slot(company, request, data["once"])
        if not first_sending(sending, data["once"]):
            # A second click of the same form (or a reload of its answer): the first click made the
            # key. The browser shows this answer, not the first one: show the key here, once.
            made = _key_of_first_click(slot)
            if isinstance(made, dict):
                request.session[NEW_KEY] = {"company": company.pk, "slot": slot}
            elif made == SHOWN:
                messages.info(
                    request,
                    _(
                        "This key was already created and shown once. "
                        "If you did not copy it, revoke it and create another."
                    ),
                )
            else:
                messages.info(
                    request,
                    _(
                        "This form was already sent, and its key can no longer be shown. "
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
            if _keep_new_key(slot, key, plaintext):
                request.session[NEW_KEY] = {"company": company.pk, "slot": slot}
                return redirect("company_api_keys", pk=company.pk)
            # No cache: shown on this answer itself (never stored; every signed-in page is no-store).
            new_key = {"key": key.pk, "name": key.name, "plaintext": plaintext}
            form = ApiKeyForm()
    if new_key is None and request.method != "POST":
        new_key = _new_key_to_show(request, company)
    filters = ApiKeyFilterForm(request.GET or None)
    filters.is_valid()
    page = CappedPaginator(_filtered_keys(company, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for key in page.object_list:
        key.scope_labels = scope_labels(key.scopes)
        key.stopped_because = why_key_stopped(key)
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
    key = get_object_or_404(
        with_key_state(ApiKey.objects.select_related("created_by", "revoked_by")), pk=pk, company_id=company.pk
    )
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
    key.stopped_because = why_key_stopped(key)  # type: ignore[attr-defined]
    return render(request, "api/key_revoke.html", {"company": company, "key": key})


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, day_time.min))


def log_default_since(filters: ApiCallFilterForm) -> date | None:
    """The first day the log shows when no date is asked for (None when one is): the last days only,
    so a search through "path contains" or a rare status never reads the company's whole history."""
    data = filters.cleaned_data if filters.is_bound else {}
    if data.get("date_from") or data.get("date_to"):
        return None
    return timezone.localdate() - timedelta(days=LOG_DEFAULT_DAYS)


def _filtered_calls(company: Company, filters: ApiCallFilterForm) -> QuerySet[ApiCall]:
    calls = ApiCall.objects.filter(company_id=company.pk)
    data = filters.cleaned_data if filters.is_bound else {}
    since = log_default_since(filters)
    if since is not None:
        calls = calls.filter(at__gte=_day_start(since))
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
    context = {
        "company": company,
        "filters": filters,
        "page_obj": page,
        "default_since": log_default_since(filters),
        "default_days": LOG_DEFAULT_DAYS,
        "kept_days": api_call_log_days(),
    }
    return render(request, "api/log.html", context)
