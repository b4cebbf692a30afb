"""The office's at-risk / overdue list: every open wait due by the end of the reminder window,
soonest first, with filters. Officers and supervisors see it (the office acts together; "assigned to
me" narrows it to one's own); everyone else gets a 403, as on the other office pages."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from parties.http import AuthenticatedRequest
from parties.models import Role
from parties.paginator import CappedPaginator
from parties.views import role_required

from .forms import ClockFilterForm
from .models import Clock
from .services.digest import at_risk_horizon

PAGE_SIZE = 25

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)


@office_required
def clock_list(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    horizon = at_risk_horizon(now)
    form = ClockFilterForm(request.GET or None)
    clocks = form.filter(Clock.objects.filter(closed_at__isnull=True), now=now, horizon=horizon, user=request.user)
    # The (due_at, id) partial index serves the order and the page; one query for the rows.
    clocks = clocks.select_related("complaint", "assignee").order_by("due_at", "id")
    page = CappedPaginator(clocks, PAGE_SIZE, count_in_order=True).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/clock_list.html",
        {"form": form, "page_obj": page, "filtered": form.narrows(), "now": now},
    )
