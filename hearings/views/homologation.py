"""Homologation as an act: the director's (or a delegate's) homologation and its disposición, the
agreements awaiting it, the director's delegation page, and each instalment's follow-up.

Thin views: the case is loaded through `complaint_for` (a 404 for anyone outside it), the rule of
hearings/policy.py answers 403 (who you are) or a message (not now), and a refused move
(`CaseError`, which `HearingError` is) becomes a message on the page, never a 500."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services import CaseError
from complaints.states import OFFICE_ROLES
from parties.http import AuthenticatedRequest
from parties.models import Role, User
from parties.paginator import CappedPaginator
from parties.views import role_required

from .. import policy
from ..models import Disposition, Instalment
from ..services import approval as approval_services
from ..services import disposition as disposition_services
from ..services import follow_up as follow_up_services
from .outcome import _download, _refuse

PAGE_SIZE = 25
director_required = role_required(Role.DIRECTOR)


def may_see_queue(user: User) -> bool:
    """The agreements awaiting homologation: for whoever may homologate (the director, a delegate)."""
    return user.role == Role.DIRECTOR or (policy.is_office(user) and user.may_homologate)


def homologation_queue_context(request: AuthenticatedRequest) -> dict:
    """The list of agreements awaiting homologation (the director's home and its own page): searched
    by case number, consumer or company, the longest waiting first, paginated."""
    text = request.GET.get("q", "").strip()[:100]
    rows = disposition_services.awaiting_homologation(complaints_visible_to(request.user), text)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page_obj": page, "q": text}


@login_required
@require_safe
def homologation_queue(request: AuthenticatedRequest) -> HttpResponse:
    if not may_see_queue(request.user):
        raise PermissionDenied
    return render(request, "hearings/homologation/queue.html", homologation_queue_context(request))


@require_POST
@login_required
def agreement_homologate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The director or a delegate homologates: the agreement is approved and its disposición issued."""
    user = request.user
    case = complaint_for(user, pk)
    refused = _refuse(request, policy.APPROVE_AGREEMENT, case, case.pk)
    if refused is not None:
        return refused
    try:
        approval_services.agreement_approve(complaint=case, by=user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        disposition = Disposition.objects.get(complaint=case)
        messages.success(
            request,
            _("The agreement was homologated by disposición %(label)s. Each party can download it from the case.")
            % {"label": disposition.label},
        )
    return redirect("complaint_detail", pk=case.pk)


@login_required
@require_safe
def disposition_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The disposición, for everyone the case file is open to (its parties and their
    representatives, the office); anyone else gets a 404."""
    case = complaint_for(request.user, pk)
    disposition = Disposition.objects.filter(complaint=case).first()
    if disposition is None:
        raise Http404
    return _download(disposition.file, f"disposicion-{disposition.label}.pdf", "application/pdf")


# --- The director's delegation -------------------------------------------------------------------------


@director_required
@require_safe
def delegation_list(request: AuthenticatedRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:100]
    rows = disposition_services.delegable_staff(text)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "hearings/homologation/delegation.html", {"page_obj": page, "q": text})


@require_POST
@director_required
def delegation_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = User.objects.filter(pk=pk, role__in=OFFICE_ROLES).first()
    grant = request.POST.get("grant")
    if person is None:
        raise Http404
    if grant not in ("1", "0"):
        messages.error(request, _("Say whether to grant or to withdraw the delegation."))
        return redirect("homologation_delegation")
    try:
        person = disposition_services.delegation_set(user=person, granted=grant == "1", by=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        message = (
            _("%(name)s may now homologate agreements on your behalf.")
            if person.may_homologate
            else _("%(name)s may no longer homologate agreements.")
        )
        messages.success(request, message % {"name": person.display_name})
    return redirect("homologation_delegation")


# --- Instalments ---------------------------------------------------------------------------------------


def _instalment_for(user: User, pk: int) -> Instalment:
    instalment = (
        Instalment.objects.filter(pk=pk, agreement__complaint__in=complaints_visible_to(user))
        .select_related("agreement__complaint")
        .first()
    )
    if instalment is None:
        raise Http404
    return instalment


@require_POST
@login_required
def instalment_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The consumer (or the office) says whether an instalment was paid; a missed one is a breach."""
    user = request.user
    instalment = _instalment_for(user, pk)
    case = instalment.agreement.complaint
    refused = _refuse(request, policy.ANSWER_COMPLIANCE, case, case.pk)
    if refused is not None:
        return refused
    paid = request.POST.get("paid")
    try:
        if paid == "yes":
            follow_up_services.instalment_confirm_paid(instalment=instalment, by=user)
            messages.success(request, _("Instalment %(number)s is recorded as paid.") % {"number": instalment.number})
        elif paid == "no":
            follow_up_services.instalment_report_missed(
                instalment=instalment, by=user, details=request.POST.get("details", "")[:2000]
            )
            messages.success(
                request, _("The missed instalment was recorded: the case is referred for the breach of the agreement.")
            )
        else:
            messages.error(request, _("Say whether the instalment was paid."))
    except CaseError as error:
        messages.error(request, str(error))
    return redirect("complaint_detail", pk=case.pk)


@require_POST
@login_required
def instalment_proof_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    instalment = _instalment_for(user, pk)
    case = instalment.agreement.complaint
    refused = _refuse(request, policy.UPLOAD_COMPLIANCE_PROOF, case, case.pk)
    if refused is not None:
        return refused
    upload = request.FILES.get("proof")
    if upload is None:
        messages.error(request, _("Choose the file with the proof of payment."))
        return redirect("complaint_detail", pk=case.pk)
    try:
        follow_up_services.instalment_proof_upload(instalment=instalment, by=user, upload=upload)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The proof of instalment %(number)s was uploaded.") % {"number": instalment.number})
    return redirect("complaint_detail", pk=case.pk)


@login_required
@require_safe
def instalment_proof_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    instalment = _instalment_for(request.user, pk)
    if not instalment.proof:
        raise Http404
    return _download(instalment.proof, instalment.proof_original_name, instalment.proof_content_type)
