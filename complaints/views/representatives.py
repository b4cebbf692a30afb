"""Powers: the office's queue of representatives' powers to validate (companies' and consumers'),
the documents, the decisions; and the consumer's representative in a case (named, revoked).

Thin views: who may act is checked by the service; a refused move is a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from complaints.errors import CaseError
from complaints.forms.representatives import ConsumerRepForm
from complaints.models import ConsumerRepresentative
from complaints.selectors import complaint_for
from complaints.services import representatives as rep_services
from parties import services as party_services
from parties.forms import PowerDecisionForm
from parties.http import AuthenticatedRequest
from parties.models import Company, PowerStatus, Representation, Role
from parties.views import role_required

PAGE_SIZE = 25
BIGINT_MAX = 2**63 - 1
office_required = role_required(Role.OFFICER, Role.SUPERVISOR)


@office_required
@require_safe
def power_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Powers awaiting validation: companies' representatives (filter by company), and consumers'."""
    tab = "consumers" if request.GET.get("tab") == "consumers" else "companies"
    company = None
    items: QuerySet
    if tab == "companies":
        items = (
            Representation.objects.active()
            .filter(power_status=PowerStatus.PENDING)
            .exclude(power_document="")
            .select_related("user", "company")
            .order_by("created_at", "pk")
        )
        company_id = request.GET.get("company", "")
        # "²".isdigit() is True but int() refuses it: ASCII digits only, and within a bigint.
        if company_id.isascii() and company_id.isdigit() and int(company_id) <= BIGINT_MAX:
            company = Company.objects.filter(pk=int(company_id)).first()
            items = items.filter(company_id=int(company_id))
    else:
        items = (
            ConsumerRepresentative.objects.filter(revoked_at__isnull=True, power_status=PowerStatus.PENDING)
            .select_related("user", "complaint")
            .order_by("created_at", "pk")
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/representatives/queue.html",
        {"tab": tab, "page_obj": page, "company": company, "decision_form": PowerDecisionForm()},
    )


def _pdf(field, name: str) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=False, filename=name, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def power_document(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A company representative's power: for the office and the representative themselves."""
    user = request.user
    representation = get_object_or_404(Representation, pk=pk)
    if not (user.role in (Role.OFFICER, Role.SUPERVISOR) or representation.user_id == user.pk):
        raise Http404
    if not representation.power_document:
        raise Http404
    return _pdf(representation.power_document, f"poder-{representation.pk}.pdf")


@require_POST
@office_required
def power_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    representation = get_object_or_404(Representation.objects.select_related("user", "company"), pk=pk)
    form = PowerDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("power_queue")
    validate = form.cleaned_data["decision"] == "validate"
    try:
        party_services.power_decide(
            representation=representation,
            by=request.user,
            validate=validate,
            reason=form.cleaned_data["reason"],
            seen_sha256=form.cleaned_data["power_sha256"],
        )
    except party_services.PartiesError as error:
        messages.error(request, str(error))
    else:
        text = (
            _("The power of %(name)s for %(company)s was validated.")
            if validate
            else _("The power of %(name)s for %(company)s was rejected; they were told why.")
        )
        messages.success(
            request, text % {"name": representation.user.display_name, "company": representation.company.legal_name}
        )
    return redirect("power_queue")


# --- The consumer's representative ------------------------------------------------------------------


def _rep_visible(request: AuthenticatedRequest, pk: int) -> ConsumerRepresentative:
    """The representation, if its case is visible to the user (a 404 otherwise)."""
    rep = get_object_or_404(ConsumerRepresentative.objects.select_related("user"), pk=pk)
    rep.complaint = complaint_for(request.user, rep.complaint_id)
    return rep


@require_POST
@login_required
def consumer_rep_name(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    if not rep_services.may_name_consumer_rep(request.user, case):
        raise PermissionDenied
    form = ConsumerRepForm(request.POST, request.FILES, prefix="rep")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("complaint_detail", pk=case.pk)
    try:
        rep = rep_services.consumer_rep_name(complaint=case, by=request.user, **form.cleaned_data)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s was named; they can act for the consumer once the office validates the power.")
            % {"name": rep.user.display_name},
        )
    return redirect("complaint_detail", pk=case.pk)


@login_required
@require_safe
def consumer_rep_document(request: AuthenticatedRequest, pk: int) -> FileResponse:
    rep = _rep_visible(request, pk)
    user = request.user
    if not (user.role in (Role.OFFICER, Role.SUPERVISOR) or user.pk in (rep.complaint.consumer_id, rep.user_id)):
        raise Http404
    return _pdf(rep.power_document, f"poder-consumidor-{rep.pk}.pdf")


@require_POST
@office_required
def consumer_rep_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rep = _rep_visible(request, pk)
    form = PowerDecisionForm(request.POST)
    back = redirect(reverse("power_queue") + "?tab=consumers")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    validate = form.cleaned_data["decision"] == "validate"
    try:
        rep_services.consumer_rep_decide(
            rep=rep,
            by=request.user,
            validate=validate,
            reason=form.cleaned_data["reason"],
            seen_sha256=form.cleaned_data["power_sha256"],
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The decision was recorded in case %(number)s.") % {"number": rep.complaint.number})
    return back


@require_POST
@login_required
def consumer_rep_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rep = _rep_visible(request, pk)
    if not rep_services.may_revoke_consumer_rep(request.user, rep):
        raise PermissionDenied
    try:
        rep_services.consumer_rep_revoke(rep=rep, by=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(name)s no longer represents the consumer in this case.") % {"name": rep.user.display_name}
        )
    return redirect("complaint_detail", pk=rep.complaint_id)
