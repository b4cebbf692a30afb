"""The admission office: the queue of submitted complaints and the three decisions on each one.
Thin views: check the role, load the case through `complaint_for`, call the service, and turn a
refused move into a message."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import services
from complaints.forms.office import (
    AdmissionFilterForm,
    AdmitForm,
    ObserveForm,
    ReferOutForm,
    RejectForm,
    VulnerableFlagForm,
    VulnerableUnflagForm,
)
from complaints.models import CaseCompany, Complaint, ServiceMethod
from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services import paper
from complaints.services import parts as case_parts
from complaints.services.referral_out import complaint_refer_out as refer_out_service
from complaints.services.vulnerable import complaint_flag_vulnerable, complaint_unflag_vulnerable
from complaints.states import State
from complaints.views.allocation import queue_filter
from parties import services as party_services
from parties.business_days import business_days_between
from parties.http import AuthenticatedRequest
from parties.models import Company, Role
from parties.paginator import KeysFirstPaginator
from parties.views import role_required

PAGE_SIZE = 25

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)


@dataclass
class QueueRow:
    case: Complaint
    age: int  # business days since it was (re)submitted
    due_at: datetime | None  # the deadline that runs now: the office's review, or the consumer's correction
    overdue: bool


def _queue_row(case: Complaint, now: datetime) -> QueueRow:
    due_at = case.correction_due_at if case.status == State.OBSERVED else case.review_due_at
    submitted_on = timezone.localdate(case.submitted_at) if case.submitted_at else timezone.localdate(now)
    return QueueRow(
        case=case,
        age=business_days_between(submitted_on, timezone.localdate(now)),
        due_at=due_at,
        overdue=due_at is not None and due_at < now,
    )


@office_required
def admission_queue(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    form = AdmissionFilterForm(request.GET or None)
    officer = request.user
    cases = form.filter(complaints_visible_to(officer), now=now, user=officer)
    cases, allocation = queue_filter(request, cases)  # my queue / unassigned / all, and the assignee
    # "Possible duplicates" (the badge's link in each row): the few flagged, through the index of `duplicate_of`.
    duplicates_only = request.GET.get("duplicates") == "1"
    if duplicates_only:
        cases = cases.filter(duplicate_of__isnull=False, status=State.SUBMITTED)
    # Hipervulnerable consumers first, then oldest first: the (status, -vulnerable, submitted_at, id)
    # index `complaint_queue_vulnerable` serves the order, the count and a deep page's keys.
    cases = cases.select_related("company").order_by("-vulnerable", "submitted_at", "pk")
    page = KeysFirstPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [_queue_row(case, now) for case in page.object_list]
    company_id = form.cleaned_data.get("company") if form.is_bound and form.is_valid() else None
    company = Company.objects.filter(pk=company_id).first() if company_id else None
    return render(
        request,
        "complaints/office/admission_queue.html",
        {
            "form": form,
            "filter_fields": [form["status"], form["age"], form["province"], form["channel"]],
            "page_obj": page,
            "company": company,
            "filtered": form.narrows() or duplicates_only or allocation["assigned"] != "all",
            **allocation,
            "review_days": settings.DEADLINES["ADMISSION_REVIEW"],
            "vulnerable_review_days": settings.DEADLINES["ADMISSION_REVIEW_VULNERABLE"],
        },
    )


def _refused(request: AuthenticatedRequest, case: Complaint, error: Exception) -> HttpResponse:
    messages.error(request, str(error))
    return redirect("complaint_detail", pk=case.pk)


def _invalid(request: AuthenticatedRequest, case: Complaint, form: Form, title: str, action: str) -> HttpResponse:
    """The decision form again, with its errors and what the officer typed."""
    return render(
        request,
        "complaints/office/decision_form.html",
        {"case": case, "form": form, "title": title, "action": action},
    )


@require_POST
@office_required
def complaint_admit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    case = complaint_for(officer, pk)
    form = AdmitForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form, _("Admit complaint %(number)s") % {"number": case}, "complaint_admit")
    try:
        case = services.complaint_admit(complaint=case, by=officer, note=form.cleaned_data["note"])
    except services.CaseError as error:
        return _refused(request, case, error)
    messages.success(request, _("Complaint %(number)s was admitted.") % {"number": case.number})
    _tell_service(request, case, form.cleaned_data["company_email"])
    return redirect("admission_queue")


def _names(parts: list[CaseCompany]) -> str:
    return ", ".join(part.display_name for part in parts)


def _tell_service(request: AuthenticatedRequest, case: Complaint, email: str) -> None:
    """After admission, per company: which were served at their electronic domicile, and which await
    a notice on paper (no deadline runs against those until its delivery is recorded)."""
    parts = list(case_parts.parts_of(case))
    served = [part for part in parts if part.service_method == ServiceMethod.ELECTRONIC]
    on_paper = [part for part in parts if paper.awaits_paper_service(part, case)]
    if served:
        messages.info(request, _("Served at its electronic domicile: %(companies)s.") % {"companies": _names(served)})
    if not on_paper:
        return
    messages.warning(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _(
                "No electronic domicile, awaiting a notice on paper: %(companies)s. No deadline runs against "
                "them until the delivery of that notice is recorded."
            )
            % {"companies": _names(on_paper)},
            reverse("paper_service_list"),
            _("Go to the notices on paper"),
        ),
    )
    _invite_company(request, on_paper, email)


def _invite_company(request: AuthenticatedRequest, on_paper: list[CaseCompany], email: str) -> None:
    """The company without an electronic domicile is invited to set one up, at the address the
    officer gave. Only when exactly one company of the case lacks one: with several, whose address
    it is would be a guess, so each is invited from its own page. The admission stands even if the
    invitation is refused: the officer can invite again from the company's page."""
    if not email:
        return
    company = on_paper[0].company if len(on_paper) == 1 else None
    if company is None:
        messages.warning(
            request,
            _(
                "Nobody was invited: several companies have no electronic domicile. "
                "Invite a representative of each from its company's page."
            )
            if len(on_paper) > 1
            else _("Nobody was invited: invite a representative from the company's page."),
        )
        return
    try:
        invitation = party_services.invitation_create(company=company, email=email, is_admin=True, by=request.user)
    except party_services.PartiesError as error:
        messages.warning(request, str(error))
    else:
        messages.info(
            request,
            _("%(email)s was invited to register %(company)s and set up its electronic domicile.")
            % {"email": invitation.email, "company": company.legal_name},
        )


@require_POST
@office_required
def complaint_observe(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    case = complaint_for(officer, pk)
    form = ObserveForm(request.POST)
    if not form.is_valid():
        title = _("Request corrections to %(number)s") % {"number": case}
        return _invalid(request, case, form, title, "complaint_observe")
    try:
        case = services.complaint_observe(complaint=case, by=officer, observation=form.cleaned_data["observation"])
    except services.CaseError as error:
        return _refused(request, case, error)
    messages.success(
        request,
        _("Complaint %(number)s was returned to the consumer for corrections.") % {"number": case.number},
    )
    return redirect("admission_queue")


@require_POST
@office_required
def complaint_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    case = complaint_for(officer, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form, _("Reject complaint %(number)s") % {"number": case}, "complaint_reject")
    try:
        case = services.complaint_reject(
            complaint=case, by=officer, reason=form.cleaned_data["reason"], detail=form.cleaned_data["detail"].strip()
        )
    except services.CaseError as error:
        return _refused(request, case, error)
    messages.success(request, _("Complaint %(number)s was rejected.") % {"number": case.number})
    return redirect("admission_queue")


@require_POST
@office_required
def complaint_refer_out(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    officer = request.user
    case = complaint_for(officer, pk)
    form = ReferOutForm(request.POST)
    if not form.is_valid():
        title = _("Refer %(number)s to the competent authority") % {"number": case}
        return _invalid(request, case, form, title, "complaint_refer_out")
    try:
        case = refer_out_service(
            complaint=case,
            by=officer,
            authority_code=form.cleaned_data["authority"],
            reason=form.cleaned_data["reason"],
        )
    except services.CaseError as error:
        return _refused(request, case, error)
    messages.success(
        request,
        _("Complaint %(number)s was referred to the competent authority, and the consumer was told why.")
        % {"number": case.number},
    )
    return redirect("admission_queue")


@require_POST
@office_required
def complaint_vulnerable(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Flag the consumer as hipervulnerable (with categories), or remove the flag (`unflag` posted)."""
    officer = request.user
    case = complaint_for(officer, pk)
    unflag = "unflag" in request.POST
    form: Form = VulnerableUnflagForm(request.POST) if unflag else VulnerableFlagForm(request.POST)
    if not form.is_valid():
        title = (
            _("Remove the hipervulnerable flag from %(number)s")
            if unflag
            else _("Flag the consumer of %(number)s as hipervulnerable")
        ) % {"number": case}
        return _invalid(request, case, form, title, "complaint_vulnerable")
    try:
        if unflag:
            case = complaint_unflag_vulnerable(complaint=case, by=officer, note=form.cleaned_data["note"])
        else:
            case = complaint_flag_vulnerable(
                complaint=case, by=officer, categories=form.cleaned_data["categories"], note=form.cleaned_data["note"]
            )
    except services.CaseError as error:
        return _refused(request, case, error)
    if unflag:
        messages.success(request, _("The hipervulnerable flag was removed."))
    else:
        messages.success(request, _("The consumer was flagged as hipervulnerable: the case is reviewed first."))
    return redirect("complaint_detail", pk=case.pk)
