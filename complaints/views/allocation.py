"""The admission queue's allocation: the supervisor assigns (one or many) and balances; an officer
takes the next one. Thin views: the role check, cases loaded through `complaints_visible_to`, ids
parsed with `as_id`, the service called, a refusal turned into a message. And what the queue page
needs to show it (`queue_filter`)."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from complaints.errors import CaseError
from complaints.forms.allocation import AssignedFilterForm
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from complaints.services import allocation as services
from parties.http import AuthenticatedRequest, as_id
from parties.models import Role, User
from parties.redirects import safe_next
from parties.views import role_required

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)
supervisor_required = role_required(Role.SUPERVISOR)

# At most a page of the queue is assigned in one submission.
ASSIGN_MAX = 100


def queue_filter(request: AuthenticatedRequest, cases: QuerySet[Complaint]) -> tuple[QuerySet[Complaint], dict]:
    """The queue narrowed by "my queue / unassigned / all", with the assignee joined (no query per
    row), and what the page shows for the allocation: the filter, the officers a supervisor assigns
    to (one query), and which buttons the person may press."""
    user = request.user
    form = AssignedFilterForm(request.GET or None)
    cases = form.filter(cases, user=user).select_related("assigned_officer")
    supervisor = user.role == Role.SUPERVISOR
    return cases, {
        "assigned_form": form,
        "assigned": form.choice,
        "can_assign": supervisor,
        "can_take": user.role in (Role.OFFICER, Role.SUPERVISOR),
        "officers": services.active_officers() if supervisor else [],
    }


def _back(request: AuthenticatedRequest) -> str:
    return safe_next(request, "admission_queue")


@require_POST
@supervisor_required
def admission_assign(request: AuthenticatedRequest) -> HttpResponse:
    """The ticked complaints of the queue (`case`, repeated) to one officer (`officer`)."""
    user = request.user
    officer_id = as_id(request.POST.get("officer"))
    officer = User.objects.filter(pk=officer_id).first() if officer_id else None
    ids = [pk for pk in (as_id(value) for value in request.POST.getlist("case")[:ASSIGN_MAX]) if pk]
    cases = list(complaints_visible_to(user).filter(pk__in=ids))
    if not cases:
        messages.error(request, _("Tick the complaints to assign."))
        return redirect(_back(request))
    try:
        done = services.admission_assign(complaints=cases, officer=officer, by=user)  # type: ignore[arg-type]
    except CaseError as error:
        messages.error(request, str(error))
        return redirect(_back(request))
    assert officer is not None  # the service refuses a missing officer
    messages.success(
        request,
        ngettext("%(count)s complaint assigned to %(name)s.", "%(count)s complaints assigned to %(name)s.", len(done))
        % {"count": len(done), "name": officer.display_name},
    )
    return redirect(_back(request))


@require_POST
@office_required
def admission_take_next(request: AuthenticatedRequest) -> HttpResponse:
    """The next unassigned complaint (hipervulnerable first, then the oldest) to whoever pressed."""
    user = request.user
    try:
        case = services.admission_take_next(by=user)
    except CaseError as error:
        messages.error(request, str(error))
        return redirect("admission_queue")
    if case is None:
        messages.info(request, _("There is no unassigned complaint awaiting review."))
        return redirect("admission_queue")
    messages.success(request, _("Complaint %(number)s is now in your queue.") % {"number": case.number})
    return redirect("complaint_detail", pk=case.pk)


@require_POST
@supervisor_required
def admission_balance(request: AuthenticatedRequest) -> HttpResponse:
    """The unassigned queue spread among the active officers, the least loaded first."""
    try:
        balance = services.admission_balance(by=request.user)
    except CaseError as error:
        messages.error(request, str(error))
        return redirect(_back(request))
    if not balance.total:
        messages.info(request, _("There is no unassigned complaint awaiting review."))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s complaint was spread among the officers.",
                "%(count)s complaints were spread among the officers.",
                balance.total,
            )
            % {"count": balance.total},
        )
    return redirect(_back(request))
