"""Conciliators are people: a supervisor enters a day off or a leave; the hearings it leaves without a
conciliator are listed with a free colleague proposed at the same time; the office gives them one by
one or a whole day at once. And each person's load, for the supervisor.

Thin views: the role check, objects loaded through their scoping function (a 404 for anyone outside
it), ids parsed with `as_id`, the service called, a refused move turned into a message."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from complaints.services import CaseError
from parties.http import AuthenticatedRequest, as_id
from parties.models import ConciliatorProfile, Role, User
from parties.redirects import safe_next
from parties.views import role_required

from .. import load, policy
from ..forms.reassign import LeaveForm, NeedsConciliatorFilterForm, ReassignForm
from ..forms.scheduling import case_number_condition
from ..scheduling import conciliators, office_tz
from ..selectors import hearings_visible_to
from ..services import reassign as services

PAGE_SIZE = 10  # each row costs a free-slot check (slot_refusal): a short page
LOAD_PAGE_SIZE = 25
OFFICERS_PAGE, CONCILIATORS_PAGE = "officers_page", "conciliators_page"  # each list's own pager

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)
supervisor_required = role_required(Role.SUPERVISOR)


def default_reason() -> str:
    return _("The conciliator assigned to the hearing is on leave that day.")


@dataclass(frozen=True)
class Day:
    """A conciliator's day on the page, for the "reassign the whole day" form."""

    conciliator: User
    day: date
    count: int


# --- A day off or a leave --------------------------------------------------------------------------


@login_required
def conciliator_leave(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A supervisor enters one day off or a leave (a range); the hearings already booked on those days
    are shown at once, each with a free conciliator proposed."""
    profile = ConciliatorProfile.objects.select_related("user").filter(pk=pk).first()
    refusal = policy.why_not(policy.ENTER_LEAVE, request.user, profile)
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    if profile is None:
        raise Http404
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"] or form.cleaned_data["first_day"]
        try:
            leave = services.leave_enter(
                conciliator=profile.user,
                first_day=first,
                last_day=last,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            days = ngettext("%(count)s day off saved.", "%(count)s days off saved.", len(leave.added)) % {
                "count": len(leave.added)
            }
            if not leave.flagged:
                messages.success(request, days + " " + _("No hearing was booked on those days."))
                return redirect("conciliator_calendar", pk=profile.pk)
            messages.warning(
                request,
                days
                + " "
                + ngettext(
                    "%(count)s hearing was already booked on those days: give it to another conciliator.",
                    "%(count)s hearings were already booked on those days: give them to another conciliator.",
                    leave.flagged,
                )
                % {"count": leave.flagged},
            )
            query = urlencode(
                {"conciliator": profile.user_id, "date_from": first.isoformat(), "date_to": last.isoformat()}
            )
            return redirect(f"{reverse('hearings_needing_conciliator')}?{query}")
    return render(request, "hearings/reassign/leave.html", {"profile": profile, "form": form})


# --- The hearings that need a conciliator ------------------------------------------------------------


@office_required
@require_safe
def hearings_needing_conciliator(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = NeedsConciliatorFilterForm(request.GET or None)
    data = form.data_or_empty
    hearings = services.flagged_hearings(
        within=hearings_visible_to(user),
        conciliator=data.get("conciliator"),
        first_day=data.get("date_from"),
        last_day=data.get("date_to"),
    )
    if data.get("q"):
        hearings = hearings.filter(case_number_condition(data["q"]))
    page = Paginator(hearings, PAGE_SIZE).get_page(request.GET.get("page"))
    proposals = services.propose(list(page.object_list))  # three queries for the whole page
    rows = [(proposal, policy.may_reassign_hearing(user, proposal.hearing)) for proposal in proposals]
    people: dict[tuple[int, date], User] = {}
    for proposal in proposals:
        hearing = proposal.hearing
        people[(hearing.conciliator_id, timezone.localtime(hearing.starts_at, office_tz()).date())] = (
            hearing.conciliator
        )
    # "Reassign the whole day" moves every flagged hearing of that day, not only this page's: count them all.
    counts = services.day_counts(set(people))
    days = [Day(conciliator=person, day=day, count=counts[(pk, day)]) for (pk, day), person in people.items()]
    return render(
        request,
        "hearings/reassign/needing.html",
        {
            "form": form,
            "filtered": form.narrows(),
            "page_obj": page,
            "rows": rows,
            "days": days,
            "reason": default_reason(),
            "back": request.get_full_path(),
        },
    )


def _as_sequence(value: object) -> int | None:
    """The invitation's SEQUENCE the page showed (0 for a hearing never changed): ASCII digits, else None."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _back(request: AuthenticatedRequest) -> str:
    return safe_next(request, "hearings_needing_conciliator")


@require_POST
@office_required
def hearing_reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = hearings_visible_to(user).filter(pk=pk).first()
    if hearing is None:
        raise Http404
    refusal = policy.why_not(policy.REASSIGN_HEARING, user, hearing)
    if refusal is not None:
        if refusal.forbidden:
            raise PermissionDenied(refusal.message)
        messages.error(request, refusal.message)
        return redirect(_back(request))
    conciliator_id = as_id(request.POST.get("conciliator"))
    conciliator = conciliators().filter(pk=conciliator_id).first() if conciliator_id else None
    form = ReassignForm(request.POST)
    if conciliator is None:
        messages.error(request, _("Choose a conciliator who holds hearings."))
    elif not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        # Who held it, at which version, when the page was shown: a stale or second post changes nothing.
        try:
            services.hearing_reassign(
                hearing=hearing,
                by=user,
                conciliator=conciliator,
                reason=form.cleaned_data["reason"],
                expected_conciliator=as_id(request.POST.get("current")),
                expected_sequence=_as_sequence(request.POST.get("sequence")),
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The hearing of %(number)s is now held by %(name)s, at the same time. The parties were told.")
                % {"number": hearing.complaint, "name": conciliator.display_name},
            )
    return redirect(_back(request))


class _DayForm(ReassignForm):
    day = forms.DateField()


@require_POST
@office_required
def hearing_reassign_day(request: AuthenticatedRequest) -> HttpResponse:
    """Every flagged hearing of one conciliator on one day, each to the conciliator proposed for it."""
    user = request.user
    conciliator_id = as_id(request.POST.get("conciliator"))
    conciliator = User.objects.filter(pk=conciliator_id, role=Role.CONCILIATOR).first() if conciliator_id else None
    form = _DayForm(request.POST)
    if conciliator is None or not form.is_valid():
        messages.error(request, _("Choose a conciliator and a day, and say why the hearings change conciliator."))
        return redirect(_back(request))
    day = form.cleaned_data["day"]
    if abs((day - timezone.localdate()).days) > 366 * 5:
        raise Http404
    try:
        result = services.reassign_day(conciliator=conciliator, day=day, by=user, reason=form.cleaned_data["reason"])
    except CaseError as error:
        raise PermissionDenied(str(error)) from error
    when = date_format(day, "DATE_FORMAT")
    if not result.reassigned and not result.left:
        messages.info(
            request,
            _("No hearing of %(name)s on %(date)s needs another conciliator.")
            % {
                "name": conciliator.display_name,
                "date": when,
            },
        )
    if result.reassigned:
        messages.success(
            request,
            ngettext(
                "%(count)s hearing of %(date)s was given to another conciliator. The parties were told.",
                "%(count)s hearings of %(date)s were given to other conciliators. The parties were told.",
                len(result.reassigned),
            )
            % {"count": len(result.reassigned), "date": when},
        )
    if result.left:
        messages.warning(
            request,
            ngettext(
                "%(count)s hearing has no free conciliator at its time: reschedule it.",
                "%(count)s hearings have no free conciliator at their time: reschedule them.",
                len(result.left),
            )
            % {"count": len(result.left)},
        )
    return redirect(_back(request))


# --- Each person's load ----------------------------------------------------------------------------


class LoadFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)


@supervisor_required
@require_safe
def people_load(request: AuthenticatedRequest) -> HttpResponse:
    """Officers and conciliators, each with their figures: one query per list (and one per count of
    its pager), whatever the number of people."""
    form = LoadFilterForm(request.GET or None)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    officers = load.officers_load()
    people = load.conciliators_load()
    if text:
        officers = officers.filter(_name_matches(text))
        people = people.filter(_name_matches(text))
    return render(
        request,
        "hearings/reassign/load.html",
        {
            "form": form,
            "q": text,
            "officers": _pager(request, officers, OFFICERS_PAGE),
            "conciliators": _pager(request, people, CONCILIATORS_PAGE),
            "unassigned": load.unassigned_count(),
            "orphaned": load.orphaned_count(),
            "ahead_days": load.AHEAD_DAYS,
            "today": timezone.localdate(),
            "until": timezone.localdate() + timedelta(days=load.AHEAD_DAYS),
        },
    )


@dataclass(frozen=True)
class Pager:
    """One of the load page's two lists: its page, and the links to the pages around it under its
    own GET parameter (the other list keeps its own page)."""

    page: Page
    previous_url: str
    next_url: str


def _pager(request: AuthenticatedRequest, rows: QuerySet[User], param: str) -> Pager:
    page = Paginator(rows, LOAD_PAGE_SIZE).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    return Pager(
        page=page,
        previous_url=url(page.previous_page_number()) if page.has_previous() else "",
        next_url=url(page.next_page_number()) if page.has_next() else "",
    )


def _name_matches(text: str) -> Q:
    return Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(email__icontains=text)
