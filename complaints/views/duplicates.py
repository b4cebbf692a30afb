"""The officer's three decisions on a complaint flagged as a possible duplicate (the admission
panel's "possible duplicate" box, templates/complaints/office/_duplicate_panel.html).

Thin views: the case through `complaint_for` (a 404 for whoever cannot see it), the rule
(complaints/policy.py: a 403 for whoever may see it but not decide, a message when it is too late),
the service, and a refused move turned into a message."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import policy
from complaints.errors import CaseError
from complaints.forms.duplicates import DuplicateDismissForm, DuplicateJoinForm, DuplicateRejectForm
from complaints.models import Complaint
from complaints.selectors import complaint_for
from complaints.services.duplicates import duplicate_dismiss, duplicate_join, duplicate_reject
from parties.http import AuthenticatedRequest, as_id


def _flagged_case(request: AuthenticatedRequest, pk: int, action: str) -> tuple[Complaint, HttpResponse | None]:
    """The case, if visible; then the rule: a 403 for who the person is, the refusal as a message on
    the case page for the moment (decided already, the earlier case closed…)."""
    case_id = as_id(pk)
    if case_id is None:
        raise Http404
    case = complaint_for(request.user, case_id)
    if case.duplicate_of_id is not None:
        case.duplicate_of = Complaint.objects.get(pk=case.duplicate_of_id)
    refusal = policy.why_not(action, request.user, case)
    if refusal is None:
        return case, None
    if refusal.forbidden:
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)
    return case, redirect("complaint_detail", pk=case.pk)


def _decide(
    request: AuthenticatedRequest,
    pk: int,
    *,
    action: str,
    form_class: type[Form],
    title: str,
    url_name: str,
    decide: Callable[[Complaint, str], HttpResponse],
) -> HttpResponse:
    case, refused = _flagged_case(request, pk, action)
    if refused is not None:
        return refused
    form = form_class(request.POST)
    if not form.is_valid():
        return render(
            request,
            "complaints/office/decision_form.html",
            {"case": case, "form": form, "title": title % {"number": case}, "action": url_name},
        )
    try:
        return decide(case, form.cleaned_data["note"].strip())
    except CaseError as error:
        messages.error(request, str(error))
        return redirect("complaint_detail", pk=case.pk)


@require_POST
@login_required
def duplicate_join_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def decide(case: Complaint, note: str) -> HttpResponse:
        original = duplicate_join(complaint=case, by=request.user, note=note)
        messages.success(
            request,
            _(
                "Complaint %(number)s was joined into %(original)s: its evidence is being copied into that case "
                "file, and the consumer was told."
            )
            % {"number": case.number, "original": original.number},
        )
        return redirect("admission_queue")

    return _decide(
        request,
        pk,
        action=policy.JOIN_DUPLICATE,
        form_class=DuplicateJoinForm,
        title=_("Join complaint %(number)s into the earlier one"),
        url_name="duplicate_join",
        decide=decide,
    )


@require_POST
@login_required
def duplicate_reject_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def decide(case: Complaint, note: str) -> HttpResponse:
        duplicate_reject(complaint=case, by=request.user, detail=note)
        messages.success(
            request,
            _("Complaint %(number)s was rejected as a duplicate, and the consumer was told.") % {"number": case.number},
        )
        return redirect("admission_queue")

    return _decide(
        request,
        pk,
        action=policy.REJECT_DUPLICATE,
        form_class=DuplicateRejectForm,
        title=_("Reject complaint %(number)s as a duplicate"),
        url_name="duplicate_reject",
        decide=decide,
    )


@require_POST
@login_required
def duplicate_dismiss_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def decide(case: Complaint, note: str) -> HttpResponse:
        duplicate_dismiss(complaint=case, by=request.user, note=note)
        messages.success(
            request,
            _("Complaint %(number)s is no longer flagged as a possible duplicate: decide on it as usual.")
            % {"number": case.number},
        )
        return redirect("complaint_detail", pk=case.pk)

    return _decide(
        request,
        pk,
        action=policy.DISMISS_DUPLICATE,
        form_class=DuplicateDismissForm,
        title=_("Complaint %(number)s is not a duplicate"),
        url_name="duplicate_dismiss",
        decide=decide,
    )
