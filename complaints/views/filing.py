"""Filing a complaint: the consumer's guided form (a server-side draft saved on every step), its
evidence and submission. The receipt is in receipt.py, assisted filing by an officer in assisted.py.

Thin views: load the case through `complaint_for`, check who may edit it, call a service
(`complaints.services.filing` for the draft, `uploads` for its files), turn
`CaseError`/`ValidationError` into a message."""

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
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
    VulnerabilityForm,
)
from complaints.models import CaseCompany, Complaint, Evidence
from complaints.selectors import complaint_for, complaints_visible_to, own_complaint
from complaints.services.filing import (
    EDITABLE_STATES,
    DraftClosed,
    draft_accept_declaration,
    draft_add_company,
    draft_refresh_snapshot,
    draft_remove_company,
    draft_save_step,
    draft_save_vulnerability,
    may_be_time_barred,
    web_draft_start,
)
from complaints.services.parts import parts_of
from complaints.states import State, allow_owner_consumer
from complaints.vulnerability import label_for
from parties.http import AuthenticatedRequest, as_id
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
    """Whoever may act as the owner: the consumer, the officer who filed it for them, or any
    officer for a citizen without e-mail (complaints/states.py, the one rule)."""
    return allow_owner_consumer(case, user)


def case_to_edit(request: AuthenticatedRequest, pk: int) -> Complaint:
    """The case, if this user may see it (else 404) and edit it (else 403). The state is checked
    by the caller, which knows where to send the person instead. The consumer's own case, nearly
    always the one edited, is found in one query; anyone else's goes through `complaint_for`."""
    case = own_complaint(request.user, pk) or complaint_for(request.user, pk)
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


def _after_save(
    request: AuthenticatedRequest, case: Complaint, step: Step, *, reached: int | None = None
) -> HttpResponse:
    if reached is not None:  # moving on without saving anything else
        draft_save_step(complaint=case, values={}, reached_step=reached)
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
        form = VulnerabilityForm(request.POST)
        if form.is_valid():
            draft_save_vulnerability(
                complaint=case, categories=form.cleaned_data["vulnerable_categories"], reached_step=_reached(step)
            )
            return _after_save(request, case, step)
    else:
        form = VulnerabilityForm(initial={"vulnerable_categories": case.vulnerable_categories})
        draft_refresh_snapshot(complaint=case)
    profile_complete = ConsumerProfile.objects.filter(user_id=case.consumer_id).exists()
    return _render_step(
        request,
        case,
        step,
        form=form,
        profile_complete=profile_complete,
        flagged_by_office=case.vulnerable_flagged_by_id is not None,
    )


def _step_company(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    """Names the companies one at a time, without JavaScript: "Add another company" saves this one
    and shows the step again, "Remove" takes one off, "Save and continue" saves the one typed (if
    any) and moves on once at least one is named."""
    query = request.GET.get("q", "").strip()[:LOOKUP_MAX_CHARS]
    named = named_companies(case)
    if request.method == "POST" and request.POST.get("remove"):
        part_id = as_id(request.POST["remove"])
        if part_id is not None:
            draft_remove_company(complaint=case, part_id=part_id)
        return _company_step_again(request, case)
    adding_another = request.POST.get("action") == "add"
    if request.method == "POST":
        form = CompanyStepForm(request.POST, case=case)
        if named and form.is_empty and not adding_another:
            return _after_save(request, case, step, reached=_reached(step))
        if form.is_valid():
            try:
                part = draft_add_company(
                    complaint=case,
                    registered=form.registered,
                    cuit=form.cleaned_data.get("company_cuit") or "",
                    name=form.cleaned_data.get("company_name") or "",
                    role=form.cleaned_data["role"],
                    address=form.cleaned_data.get("address") or "",
                    province=form.cleaned_data.get("province") or "",
                    by=request.user,
                    reached_step=step.number if adding_another else _reached(step),
                )
            except (PartiesError, ValidationError) as error:
                messages.error(request, _error_text(error))
            else:
                if part.company is not None and form.cleaned_data["company"] == UNREGISTERED:
                    messages.info(
                        request,
                        _(
                            "The CUIT you entered belongs to %(name)s, which is registered: "
                            "we linked your complaint to it."
                        )
                        % {"name": part.company.legal_name},
                    )
                if adding_another:
                    messages.success(request, _("%(name)s was added to your complaint.") % {"name": part.display_name})
                    return _company_step_again(request, case)
                return _after_save(request, case, step)
    else:
        form = CompanyStepForm(case=case)
    matches = _companies_matching(query)
    chosen = form["company"].value() or ""
    chosen_id = as_id(chosen)
    if chosen_id is not None and all(company.pk != chosen_id for company in matches):
        current = Company.objects.filter(pk=chosen_id).first()
        if current is not None:
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
        named=named,
        may_add=len(named) < settings.MAX_COMPANIES_PER_COMPLAINT,
        max_companies=settings.MAX_COMPANIES_PER_COMPLAINT,
    )


def named_companies(case: Complaint) -> list[CaseCompany]:
    """The companies the case names, in order, each with its CUIT formatted for display."""
    named = list(parts_of(case))
    for part in named:
        part.cuit_display = format_cuit(part.cuit)  # type: ignore[attr-defined]
    return named


def purchase_place(case: Complaint) -> str:
    """Where the purchase or contract took place, in words (empty if not said)."""
    if case.purchase_online:
        return _("Online or by phone")
    return ", ".join(part for part in (case.purchase_city, case.get_purchase_province_display()) if part)


def _company_step_again(request: AuthenticatedRequest, case: Complaint) -> HttpResponse:
    url = reverse("complaint_step", args=[case.pk, 2])
    if request.POST.get("return") == "review":
        url += "?return=review"
    return redirect(url)


def _step_purchase(request: AuthenticatedRequest, case: Complaint, step: Step) -> HttpResponse:
    form = PurchaseStepForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        draft_save_step(complaint=case, values=values, reached_step=_reached(step))
        if may_be_time_barred(case.purchase_date):
            messages.warning(request, str(_prescription_warning()))
        return _after_save(request, case, step)
    # The date typed in a refused form warns too; an unbound form shows the saved one.
    shown_date = form.cleaned_data.get("purchase_date") if form.is_bound else case.purchase_date
    warning = _prescription_warning() if may_be_time_barred(shown_date) else ""
    return _render_step(request, case, step, form=form, time_barred_warning=warning)


def _prescription_warning() -> str:
    return _(
        "Your purchase is more than %(years)d years old. The law gives %(years)d years to claim (Ley 24.240, "
        "art. 50), so the office may find that your claim is time-barred. You can still submit it: "
        "tell us in “What happened” if you claimed to the company earlier, with dates."
    ) % {"years": settings.PRESCRIPTION_YEARS}


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
        named=named_companies(case),
        purchase_place=purchase_place(case),
        vulnerable_labels=[label_for(code) for code in case.vulnerable_categories],
        time_barred_warning=_prescription_warning() if may_be_time_barred(case.purchase_date) else "",
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
    3: _step_purchase,
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
    declared = DeclarationForm(request.POST).is_valid()
    if not declared:  # an unticked box withdraws a declaration given before, as on every other save
        draft_accept_declaration(complaint=case, accepted=False)
    try:
        # A ticked box is recorded by the submission itself, in its one UPDATE of the case.
        case = services.complaint_submit(complaint=case, by=request.user, declared=declared)
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
