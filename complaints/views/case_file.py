"""The case file (expediente): the list of cases, the case page, the parties' moves before the
hearing, evidence downloads and the full export for referral.

Thin views: load through `complaints_visible_to` (a 404 for anyone outside the case), call the
service, turn a refused move (`CaseError`) into a message and go back to the case page."""

from datetime import datetime, time, timedelta
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_fsm import has_transition_perm

from complaints import actions, policy, services
from complaints.forms.case_file import (
    CaseFilterForm,
    CompanyAnswerForm,
    OfferForm,
    OfferRejectForm,
    WithdrawForm,
)
from complaints.models import CaseCompany, CompanyAnswer, Complaint, Evidence, Offer, OfferStatus, PartStatus
from complaints.pdf import pdf_response, render_pdf
from complaints.selectors import (
    case_events_intact,
    case_list_rows,
    cases_of_company,
    complaint_for,
    complaint_search,
    complaints_visible_to,
    evidence_for,
    offer_terms_in,
)
from complaints.states import OFFICE_ROLES, State, represents
from notifications.models import FormalNotice
from notifications.selectors import deliveries_for_case
from parties import selectors as party_selectors
from parties.http import AuthenticatedRequest, as_id
from parties.models import STAFF_ROLES, Role, User
from parties.paginator import CappedPaginator
from parties.views import role_required

PAGE_SIZE = 25
DELIVERIES_SHOWN = 200  # the newest; the failures page has the rest
ADMISSION_PANEL = "complaints/office/_admission_panel.html"
EMBEDDABLE_IMAGES = ("image/jpeg", "image/png")
# The answer form's file input (prefix "answer"): files sent along the company's written answer.
ANSWER_ATTACHMENTS = "answer-attachments"
# The case page's companies, lead first, whole (case.parts.all in its panels); the list reads fewer
# columns (complaints.selectors.case_list_rows).
COMPANIES_OF_CASE = Prefetch(
    "parts", queryset=CaseCompany.objects.select_related("company").order_by("complaint_id", "position", "pk")
)


def _has_hearings() -> bool:
    """The hearings floor adds `Hearing.complaint` (related_name "hearings") when it lands."""
    return "hearings" in {rel.name for rel in Complaint._meta.related_objects}


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


# --- The list ----------------------------------------------------------------------------------


def _filter_cases(cases: QuerySet[Complaint], form: CaseFilterForm, *, user: User) -> QuerySet[Complaint]:
    """Apply whichever filters are valid; an invalid one is shown as an error and ignored."""
    data = form.cleaned_data if form.is_bound else {}
    if data.get("status"):
        cases = cases.filter(status__in=data["status"])
    if data.get("company"):
        # The case counts for each of its companies, not only the one it is titled by.
        cases = cases.filter(cases_of_company(data["company"].pk))
    # The day a case was filed, in Argentine time, as a half-open range that can use an index.
    if data.get("date_from"):
        start = timezone.make_aware(datetime.combine(data["date_from"], time.min))
        cases = cases.filter(Q(submitted_at__gte=start) | Q(submitted_at__isnull=True, created_at__gte=start))
    if data.get("date_to"):
        end = timezone.make_aware(datetime.combine(data["date_to"] + timedelta(days=1), time.min))
        cases = cases.filter(Q(submitted_at__lt=end) | Q(submitted_at__isnull=True, created_at__lt=end))
    return complaint_search(cases, data.get("q") or "", user=user)


def _walks_the_list_in_order(form: CaseFilterForm) -> bool:
    """Whether the count walks `complaint_recent` in the list's order anyway (the list unfiltered, or
    narrowed to one of a representative's companies), so that the keys it passes can be the pages'
    (`CappedPaginator.count_from_keys`). A search, a status or a date is counted on other indexes:
    even a search by CUIT, whose first 1,001 cases in order a company with 1 % of all cases finds
    only after 100,000 index entries (three times as long as its unordered count)."""
    data = form.cleaned_data if form.is_bound else {}
    return not any(data.get(name) for name in ("q", "status", "date_from", "date_to"))


@login_required
@require_safe
def complaint_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    companies = None
    if user.is_representative:
        companies = party_selectors.companies_visible_to(user).order_by("legal_name")
    form = CaseFilterForm(request.GET or None, user=user, companies=companies)
    form.is_valid()
    # The columns the list shows, with every company of each case on the page in one query.
    cases = _filter_cases(case_list_rows(complaints_visible_to(user)), form, user=user)
    # Counted up to 1,000: an exact count of a million cases, or of a common surname, reads them all.
    # The page's keys first, from `complaint_recent`, which carries what the visibility rule asks.
    cases = cases.order_by("-created_at", "-pk")
    in_order = _walks_the_list_in_order(form)
    page = CappedPaginator(cases, PAGE_SIZE, keys_first=True, count_from_keys=in_order).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "complaints/case/list.html",
        {
            "page_obj": page,
            "filters": form,
            # One person may be both (roles add up): then the list reads like the office's.
            "is_consumer": user.is_consumer and not user.is_representative,
            "is_representative": user.is_representative and not user.is_consumer,
            "is_staff_role": user.role in STAFF_ROLES,
        },
    )


# --- The case page -----------------------------------------------------------------------------


def _current_deadline(case: Complaint, parts: list[CaseCompany]) -> tuple[str, datetime] | None:
    """The deadline the case is waiting on now, if any, with what it is for."""
    if case.status == State.SUBMITTED and case.review_due_at:
        return _("Admission review due"), case.review_due_at
    if case.status == State.OBSERVED and case.correction_due_at:
        return _("Corrections due"), case.correction_due_at
    if case.status == State.ADMITTED:
        # Several companies: the earliest of the deadlines still running (each part shows its own).
        dues = [part.domicile_due_at for part in parts if part.status == PartStatus.NAMED and part.domicile_due_at]
        if len(parts) > 1 and dues:
            return _("A company must set up its electronic domicile by"), min(dues)
        if case.domicile_due_at:
            return _("The company must set up its electronic domicile by"), case.domicile_due_at
    if case.status in (State.COMPANY_ABSENT, State.CONSUMER_ABSENT) and case.justification_due_at:
        return _("Justification of the absence due"), case.justification_due_at
    return None


def _part_deadline(part: CaseCompany) -> tuple[str, datetime] | None:
    """The deadline one company's part is waiting on, if any."""
    if part.status == PartStatus.NAMED and part.domicile_due_at:
        return _("Electronic domicile due"), part.domicile_due_at
    if part.status == PartStatus.ABSENT and part.justification_due_at:
        return _("Justification of the absence due"), part.justification_due_at
    return None


# The offers on the case page and in its PDF, with who made and who answered each.
OFFERS_WITH_AUTHORS = Offer.objects.select_related("made_by", "answered_by")


def _case_record(case: Complaint) -> dict:
    """What both the page and the export show: events, evidence, answers, offers, notices."""
    # Read once for every panel of the page: the companies (the offer, representatives and hearings
    # panels read `case.parts` too), and the offers and answers, each given the company part it
    # speaks for from those companies rather than joining them again.
    prefetch_related_objects([case], COMPANIES_OF_CASE, Prefetch("offers", queryset=OFFERS_WITH_AUTHORS))
    parts = list(case.parts.all())
    answers = list(case.answers.select_related("author"))
    by_pk = {part.pk: part for part in parts}
    rows: list[Offer | CompanyAnswer] = [*case.offers.all(), *answers]
    for row in rows:
        if row.part_id in by_pk:
            row.part = by_pk[row.part_id]
    return {
        # Each company's part: how and when it was served, its status, its pending deadline.
        "parts": [(part, _part_deadline(part)) for part in parts],
        "is_multi_company": len(parts) > 1,
        "case": case,
        "complaint": case,
        "evidence": list(case.evidence.all()),
        "events": list(case.events.select_related("actor").order_by("created_at", "pk")),
        "answers": answers,
        # Prefetched onto the case: the page's offer rules (complaints/policy.py) read them from it.
        "offers": list(case.offers.all()),
        "notices": list(FormalNotice.objects.filter(case_number=case.number).order_by("sent_at"))
        if case.number
        else [],
        "has_hearings": _has_hearings(),
        "deadline": _current_deadline(case, parts),
        # The record is kept in the office's time, whatever the reader's device says.
        "case_time_zone": timezone.get_default_timezone(),
    }


def _render_case(request: AuthenticatedRequest, case: Complaint, **forms: object) -> HttpResponse:
    user = request.user
    context = _case_record(case)
    is_owner = user.pk == case.consumer_id
    is_company_side = represents(user, case)
    is_staff_role = user.role in STAFF_ROLES
    # What the company may not read (a private reason) the consumer and the office still do.
    company_only = is_company_side and not (is_owner or is_staff_role)
    context.update(
        {
            "is_owner": is_owner,
            "is_company_side": is_company_side,
            "is_staff_role": is_staff_role,
            # DNI, phone, e-mail and address are for the office and the consumer, not the company.
            "show_consumer_contact": is_owner or is_staff_role,
            # Each event with the offer it records, if any, worded by the template in the reader's language.
            "timeline": [
                (event, offer_terms_in(event), actions.reason_for(event, company_side=company_only))
                for event in reversed(context["events"])
            ],
            # Checked on the events just read for the timeline, not read a second time.
            "events_intact": case_events_intact(case, context["events"]) if is_staff_role else None,
            "deliveries": deliveries_for_case(case.number, limit=DELIVERIES_SHOWN) if is_staff_role else [],
            "can_withdraw": has_transition_perm(case.withdraw, user),
            # The moves on offers (answer, make, respond) are asked once, by `{% offer_moves %}`.
            "can_export": is_staff_role,
            "show_receipt": bool(case.number) and (is_owner or is_staff_role),
            "show_admission_panel": case.status == State.SUBMITTED
            and user.role in OFFICE_ROLES
            and _template_exists(ADMISSION_PANEL),
            "withdraw_form": forms.get("withdraw_form") or WithdrawForm(prefix="withdraw"),
            "answer_form": forms.get("answer_form") or CompanyAnswerForm(prefix="answer"),
            "offer_form": forms.get("offer_form") or OfferForm(prefix="offer"),
            "reject_form": forms.get("reject_form") or OfferRejectForm(prefix="reject"),
        }
    )
    # Every panel's rules ask whether the reader represents a company of the case: asked once above.
    with policy.company_side_known(user, case, is_company_side):
        return render(request, "complaints/case/detail.html", context)


@login_required
@require_safe
def complaint_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    if case.status == State.DRAFT:
        # A draft is still being written: it lives in the filing steps, not in a case file.
        return redirect("complaint_step", pk=case.pk, step=case.draft_step)
    return _render_case(request, case)


# --- Moves before the hearing ------------------------------------------------------------------


def _refuse(request: AuthenticatedRequest, action: str, obj: object, case_pk: int) -> HttpResponse | None:
    """None when the rule allows it; otherwise 403 (not for this person) or the refusal as a message
    on the case page (not now)."""
    refusal = policy.why_not(action, request.user, obj)
    if refusal is None:
        return None
    if refusal.forbidden:
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)
    return redirect("complaint_detail", pk=case_pk)


@require_POST
@login_required
def complaint_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    form = WithdrawForm(request.POST, prefix="withdraw")
    if not form.is_valid():
        return _render_case(request, case, withdraw_form=form)
    try:
        services.complaint_withdraw(complaint=case, by=request.user, reason=form.cleaned_data["reason"])
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The complaint %(number)s was withdrawn and is now closed.") % {"number": case})
    return redirect("complaint_detail", pk=case.pk)


@require_POST
@login_required
def company_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    refused = _refuse(request, policy.ANSWER_AS_COMPANY, case, case.pk)
    if refused is not None:
        return refused
    form = CompanyAnswerForm(request.POST, prefix="answer")
    if not form.is_valid():
        return _render_case(request, case, answer_form=form)
    try:
        services.company_answer(
            complaint=case,
            by=request.user,
            text=form.cleaned_data["text"],
            part=_chosen_part(request, case),
            # The files ride along the answer (the answer form's file input); judged by the service.
            attachments=request.FILES.getlist(ANSWER_ATTACHMENTS),
        )
    except ValidationError as error:
        # A refused file: nothing was kept; the form comes back with the text and what to fix.
        for message in error.messages:
            form.add_error(None, message)
        return _render_case(request, case, answer_form=form)
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The company's answer was added to the case file; the consumer was told."))
    return redirect("complaint_detail", pk=case.pk)


@require_POST
@login_required
def offer_make(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    part = _chosen_part(request, case)
    if part is None:
        parts = policy.parts_acting_for(request.user, case)
        part = parts[0] if len(parts) == 1 else None
    # One company's part when the person acts for one; else the case (the rule says who may).
    refused = _refuse(request, policy.MAKE_OFFER, part if part is not None else case, case.pk)
    if refused is not None:
        return refused
    form = OfferForm(request.POST, prefix="offer")
    if not form.is_valid():
        return _render_case(request, case, offer_form=form)
    try:
        services.offer_make(complaint=case, by=request.user, part=part, **form.cleaned_data)
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The offer was sent to the consumer, who can accept it, reject it or counter."))
    return redirect("complaint_detail", pk=case.pk)


def _chosen_part(request: AuthenticatedRequest, case: Complaint) -> CaseCompany | None:
    """The company a representative of several in the case chose to act for (a select on the page),
    with the case attached; None when no choice was posted. One they do not represent: a 403."""
    chosen = as_id(request.POST.get("part", ""))
    if chosen is None:
        return None
    part = next((part for part in policy.parts_acting_for(request.user, case) if part.pk == chosen), None)
    if part is None:
        raise PermissionDenied(_("You do not represent this company in this case."))
    return part


def _offer_for(user: User, pk: int) -> Offer:
    """The offer, if its case is visible to the user; a 404 otherwise."""
    offer = (
        Offer.objects.filter(pk=pk, complaint__in=complaints_visible_to(user))
        .select_related("complaint", "complaint__company", "part__company")
        .first()
    )
    if offer is None:
        raise Http404
    return offer


@require_POST
@login_required
def offer_accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    offer = _offer_for(request.user, pk)
    refused = _refuse(request, policy.ANSWER_OFFER, offer, offer.complaint_id)
    if refused is not None:
        return refused
    try:
        case = services.offer_accept(offer=offer, by=request.user)
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        if case.status == State.AGREEMENT or offer.part is None:
            messages.success(
                request, _("You accepted the offer: the complaint ends in an agreement, without a hearing.")
            )
        else:
            messages.success(
                request,
                _(
                    "You accepted the offer of %(company)s: the agreement with it is recorded; "
                    "the case goes on with the other companies."
                )
                % {"company": offer.part.display_name},
            )
    return redirect("complaint_detail", pk=offer.complaint_id)


@require_POST
@login_required
def offer_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    offer = _offer_for(request.user, pk)
    refused = _refuse(request, policy.ANSWER_OFFER, offer, offer.complaint_id)
    if refused is not None:
        return refused
    form = OfferRejectForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _render_case(request, complaint_for(request.user, offer.complaint_id), reject_form=form)
    try:
        answered = services.offer_reject(
            offer=offer,
            by=request.user,
            counter_terms=form.cleaned_data["counter_terms"],
            counter_amount=form.cleaned_data["counter_amount"],
        )
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        if answered.status == OfferStatus.COUNTERED:
            messages.success(request, _("You rejected the offer; the company received your counter-offer."))
        else:
            messages.success(request, _("You rejected the offer; the company was told."))
    return redirect("complaint_detail", pk=offer.complaint_id)


# --- Files -------------------------------------------------------------------------------------


@login_required
@require_safe
def evidence_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    evidence = evidence_for(request.user, pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    # Served as a download of the type we sniffed at upload, never rendered inline by the browser.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _image_uri(evidence: Evidence) -> str:
    """A file:// URI WeasyPrint can embed, for JPEG/PNG evidence kept on local storage."""
    if evidence.content_type not in EMBEDDABLE_IMAGES:
        return ""
    try:
        path = Path(evidence.file.path)
    except (NotImplementedError, ValueError):
        return ""  # remote storage: the export lists the file with its hash instead
    return path.as_uri() if path.is_file() else ""


@role_required(Role.OFFICER, Role.SUPERVISOR, Role.CONCILIATOR)
@require_safe
def complaint_export_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The whole case file as one PDF, for referral to sanction proceedings (sumario)."""
    case = complaint_for(request.user, pk)
    if not case.number:
        raise Http404
    context = _case_record(case)
    context.update(
        {
            "evidence_rows": [(item, _image_uri(item)) for item in context["evidence"]],
            "events_intact": case_events_intact(case),
            "generated_at": timezone.now(),
            "generated_by": request.user,
        }
    )
    pdf = render_pdf("complaints/pdf/case_file.html", context, request=request)
    return pdf_response(pdf, f"expediente-{case.number}.pdf")
