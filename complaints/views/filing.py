"""Filing a complaint: the consumer's guided form (a server-side draft saved on every step), its
evidence and submission. The receipt is in receipt.py, assisted filing by an officer in assisted.py.

Thin views: load the case through `complaint_for`, check who may edit it, call a service
(`complaints.services.filing` for the draft, `uploads` for its files), turn
`CaseError`/`ValidationError` into a message."""

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from complaints import services, uploads
from complaints.forms.filing import (
    UNREGISTERED,
    ClaimStepForm,
    CompanyStepForm,
    DeclarationForm,
    EvidenceUploadForm,
    PurchaseStepForm,
)
from complaints.models import Complaint, Evidence
from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services.filing import (
    EDITABLE_STATES,
    DraftClosed,
    draft_accept_declaration,
    draft_refresh_snapshot,
    draft_save_company,
    draft_save_step,
    web_draft_start,
)
from complaints.states import State
from parties.http import AuthenticatedRequest
from parties.models import Company, ConsumerProfile, User
from parties.selectors import company_search
from parties.services import PartiesError
from parties.validators import format_cuit, format_phone
from parties.views import consumer_required

LOOKUP_LIMIT = 10
LOOKUP_MIN_CHARS = 2
LOOKUP_MAX_CHARS = 100  # longer is no company's name, and costs the trigram search dearly


@dataclass(frozen=True)
class Step:
    number: int
    title: str | Promise
    template: str


STEPS = [
    Step(1, gettext_lazy("Your details"), "complaints/filing/step_details.html"),
    Step(2, gettext_lazy("The company"), "complaints/filing/step_company.html"),
    Step(3, gettext_lazy("What you bought"), "complaints/filing/step_purchase.html"),
    Step(4, gettext_lazy("What happened and what you ask for"), "complaints/filing/step_claim.html"),
    Step(5, gettext_lazy("Evidence"), "complaints/filing/step_evidence.html"),
    Step(6, gettext_lazy("Check and submit"), "complaints/filing/step_review.html"),
]
REVIEW_STEP = len(STEPS)


# --- Who may edit a draft ------------------------------------------------------------------------


def may_edit(user: User, case: Complaint) -> bool:
    """The consumer who owns it, or the officer who filed it for them."""
    return user.pk == case.consumer_id or (case.filed_by_id is not None and user.pk == case.filed_by_id)


def case_to_edit(request: AuthenticatedRequest, pk: int) -> Complaint:
    """The case, if this user may see it (else 404) and edit it (else 403). The state is checked
    by the caller, which knows where to send the person instead."""
    case = complaint_for(request.user, pk)
    if not may_edit(request.user, case):
        raise PermissionDenied
    return case


def not_editable_redirect(request: AuthenticatedRequest, case: Complaint) -> HttpResponse:
    messages.info(request, _("This complaint was already submitted, so it can no longer be changed here."))
    if case.number:
        return redirect("complaint_receipt", pk=case.pk)
    return redirect("home")


def _reached(step: Step) -> int:
    """Where the draft's bookmark moves once this step is saved."""
    return min(step.number + 1, REVIEW_STEP)


# --- Start --------------------------------------------------------------------------------------


@consumer_required
def complaint_new(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not ConsumerProfile.objects.filter(user=user).exists():
        messages.info(
            request,
            _("Before filing a complaint, complete your personal details: we need your DNI, address and phone."),
        )
        return redirect(f"{reverse('profile')}?{urlencode({'next': reverse('complaint_new')})}")
    if request.method == "POST":
        # The service hands back the draft already started (by this click's twin, or days ago).
        draft, created = web_draft_start(consumer=user)
        if created:
            return redirect("complaint_step", pk=draft.pk, step=1)
        if draft.draft_step > 1:
            messages.info(request, _("You are continuing the complaint you had started."))
        return redirect("complaint_step", pk=draft.pk, step=draft.draft_step)
    latest = (
        complaints_visible_to(user)
        .filter(consumer=user, filed_by__isnull=True, status=State.DRAFT)
        .order_by("-updated_at", "-pk")
        .first()
    )
    return render(
        request,
        "complaints/filing/start.html",
        {"draft": latest, "limits": uploads.limits_text(), "steps": STEPS},
    )


# --- The steps ----------------------------------------------------------------------------------


def _step_context(request: AuthenticatedRequest, case: Complaint, step: Step, **extra: object) -> dict:
    assisted = case.filed_by_id is not None and request.user.pk == case.filed_by_id
    titles = [str(s.title) for s in STEPS]
    if assisted:  # the officer is filling it in for someone else
        titles[0] = _("The citizen's details")
    return {
        "complaint": case,
        "step": step,
        "step_title": titles[step.number - 1],
        "step_titles": titles,
        "previous_url": reverse("complaint_step", args=[case.pk, step.number - 1]) if step.number > 1 else None,
        "return_to_review": request.GET.get("return") == "review" or request.POST.get("return") == "review",
        "assisted": assisted,
        "consumer_phone_display": _phone_display(case.consumer_phone),
        **extra,
    }


def _phone_display(e164: str) -> str:
    try:
        return format_phone(e164)
    except Exception:
        return e164


def _after_save(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    if request.POST.get("return") == "review":
        return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)
    return redirect("complaint_step", pk=case.pk, step=min(step.number + 1, REVIEW_STEP))


def _render_step(request: AuthenticatedRequest, case: Complaint, step: Step, **extra: object) -> HttpResponse:
    return render(request, step.template, _step_context(request, case, step, **extra))


@login_required
def complaint_step(request: AuthenticatedRequest, pk: int, step: int) -> HttpResponse:
    case = case_to_edit(request, pk)
    if not 1 <= step <= len(STEPS):
        raise Http404
    if case.status not in EDITABLE_STATES:
        return not_editable_redirect(request, case)
    try:
        return _STEP_HANDLERS[step](request, case, STEPS[step - 1])
    except DraftClosed:  # submitted meanwhile, e.g. in another tab
        return not_editable_redirect(request, case)


def _step_details(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    if request.method == "POST":
        draft_save_step(complaint=case, values={}, reached_step=_reached(step))
        return _after_save(request, case, step)
    draft_refresh_snapshot(complaint=case)
    profile_complete = ConsumerProfile.objects.filter(user_id=case.consumer_id).exists()
    return _render_step(request, case, step, profile_complete=profile_complete)


def _step_company(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:LOOKUP_MAX_CHARS]
    if request.method == "POST":
        form = CompanyStepForm(request.POST)
        if form.is_valid():
            try:
                registered = draft_save_company(
                    complaint=case,
                    registered=form.registered,
                    cuit=form.cleaned_data.get("company_cuit") or "",
                    name=form.cleaned_data.get("company_name") or "",
                    by=request.user,
                    reached_step=_reached(step),
                )
            except PartiesError as error:
                messages.error(request, str(error))
            else:
                if registered is not None and form.cleaned_data["company"] == UNREGISTERED:
                    messages.info(
                        request,
                        _(
                            "The CUIT you entered belongs to %(name)s, which is registered: "
                            "we linked your complaint to it."
                        )
                        % {"name": registered.legal_name},
                    )
                return _after_save(request, case, step)
    else:
        initial: dict[str, object] = {}
        if case.company_id:
            initial["company"] = str(case.company_id)
        elif case.company_cuit:
            initial = {"company": UNREGISTERED, "company_cuit": case.company_cuit, "company_name": case.company_name}
        form = CompanyStepForm(initial=initial)
    matches = _companies_matching(query)
    chosen = form["company"].value() or ""
    current = case.company
    if current is None and chosen.isdigit():
        current = Company.objects.filter(pk=int(chosen)).first()
    if current is not None and all(company.pk != current.pk for company in matches):
        matches.insert(0, current)
    return _render_step(
        request,
        case,
        step,
        form=form,
        query=query,
        searched=len(query) >= LOOKUP_MIN_CHARS,
        companies=matches,
        chosen=chosen,
        unregistered=UNREGISTERED,
    )


def _model_form_step(form_class: type[BaseForm]) -> Callable[[AuthenticatedRequest, Complaint, Step], HttpResponse]:
    def handle(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
        form = form_class(request.POST or None, instance=case)  # type: ignore[call-arg]
        if request.method == "POST" and form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.fields}
            draft_save_step(complaint=case, values=values, reached_step=_reached(step))
            return _after_save(request, case, step)
        return _render_step(request, case, step, form=form)

    return handle


def _step_evidence(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    if request.method == "POST":
        # The files themselves are posted to `evidence_upload`; this only moves on.
        draft_save_step(complaint=case, values={}, reached_step=_reached(step))
        return _after_save(request, case, step)
    return _render_step(
        request, case, step, form=EvidenceUploadForm(), limits=uploads.limits_text(), evidence=_with_kind(case)
    )


def _step_review(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    if request.method == "POST":
        return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)
    draft_refresh_snapshot(complaint=case)
    return _render_step(
        request,
        case,
        step,
        form=DeclarationForm(),
        evidence=list(case.evidence.all()),
        company_cuit_display=format_cuit(case.company_cuit),
        missing=_missing_besides_declaration(case),
    )


def _missing_besides_declaration(case: Complaint) -> list[str]:
    """What the service will ask for on submission, except the declaration: its box is on this page."""
    if case.status != State.DRAFT:
        return []
    probe = copy.copy(case)
    probe.declaration_accepted_at = probe.declaration_accepted_at or timezone.now()
    return services.missing_for_submission(probe)


def _with_kind(case: Complaint) -> list[Evidence]:
    items = list(case.evidence.all())
    for item in items:
        item.kind = uploads.ALLOWED_TYPES.get(item.content_type, item.content_type)  # type: ignore[attr-defined]
    return items


_STEP_HANDLERS: dict[int, Callable[[AuthenticatedRequest, Complaint, Step], HttpResponse]] = {
    1: _step_details,
    2: _step_company,
    3: _model_form_step(PurchaseStepForm),
    4: _model_form_step(ClaimStepForm),
    5: _step_evidence,
    6: _step_review,
}


# --- Submission ---------------------------------------------------------------------------------


def _accept_declaration(request: AuthenticatedRequest, case: Complaint) -> bool:
    return draft_accept_declaration(complaint=case, accepted=DeclarationForm(request.POST).is_valid())


@require_POST
@login_required
def complaint_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = case_to_edit(request, pk)
    if case.status != State.DRAFT:
        return _already_submitted(request, case)
    _accept_declaration(request, case)
    try:
        case = services.complaint_submit(complaint=case, by=request.user)
    except (services.CaseError, ValidationError) as error:
        case.refresh_from_db()
        if case.status != State.DRAFT:
            return _already_submitted(request, case)
        messages.error(request, _error_text(error))
        return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)
    # The receipt page itself is the confirmation, with the number in large type.
    return redirect("complaint_receipt", pk=case.pk)


@require_POST
@login_required
def complaint_resubmit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = case_to_edit(request, pk)
    if case.status != State.OBSERVED:
        return _already_submitted(request, case)
    if not _accept_declaration(request, case):
        messages.error(request, _("Tick the box to declare that what you state is true."))
        return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)
    try:
        case = services.complaint_resubmit(complaint=case, by=request.user)
    except (services.CaseError, ValidationError) as error:
        case.refresh_from_db()
        if case.status != State.OBSERVED:
            return _already_submitted(request, case)
        messages.error(request, _error_text(error))
        return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)
    return redirect("complaint_receipt", pk=case.pk)


def _already_submitted(request: AuthenticatedRequest, case: Complaint) -> HttpResponse:
    if case.number and case.status != State.OBSERVED:
        messages.info(request, _("This complaint was already submitted as %(number)s.") % {"number": case.number})
        return redirect("complaint_receipt", pk=case.pk)
    return redirect("complaint_step", pk=case.pk, step=REVIEW_STEP)


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


# --- Company lookup (the no-JS page uses the same fragment) ---------------------------------------


def _companies_matching(query: str) -> list[Company]:
    if len(query) < LOOKUP_MIN_CHARS:
        return []
    return list(company_search(Company.objects.all(), query)[:LOOKUP_LIMIT])


@require_GET
@login_required
def company_lookup(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:LOOKUP_MAX_CHARS]
    return render(
        request,
        "complaints/filing/_company_results.html",
        {
            "companies": _companies_matching(query),
            "query": query,
            "searched": len(query) >= LOOKUP_MIN_CHARS,
            "chosen": "",
        },
    )
