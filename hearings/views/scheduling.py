"""Scheduling pages: schedule a case's hearing (proposed slots or another), move it, cancel it, the
.ics download, the conciliators' week and the office's list of hearings.

Thin views: the role check, the case or hearing loaded through its scoping function (a 404 for
anyone outside it), the service called, a refused move turned into a message."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services import CaseError
from complaints.states import State
from parties.business_days import why_not_business_day
from parties.http import AuthenticatedRequest
from parties.models import ConciliatorDayOff, Role, User
from parties.paginator import LIST_CAP, CappedPaginator
from parties.views import role_required

from .. import ics, policy
from ..errors import HearingError
from ..forms.scheduling import (
    CalendarFilterForm,
    CancelForm,
    HearingFilterForm,
    RescheduleForm,
    ScheduleForm,
    day_in_list,
    standing,
)
from ..models import Hearing
from ..scheduling import earliest_start, hearing_setting, notice_applies, propose_slots, rehearing_due
from ..selectors import hearings_visible_to
from ..services import scheduling as services

PAGE_SIZE = 25
AWAITING_SHOWN = 5
WORKING_DAYS = 5  # the calendar shows Monday to Friday

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)
calendar_roles = role_required(Role.CONCILIATOR, Role.OFFICER, Role.SUPERVISOR)


def _hearing_for(user: User, pk: int) -> Hearing:
    hearing = hearings_visible_to(user).filter(pk=pk).first()
    if hearing is None:
        raise Http404
    return hearing


def _refuse(request: AuthenticatedRequest, action: str, hearing: Hearing) -> HttpResponse | None:
    """None when the rule allows it; else 403 (not for this person) or the refusal on the case page."""
    refusal = policy.why_not(action, request.user, hearing)
    if refusal is None:
        return None
    if refusal.forbidden:
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)
    return redirect("complaint_detail", pk=hearing.complaint_id)


def _to_case(request: HttpRequest, case_pk: int, error: Exception) -> HttpResponse:
    messages.error(request, str(error))
    return redirect("complaint_detail", pk=case_pk)


# --- Schedule, move, cancel ----------------------------------------------------------------------


@office_required
def hearing_schedule(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    case = complaint_for(officer, pk)
    refusal = policy.why_not(policy.SCHEDULE_HEARING, officer, case)
    if refusal is not None:
        if refusal.forbidden:
            raise PermissionDenied(refusal.message)
        # Also what a second submission of the same form meets: the first one already booked it.
        level = messages.INFO if case.status == State.HEARING_SCHEDULED else messages.ERROR
        messages.add_message(request, level, refusal.message)
        return redirect("complaint_detail", pk=case.pk)
    previous = case.hearings.exclude(status=Hearing.Status.CANCELLED).select_related("conciliator").last()
    adjourned = previous if case.status == State.ADJOURNED and previous is not None else None
    # A cuarto intermedio continues with whoever held the hearing (the office may still pick another).
    slots = propose_slots(case, conciliator=adjourned.conciliator if adjourned else None)
    form = ScheduleForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        try:
            hearing = services.hearing_schedule(
                complaint=case,
                by=officer,
                starts_at=form.cleaned_data["starts_at"],
                conciliator=form.cleaned_data["conciliator"],
                continues=adjourned,
            )
        except HearingError as error:  # that slot cannot be used: say why, keep what was chosen
            form.add_error(None, str(error))
        except CaseError as error:  # the case moved meanwhile (or this account may not)
            return _to_case(request, case.pk, error)
        else:
            messages.success(
                request,
                _("Hearing of %(number)s scheduled for %(when)s with %(conciliator)s. The parties were notified.")
                % {
                    "number": case,
                    "when": _local_text(hearing.starts_at),
                    "conciliator": hearing.conciliator.display_name,
                },
            )
            return redirect("complaint_detail", pk=case.pk)
    return render(
        request,
        "hearings/scheduling/schedule.html",
        {
            "case": case,
            "form": form,
            "slots": slots,
            "previous": previous,
            "earliest": earliest_start(case),
            "notice": notice_applies(case),
            "rehearing_due": rehearing_due(case),
            "notice_days": settings.DEADLINES["HEARING_NOTICE"],
        },
    )


def _local_text(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@office_required
def hearing_reschedule(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    hearing = _hearing_for(officer, pk)
    refused = _refuse(request, policy.RESCHEDULE_HEARING, hearing)
    if refused is not None:
        return refused
    remaining = max(hearing_setting("MAX_RESCHEDULES") - hearing.reschedule_count, 0)
    form = RescheduleForm(request.POST or None, hearing=hearing)
    if request.method == "POST" and form.is_valid():
        try:
            services.hearing_reschedule(
                hearing=hearing,
                by=officer,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                conciliator=form.cleaned_data["conciliator"],
            )
        except HearingError as error:
            form.add_error(None, str(error))
        except CaseError as error:
            return _to_case(request, hearing.complaint_id, error)
        else:
            messages.success(request, _("The hearing was moved. The parties were sent the new date."))
            return redirect("complaint_detail", pk=hearing.complaint_id)
    return render(
        request,
        "hearings/scheduling/reschedule.html",
        {"hearing": hearing, "case": hearing.complaint, "form": form, "remaining": remaining},
    )


@office_required
def hearing_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    hearing = _hearing_for(officer, pk)
    refused = _refuse(request, policy.CANCEL_HEARING, hearing)
    if refused is not None:
        return refused
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hearing_cancel(hearing=hearing, by=officer, reason=form.cleaned_data["reason"])
        except CaseError as error:
            return _to_case(request, hearing.complaint_id, error)
        messages.success(request, _("The hearing was cancelled. The parties were notified."))
        return redirect("complaint_detail", pk=hearing.complaint_id)
    return render(
        request, "hearings/scheduling/cancel.html", {"hearing": hearing, "case": hearing.complaint, "form": form}
    )


@login_required
@require_safe
def hearing_ics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The invitation as it stands, for a party or the office to add to their calendar by hand."""
    user = request.user
    hearing = _hearing_for(user, pk)
    if not policy.is_party_or_office(user, hearing):
        raise Http404
    content = ics.hearing_ics(hearing, cancelled=hearing.status == Hearing.Status.CANCELLED)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    name = hearing.complaint.number or f"audiencia-{hearing.pk}"
    response["Content-Disposition"] = f'attachment; filename="audiencia-{name}.ics"'
    return response


# --- The week ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HearingLinks:
    """What the week and the list offer for one hearing (_hearing_actions.html): each link asked of
    the rule the page it leads to asks, so nothing is offered that the page would refuse."""

    can_reschedule: bool
    can_cancel: bool
    can_enter_room: bool


def links_for(user: User, hearing: Hearing) -> HearingLinks:
    """The rules read the viewer, the hearing (status, times moved, conciliator) and its case (status,
    consumer): all loaded with the row, so the links cost no query per hearing. (Whether the viewer
    represents the company is asked only of representatives, who reach neither page.)"""
    return HearingLinks(
        can_reschedule=policy.may_reschedule_hearing(user, hearing),
        can_cancel=policy.may_cancel_hearing(user, hearing),
        can_enter_room=policy.may_enter_room(user, hearing),
    )


@dataclass
class CalendarDay:
    day: date
    is_today: bool
    holiday: str | None  # why the day is not a business day (a holiday, a día inhábil), or None
    hearings: list[tuple[Hearing, HearingLinks]] = field(default_factory=list)
    off: list[str] = field(default_factory=list)  # who is off that day
    total: int = 0  # the day's hearings, of which `hearings` may hold only the first DAY_SHOWN

    @property
    def more(self) -> int:
        """The day's hearings not shown (every conciliator's week): the list shows them."""
        return self.total - len(self.hearings)

    @property
    def in_list(self) -> str:
        """The office's list of the day: the same `total` hearings, in the same order."""
        return f"{reverse('hearing_list')}?{day_in_list(self.day)}"


# What the week shows of a hearing (calendar.html and _hearing_actions.html), and what the rules
# behind its links read (links_for): the times it was moved, the case's status and consumer.
CALENDAR_COLUMNS = (
    "status",
    "starts_at",
    "ends_at",
    "reschedule_count",
    "complaint__status",
    "complaint__consumer",
    "complaint__number",
    "complaint__company_name",
    "complaint__company__legal_name",
    "conciliator__first_name",
    "conciliator__last_name",
    "conciliator__email",
)


# Every conciliator's week holds hundreds of hearings at a national office (534 in the bench's week,
# half a megabyte of page that took 275 ms to render and that nobody reads to the end): each day
# shows its first DAY_SHOWN and says how many it has; the office's list, filtered to that day, shows
# them all. One conciliator's week is bounded by their working hours and is shown whole.
DAY_SHOWN = 10


def _first_of_each_day(hearings: QuerySet[Hearing]) -> tuple[QuerySet[Hearing], dict[date, int]]:
    """The first DAY_SHOWN hearings of each day, and how many each day has: two queries whose size
    no longer grows with the office. The hearings are ranked on their own table (the index on their
    time), and only those shown are joined to their case, company and conciliator."""
    day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    ranked = hearings.annotate(
        day_position=Window(RowNumber(), partition_by=[day], order_by=[F("starts_at").asc(), F("pk").asc()])
    ).filter(day_position__lte=DAY_SHOWN)
    totals = hearings.order_by().values_list(day).annotate(n=Count("pk"))
    return hearings.filter(pk__in=ranked.values("pk")), dict(totals)


def working_week_of(day: date) -> date:
    """The Monday of the working week `day` falls in; on a weekend, the coming one."""
    if day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    return day - timedelta(days=day.weekday())


@calendar_roles
@require_safe
def hearing_calendar(request: AuthenticatedRequest) -> HttpResponse:
    """A conciliator's own week; the office's week of every conciliator, or of one."""
    user = request.user
    form = CalendarFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    today = timezone.localdate()
    monday = working_week_of(data.get("week") or today)
    start = datetime.combine(monday, time.min, tzinfo=timezone.get_default_timezone())
    end = start + timedelta(days=WORKING_DAYS)

    office = user.role in (Role.OFFICER, Role.SUPERVISOR)
    chosen: User | None = data.get("conciliator") if office else user
    # One query for the week's hearings (every conciliator's: two, the day's first ones and the days'
    # totals), one for the days off; nothing per hearing. Only the columns the page shows.
    hearings = (
        standing(hearings_visible_to(user))
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("complaint__company")
        .only(*CALENDAR_COLUMNS)
        .order_by("starts_at", "pk")
    )
    days_off = ConciliatorDayOff.objects.filter(date__gte=monday, date__lt=monday + timedelta(days=WORKING_DAYS))
    totals: dict[date, int] | None = None  # None: the week's hearings are all shown
    if chosen is not None:
        hearings = hearings.filter(conciliator=chosen)
        days_off = days_off.filter(conciliator__user=chosen)
    else:
        hearings, totals = _first_of_each_day(hearings)
    days = [
        CalendarDay(day=d, is_today=d == today, holiday=why_not_business_day(d))
        for d in (monday + timedelta(days=i) for i in range(WORKING_DAYS))
    ]
    by_day = {d.day: d for d in days}
    for hearing in hearings:
        by_day[timezone.localtime(hearing.starts_at).date()].hearings.append((hearing, links_for(user, hearing)))
    for each in days:
        each.total = len(each.hearings) if totals is None else totals.get(each.day, 0)
    for day_off in days_off.select_related("conciliator__user"):
        by_day[day_off.date].off.append(day_off.conciliator.user.display_name)

    return render(
        request,
        "hearings/scheduling/calendar.html",
        {
            "form": form,
            "office": office,
            "chosen": chosen,
            "days": days,
            "monday": monday,
            "friday": monday + timedelta(days=WORKING_DAYS - 1),
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "this_week": today - timedelta(days=today.weekday()),
            "count": sum(d.total for d in days),
        },
    )


# --- The office's list -----------------------------------------------------------------------------


@office_required
@require_safe
def hearing_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    form = HearingFilterForm(request.GET or None)
    hearings = form.filter(hearings_visible_to(user).select_related("complaint__company"), now=now)
    # Counted up to the cap (parties.paginator): the past holds every hearing ever held, tens of
    # thousands a year, and nobody pages through more than a thousand.
    page = CappedPaginator(hearings, PAGE_SIZE, cap=LIST_CAP, count_in_order=True).get_page(request.GET.get("page"))
    rows = [(hearing, links_for(user, hearing)) for hearing in page]
    # Cases served (or adjourned) with no hearing yet: the office's next scheduling work, hipervulnerable
    # consumers first (Res. 139/2020), then the longest waiting.
    awaiting = (
        complaints_visible_to(user)
        .filter(status__in=[State.COMPANY_NOTIFIED, State.ADJOURNED])
        .select_related("company")
        .order_by("-vulnerable", "company_notified_at", "pk")
    )
    return render(
        request,
        "hearings/scheduling/list.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "filtered": form.narrows(),
            "awaiting": list(awaiting[:AWAITING_SHOWN]),
            # Counted up to the cap, as the list below: tens of thousands may wait at a national office.
            "awaiting_count": awaiting[: LIST_CAP + 1].count(),
            "awaiting_cap": LIST_CAP,
            "now": now,
        },
    )
