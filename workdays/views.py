"""The office calendar page: the holidays that apply (national and the jurisdiction's) and the días
inhábiles the office declares, for its supervisors and its director; anyone else gets a 403."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hearings.policy import may_reschedule_hearing
from parties.business_days import Kind, jurisdiction_name, non_working_days_between
from parties.http import AuthenticatedRequest
from parties.models import NonWorkingDay, User
from parties.paginator import CappedPaginator

from . import services
from .errors import CalendarError
from .forms import DeclareForm, YearForm
from .models import CalendarChange
from .oversight_link import moved_deadlines
from .policy import MANAGE_CALENDAR, policy
from .selectors import hearings_affected, hearings_on_declared_days

HISTORY_PAGE_SIZE = 20
# The hearings booked on declared days the page lists at once (the office moves them one by one).
BOOKED_ON_DECLARED_LIMIT = 20


def _manager(request: AuthenticatedRequest) -> User:
    refusal = policy.why_not(MANAGE_CALENDAR, request.user, None)
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    return request.user


def _day(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def _calendar_page(request: AuthenticatedRequest, form: DeclareForm) -> HttpResponse:
    # Bound only when a year was chosen: paging the history alone must not say the year is missing.
    year_form = YearForm(request.GET if "year" in request.GET else None)
    first_year = year_form.first_year()
    start, end = date(first_year, 1, 1), date(first_year + 1, 12, 31)
    holidays_by_year: dict[int, list] = {first_year: [], first_year + 1: []}
    for info in non_working_days_between(start, end):
        if info.kind != Kind.OFFICE:
            holidays_by_year[info.day.year].append(info)
    declared = list(
        NonWorkingDay.objects.filter(date__range=(start, end)).select_related("created_by").order_by("date")
    )
    counts, examples = moved_deadlines([row.date for row in declared])
    rows = [
        {"day": row, "moved_count": counts.get(row.date, 0), "moved": examples.get(row.date, [])} for row in declared
    ]
    booked = list(hearings_on_declared_days(request.user)[: BOOKED_ON_DECLARED_LIMIT + 1])
    history = CalendarChange.objects.filter(day__range=(start, end)).select_related("by").order_by("-at", "-pk")
    context = {
        "form": form,
        "year_form": year_form,
        "holidays_by_year": sorted(holidays_by_year.items()),
        "declared_rows": rows,
        "booked_on_declared": [
            {"hearing": hearing, "can_reschedule": may_reschedule_hearing(request.user, hearing)}
            for hearing in booked[:BOOKED_ON_DECLARED_LIMIT]
        ],
        "booked_on_declared_more": len(booked) > BOOKED_ON_DECLARED_LIMIT,
        "history_page": CappedPaginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page")),
        "jurisdiction": jurisdiction_name(),
        "today": timezone.localdate(),
    }
    return render(request, "workdays/calendar.html", context)


@login_required
@require_safe
def office_calendar(request: AuthenticatedRequest) -> HttpResponse:
    _manager(request)
    return _calendar_page(request, DeclareForm())


@require_POST
@login_required
def non_working_day_declare(request: AuthenticatedRequest) -> HttpResponse:
    """Two steps: the form, then a summary of what the change does, confirmed with a second POST."""
    user = _manager(request)
    form = DeclareForm(request.POST)
    if not form.is_valid():
        if form.confirmed_requested:
            return _refused_confirmation(request, user, form)
        # Back to the first step: the summary must be seen again for whatever is corrected.
        form.drop_confirmation()
        return _calendar_page(request, form)
    data = form.cleaned_data
    if not data["confirmed"]:
        context = {"form": form, "day": data["date"], "affected": hearings_affected(user, data["date"])}
        return render(request, "workdays/declare_confirm.html", context)
    try:
        services.non_working_day_declare(
            by=user, day=data["date"], reason=data["reason"], resolution=data["resolution"]
        )
    except CalendarError as error:
        if not _declared_just_now_by(user, form):  # two clicks at once: the first one's message stands
            messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(date)s is now a non-working day. Deadlines still running over it are being recomputed.")
            % {"date": _day(data["date"])},
        )
    return redirect("office_calendar")


def _refused_confirmation(request: AuthenticatedRequest, user: User, form: DeclareForm) -> HttpResponse:
    """The summary's "Declare" was refused (someone declared the day meanwhile, or a second click):
    back to the page with why, never to a form that would skip the summary next time. The second
    click of a double click declared nothing new: the first click's message says it all."""
    if not _declared_just_now_by(user, form):
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("office_calendar")


def _declared_just_now_by(user: User, form: DeclareForm) -> bool:
    """Whether the day of this (refused) confirmation is declared already by the same person with the
    same reason: the first click of a double click."""
    try:
        day = form.fields["date"].to_python(form.data.get("date"))
    except ValidationError:
        return False
    reason = (form.data.get("reason") or "").strip()
    if not isinstance(day, date):
        return False
    return NonWorkingDay.objects.filter(date=day, created_by=user, reason=reason).exists()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def non_working_day_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    if request.method == "POST":
        try:
            removed = services.non_working_day_remove(by=user, pk=pk)
        except CalendarError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(date)s is a business day again. Deadlines still running over it are being recomputed.")
                % {"date": _day(removed.date)},
            )
        return redirect("office_calendar")
    declared = get_object_or_404(NonWorkingDay.objects.select_related("created_by"), pk=pk)
    context = {"declared": declared, "in_the_past": declared.date < timezone.localdate()}
    return render(request, "workdays/remove_confirm.html", context)
