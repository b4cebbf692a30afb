"""Pages of the privacy floor: the public notices (privacy, accessibility, contact), the person's
own data (download, correction requests) and the supervisor's access log and request list."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from parties.http import AuthenticatedRequest
from parties.models import Role, User
from parties.paginator import CappedPaginator
from privacy import selectors, services
from privacy.forms import AccessLogFilterForm, DataRequestCloseForm, DataRequestFilterForm, DataRequestForm
from privacy.models import DataRequest
from privacy.services.data_requests import DataRequestError

PAGE_SIZE = 50


def office() -> dict[str, str]:
    """The office responsible for the data base, as the notices name it (settings PRIVACY_OFFICE_*)."""
    return {
        "name": settings.PRIVACY_OFFICE_NAME,
        "address": settings.PRIVACY_OFFICE_ADDRESS,
        "email": settings.PRIVACY_OFFICE_EMAIL,
        "phone": settings.PRIVACY_OFFICE_PHONE,
    }


def _supervisor_or_404(request: AuthenticatedRequest) -> User:
    if request.user.role != Role.SUPERVISOR:
        raise Http404
    return request.user


# --- Public pages ------------------------------------------------------------------------------


@require_safe
def privacy_notice(request: HttpRequest) -> HttpResponse:
    context = {
        "office": office(),
        "access_log_days": settings.ACCESS_LOG_RETENTION_DAYS,
        "retention_years": settings.CASE_RETENTION_YEARS,
    }
    return render(request, "privacy/privacy.html", context)


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/accessibility.html", {"office": office()})


@require_safe
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/contact.html", {"office": office()})


# --- The person's own data ---------------------------------------------------------------------


@login_required
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.data_request_create(
            user=user,
            kind=form.cleaned_data["kind"],
            details=form.cleaned_data["details"],
            case_number=form.cleaned_data["case_number"],
        )
        messages.success(request, _("We received your request. The office will answer you by e-mail."))
        return redirect("my_data")
    requests = DataRequest.objects.filter(user=user).order_by("-created_at", "-pk")
    return render(request, "privacy/my_data.html", {"form": form, "requests": requests, "office": office()})


@login_required
@require_safe
def my_data_download(request: AuthenticatedRequest) -> HttpResponse:
    data = selectors.personal_data_of(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    filename = f"concilia-mis-datos-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The supervisor's pages ----------------------------------------------------------------------


@login_required
@require_safe
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    user = _supervisor_or_404(request)
    form = AccessLogFilterForm(request.GET or None)
    rows = selectors.access_log_visible_to(user)
    if form.is_valid():
        rows = selectors.access_log_filter(rows, **form.cleaned_data)
    elif form.is_bound:
        rows = rows.none()
    page_obj = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "retention_days": settings.ACCESS_LOG_RETENTION_DAYS}
    return render(request, "privacy/access_log.html", context)


@login_required
@require_safe
def data_request_list(request: AuthenticatedRequest) -> HttpResponse:
    user = _supervisor_or_404(request)
    form = DataRequestFilterForm(request.GET or None)
    rows = selectors.data_requests_visible_to(user)
    if form.is_valid() and form.cleaned_data["status"]:
        rows = rows.filter(status=form.cleaned_data["status"])
    page_obj = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/data_requests.html",
        {"form": form, "page_obj": page_obj, "close_form": DataRequestCloseForm()},
    )


@require_POST
@login_required
def data_request_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = _supervisor_or_404(request)
    data_request = selectors.data_request_for(user, pk)
    form = DataRequestCloseForm(request.POST)
    resolution = form.cleaned_data["resolution"] if form.is_valid() else ""
    try:
        services.data_request_close(data_request=data_request, by=user, resolution=resolution)
    except DataRequestError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The request was marked as done."))
    return redirect("data_request_list")
