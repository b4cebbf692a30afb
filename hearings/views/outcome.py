"""The end of a hearing and what follows: the conciliator's console and the outcome, the acta (download
and confirmation), the office's approval, absences, the agreement's follow-up and the referral.

Thin views: load through `hearings_visible_to` / `complaint_for` (a 404 for anyone outside the
case), check the role, call the service in hearings/services/, and turn a refused move
(`CaseError`, which `HearingError` is) into a message. Who may do what now is asked of the rules in
hearings/policy.py: a refusal about who the person is answers 403, one about the moment is shown as a
message on the case page (the case page offers the same actions from the same rules)."""

from datetime import tzinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints.models import Complaint, PartStatus
from complaints.representation import parts_represented_by
from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services import CaseError
from complaints.services.parts import is_multi_company, parts_of
from parties.http import AuthenticatedRequest
from parties.models import Role, User
from parties.views import role_required

from .. import policy
from ..forms.outcome import (
    OUTCOME_FIELDS,
    AbsenceDecideForm,
    AbsenceJustifyForm,
    ActaConfirmForm,
    AgreementChoiceForm,
    CompaniesOutcomeForm,
    ComplianceAnswerForm,
    ComplianceProofForm,
    OutcomeForm,
    ReferForm,
)
from ..models import AbsenceJustification, Acta, Agreement, Attendance, ComplianceProof, Hearing, PartOutcome
from ..selectors import attendance_summary, hearings_visible_to
from ..services import absences as absence_services
from ..services import acta as acta_services
from ..services import approval as approval_services
from ..services import follow_up as follow_up_services
from ..services import outcome as outcome_services
from ..services import referral as referral_services
from ..services.shared import tolerance_ends_at, tolerance_minutes

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)


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


def _case_time_zone() -> tzinfo:
    """The office's time zone (settings.TIME_ZONE): the case's times are read in it."""
    return timezone.get_default_timezone()


def _hearing_for(user: User, pk: int) -> Hearing:
    hearing = hearings_visible_to(user).select_related("complaint__company").filter(pk=pk).first()
    if hearing is None:
        raise Http404
    return hearing


def _download(file: FieldFile, filename: str, content_type: str) -> FileResponse:
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    # A download of the type we checked, never rendered inline; private to the case.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The console and the outcome -------------------------------------------------------------------


def _outcome_form(hearing: Hearing, data: object = None) -> OutcomeForm | CompaniesOutcomeForm:
    """The outcome form: one for the whole case, or (several companies) a fieldset per company served."""
    case = hearing.complaint
    if is_multi_company(case):
        parts = [part for part in parts_of(case) if part.status == PartStatus.SERVED]
        return CompaniesOutcomeForm(data, parts=parts)
    return OutcomeForm(data)


def _render_console(
    request: AuthenticatedRequest, hearing: Hearing, form: OutcomeForm | CompaniesOutcomeForm
) -> HttpResponse:
    user = request.user
    case = hearing.complaint
    now = timezone.now()
    acta = Acta.objects.filter(hearing=hearing).first()
    context = {
        "hearing": hearing,
        "case": case,
        "attendance": attendance_summary(hearing),
        "evidence": list(case.evidence.all()),
        "answers": list(case.answers.select_related("author")),
        "offers": list(case.offers.select_related("made_by")),
        "agreement": Agreement.objects.filter(complaint=case).first(),
        "agreements": list(Agreement.objects.filter(hearing=hearing).select_related("part__company").order_by("pk")),
        "part_outcomes": list(hearing.part_outcomes.select_related("part__company").order_by("pk")),
        "acta": acta,
        "form": form,
        "companies": form.companies() if isinstance(form, CompaniesOutcomeForm) else None,
        "outcome_fields": {str(outcome): list(names) for outcome, names in OUTCOME_FIELDS.items()},
        "tolerance_minutes": tolerance_minutes(),
        "tolerance_ends_at": tolerance_ends_at(hearing),
        "started": now >= hearing.starts_at,
        "tolerance_over": now >= tolerance_ends_at(hearing),
        "can_record": policy.may_record_outcome(user, hearing),
        "is_conciliator": user.pk == hearing.conciliator_id,
        "case_time_zone": _case_time_zone(),
    }
    return render(request, "hearings/outcome/console.html", context)


@login_required
@require_safe
def hearing_console(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    hearing = _hearing_for(request.user, pk)
    refused = _refuse(request, policy.OPEN_CONSOLE, hearing, hearing.complaint_id)
    if refused is not None:
        return refused
    return _render_console(request, hearing, _outcome_form(hearing))


@require_POST
@login_required
def hearing_outcome(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _hearing_for(user, pk)
    refused = _refuse(request, policy.OPEN_CONSOLE, hearing, hearing.complaint_id)
    if refused is not None:
        return refused
    form = _outcome_form(hearing, request.POST)
    if not form.is_valid():
        return _render_console(request, hearing, form)
    try:
        recorded = outcome_services.outcome_record(hearing=hearing, by=user, **form.service_kwargs())
    except CaseError as error:
        if isinstance(form, CompaniesOutcomeForm):
            form.add_error(None, str(error))  # shown in the error summary, in the person's language
        else:
            messages.error(request, str(error))
        return _render_console(request, hearing, form)
    if recorded.outcome == Hearing.Outcome.ADJOURNED:
        messages.success(request, _("The hearing was adjourned (cuarto intermedio); the parties were told."))
    else:
        messages.success(
            request,
            _(
                "The outcome was recorded: %(outcome)s. "
                "The acta is being prepared; the parties will be asked to confirm it."
            )
            % {"outcome": recorded.get_outcome_display()},
        )
    if policy.may_open_console(user, recorded):
        return redirect("hearing_console", pk=hearing.pk)
    return redirect("complaint_detail", pk=hearing.complaint_id)


# --- The acta --------------------------------------------------------------------------------------


@login_required
@require_safe
def acta_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    hearing = _hearing_for(request.user, pk)
    acta = policy.acta_of(hearing)
    if acta is None or not policy.may_read_acta(request.user, hearing):
        raise Http404
    number = hearing.complaint.number or hearing.complaint_id
    return _download(acta.file, f"acta-{number}-{hearing.pk}.pdf", "application/pdf")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def acta_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _hearing_for(user, pk)
    if not policy.is_party_or_office(user, hearing):
        raise Http404
    acta = Acta.objects.filter(hearing=hearing).first()
    confirmations = list(acta.confirmations.select_related("user")) if acta else []
    mine = next((c for c in confirmations if c.user_id == user.pk), None)
    if request.method == "POST":
        form = ActaConfirmForm(request.POST)
        if form.is_valid():
            try:
                acta_services.acta_confirm(hearing=hearing, by=user, sha256=form.cleaned_data["sha256"])
            except CaseError as error:
                messages.error(request, str(error))
                return redirect("acta_confirm", pk=hearing.pk)
            messages.success(
                request, _("You confirmed the acta. The time and the document's SHA-256 hash were recorded.")
            )
            return redirect("complaint_detail", pk=hearing.complaint_id)
    else:
        form = ActaConfirmForm(initial={"sha256": acta.sha256 if acta else ""})
    return render(
        request,
        "hearings/outcome/acta_confirm.html",
        {
            "hearing": hearing,
            "case": hearing.complaint,
            "acta": acta,
            "confirmations": confirmations,
            "mine": mine,
            "can_confirm": policy.may_confirm_acta(user, hearing),
            "form": form,
            "attendance": attendance_summary(hearing),
            # Each company's outcome and agreement (a case may name several): what the PDF says.
            "part_outcomes": list(
                PartOutcome.objects.filter(hearing=hearing).select_related("part__company").order_by("part__position")
            ),
            "agreements": list(
                Agreement.objects.filter(complaint_id=hearing.complaint_id, hearing=hearing)
                .select_related("part__company")
                .order_by("part__position", "pk")
            ),
            "case_time_zone": _case_time_zone(),
        },
    )


@require_POST
@office_required
def agreement_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    case = complaint_for(user, pk)
    refused = _refuse(request, policy.APPROVE_AGREEMENT, case, case.pk)
    if refused is not None:
        return refused
    try:
        agreement = approval_services.agreement_approve(complaint=case, by=user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "The agreement was approved (homologado). "
                "On %(date)s the consumer will be asked whether it was honoured."
            )
            % {"date": formats.date_format(agreement.compliance_due, "SHORT_DATE_FORMAT")},
        )
    return redirect("complaint_detail", pk=case.pk)


# --- Absences --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def absence_justify(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _hearing_for(user, pk)
    if hearing.outcome not in policy.ABSENT_PARTY:
        raise Http404
    refused = _refuse(request, policy.JUSTIFY_ABSENCE, hearing, hearing.complaint_id)
    if refused is not None:
        return refused
    form = AbsenceJustifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            absence_services.absence_justify(
                hearing=hearing, by=user, text=form.cleaned_data["text"], file=form.cleaned_data.get("file")
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Your justification was sent. The office will decide on it and you will be told.")
            )
            return redirect("complaint_detail", pk=hearing.complaint_id)
    return render(
        request,
        "hearings/outcome/absence_justify.html",
        {"hearing": hearing, "case": hearing.complaint, "form": form, "case_time_zone": _case_time_zone()},
    )


def _justification_for(user: User, pk: int) -> AbsenceJustification:
    justification = (
        AbsenceJustification.objects.filter(pk=pk, hearing__in=hearings_visible_to(user).values("pk"))
        .select_related("hearing", "hearing__complaint", "hearing__conciliator", "submitted_by", "decided_by")
        .first()
    )
    if justification is None:
        raise Http404
    return justification


@office_required
@require_http_methods(["GET", "HEAD", "POST"])
def absence_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    justification = _justification_for(user, pk)
    refused = _refuse(request, policy.DECIDE_JUSTIFICATION, justification, justification.hearing.complaint_id)
    if refused is not None:
        return refused
    form = AbsenceDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            absence_services.absence_decide(
                justification=justification, by=user, accept=accept, reason=form.cleaned_data["reason"]
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _decision_message(justification.party, accept))
            return redirect("complaint_detail", pk=justification.hearing.complaint_id)
    return render(
        request,
        "hearings/outcome/absence_decide.html",
        {
            "justification": justification,
            "hearing": justification.hearing,
            "case": justification.hearing.complaint,
            "form": form,
            "case_time_zone": _case_time_zone(),
        },
    )


def _decision_message(party: str, accept: bool) -> str:
    if party == Attendance.Party.COMPANY:
        if accept:
            return _("The justification was accepted. Schedule the new hearing from the case.")
        return _("The justification was not accepted: the case was referred to the legal department.")
    if accept:
        return _("The justification was accepted: the case was reactivated. Schedule the new hearing from the case.")
    return _("The justification was not accepted: the complaint is deemed withdrawn.")


@login_required
@require_safe
def absence_justification_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The supporting document: for the office, the conciliator and the side that filed it."""
    justification = _justification_for(request.user, pk)
    if not policy.may_read_justification_file(request.user, justification):
        raise Http404
    name = justification.file.name or ""
    extension = name[name.rfind(".") :] if "." in name else ""
    content_type = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}.get(
        extension, "application/octet-stream"
    )
    return _download(justification.file, f"justificacion-{justification.pk}{extension}", content_type)


# --- The agreement's follow-up ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def compliance_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The consumer (or their validated representative, or the office) says whether the company
    complied. In a case of several companies the answer is about one company's agreement: its id is
    posted (or given in the address) and checked against the case's own open agreements."""
    user = request.user
    case = complaint_for(user, pk)
    agreements = list(
        Agreement.objects.filter(complaint=case)
        .select_related("part__company")
        .prefetch_related("proofs")
        .order_by("pk")
    )
    if not agreements:
        raise Http404
    refusal = policy.why_not(policy.ANSWER_COMPLIANCE, user, case)
    if refusal is not None and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    form = ComplianceAnswerForm(request.POST or None)
    agreement, chooser = agreements[0], None
    if is_multi_company(case):
        open_ones = [a for a in agreements if a.part is not None and a.part.status == PartStatus.AGREEMENT]
        given = request.POST if request.method == "POST" else (request.GET if "agreement" in request.GET else None)
        chooser = AgreementChoiceForm(given, agreements=open_ones)
        if given is not None and chooser.is_valid():
            agreement = chooser.chosen()
        elif open_ones:
            agreement = open_ones[0]
    if request.method == "POST" and form.is_valid():
        if chooser is not None and not chooser.is_valid():
            for error in chooser.errors.get("agreement", []):
                form.add_error(None, error)
        else:
            chosen = agreement if chooser is not None else None
            try:
                if form.cleaned_data["complied"] == "yes":
                    follow_up_services.compliance_confirm(complaint=case, by=user, agreement=chosen)
                    done = (
                        _("Thank you. %(company)s honoured its agreement.") % {"company": chosen.part.display_name}
                        if chosen is not None and chosen.part is not None
                        else _("Thank you. The agreement was honoured and the case is closed.")
                    )
                else:
                    follow_up_services.compliance_report_breach(
                        complaint=case, by=user, details=form.cleaned_data["details"], agreement=chosen
                    )
                    done = (
                        _("The breach was recorded and the part of %(company)s was referred to the legal department.")
                        % {"company": chosen.part.display_name}
                        if chosen is not None and chosen.part is not None
                        else _("The breach was recorded and the case was referred to the legal department.")
                    )
            except CaseError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, done)
                return redirect("complaint_detail", pk=case.pk)
    return render(
        request,
        "hearings/outcome/compliance_answer.html",
        {
            "case": case,
            "agreement": agreement,
            "several": chooser is not None,
            "proofs": list(agreement.proofs.all()),
            "can_answer": refusal is None,
            "form": form,
            "case_time_zone": _case_time_zone(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def compliance_proof_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    case = complaint_for(user, pk)
    refused = _refuse(request, policy.UPLOAD_COMPLIANCE_PROOF, case, case.pk)
    if refused is not None:
        return refused
    # The person's own company's agreement (a case of several companies has one per company).
    agreement = policy.compliance_agreement_for(case, list(parts_represented_by(user, case)))
    form = ComplianceProofForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up_services.compliance_proof_upload(
                complaint=case, by=user, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("The proof was added to the case file. The consumer and the office can see it.")
            )
            return redirect("complaint_detail", pk=case.pk)
    return render(
        request,
        "hearings/outcome/proof_upload.html",
        {
            "case": case,
            "agreement": agreement,
            "proofs": list(agreement.proofs.all()) if agreement else [],
            "form": form,
            "case_time_zone": _case_time_zone(),
        },
    )


@login_required
@require_safe
def compliance_proof_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    proof = (
        ComplianceProof.objects.filter(pk=pk, agreement__complaint__in=complaints_visible_to(request.user))
        .select_related("agreement__complaint")
        .first()
    )
    if proof is None or not policy.may_read_compliance_proof(request.user, proof):
        raise Http404
    return _download(proof.file, proof.original_name, proof.content_type)


# --- Referral --------------------------------------------------------------------------------------


@office_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_refer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    case: Complaint = complaint_for(user, pk)
    refused = _refuse(request, policy.REFER_CASE, case, case.pk)
    if refused is not None:
        return refused
    form = ReferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_services.case_refer(complaint=case, by=user, reason=form.cleaned_data["reason"])
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The case was referred to the legal department; the parties were told."))
            return redirect("complaint_detail", pk=case.pk)
    return render(request, "hearings/outcome/case_refer.html", {"case": case, "form": form})
