"""The end of a hearing and what follows: the conciliator's console and the outcome, the acta (download
and confirmation), the office's approval, absences, the agreement's follow-up and the referral.

Thin views: load through `hearings_visible_to` / `complaint_for` (a 404 for anyone outside the
case), check the role, call the service in hearings/services/outcome.py, and turn a refused move
(`CaseError`, which `HearingError` is) into a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints.models import Complaint
from complaints.selectors import complaint_for, complaints_visible_to
from complaints.services import CaseError
from complaints.states import State, represents
from parties.models import Role, User
from parties.views import role_required

from ..forms.outcome import (
    OUTCOME_FIELDS,
    AbsenceDecideForm,
    AbsenceJustifyForm,
    ActaConfirmForm,
    ComplianceAnswerForm,
    ComplianceProofForm,
    OutcomeForm,
    ReferForm,
)
from ..models import AbsenceJustification, Acta, Agreement, Attendance, ComplianceProof, Hearing
from ..selectors import attendance_summary, hearings_visible_to, party_of
from ..services import outcome as services

office_required = role_required(Role.OFFICER, Role.SUPERVISOR)
CASE_TIME_ZONE = "America/Argentina/Buenos_Aires"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


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


def _ensure_console(user: User, hearing: Hearing) -> None:
    """The conciliator holding the hearing runs it; the office may look on and record it too."""
    if user.pk != hearing.conciliator_id and not services.is_office(user):
        raise PermissionDenied


def _render_console(request: HttpRequest, hearing: Hearing, form: OutcomeForm) -> HttpResponse:
    user = _user(request)
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
        "acta": acta,
        "form": form,
        "outcome_fields": {str(outcome): list(names) for outcome, names in OUTCOME_FIELDS.items()},
        "tolerance_minutes": services.tolerance_minutes(),
        "tolerance_ends_at": services.tolerance_ends_at(hearing),
        "started": now >= hearing.starts_at,
        "tolerance_over": now >= services.tolerance_ends_at(hearing),
        "can_record": hearing.status == Hearing.Status.SCHEDULED,
        "is_conciliator": user.pk == hearing.conciliator_id,
        "case_time_zone": CASE_TIME_ZONE,
    }
    return render(request, "hearings/outcome/console.html", context)


@login_required
@require_safe
def hearing_console(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing_for(_user(request), pk)
    _ensure_console(_user(request), hearing)
    return _render_console(request, hearing, OutcomeForm())


@require_POST
@login_required
def hearing_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    hearing = _hearing_for(user, pk)
    _ensure_console(user, hearing)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _render_console(request, hearing, form)
    try:
        recorded = services.outcome_record(hearing=hearing, by=user, **form.service_kwargs())
    except CaseError as error:
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
    return redirect("hearing_console", pk=hearing.pk)


# --- The acta --------------------------------------------------------------------------------------


def _ensure_acta_reader(user: User, hearing: Hearing) -> str | None:
    """The parties, the conciliator and the office read the acta; the side the user is on, if any."""
    party = party_of(hearing, user)
    if party is None and not services.is_office(user):
        raise Http404
    return party


@login_required
@require_safe
def acta_download(request: HttpRequest, pk: int) -> FileResponse:
    hearing = _hearing_for(_user(request), pk)
    _ensure_acta_reader(_user(request), hearing)
    acta = Acta.objects.filter(hearing=hearing).first()
    if acta is None or not acta.is_ready:
        raise Http404
    number = hearing.complaint.number or hearing.complaint_id
    return _download(acta.file, f"acta-{number}-{hearing.pk}.pdf", "application/pdf")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def acta_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    hearing = _hearing_for(user, pk)
    party = _ensure_acta_reader(user, hearing)
    acta = Acta.objects.filter(hearing=hearing).first()
    confirmations = list(acta.confirmations.select_related("user")) if acta else []
    mine = next((c for c in confirmations if c.user_id == user.pk), None)
    if request.method == "POST":
        form = ActaConfirmForm(request.POST)
        if form.is_valid():
            try:
                services.acta_confirm(hearing=hearing, by=user, sha256=form.cleaned_data["sha256"])
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
            "can_confirm": party is not None and acta is not None and acta.is_ready and mine is None,
            "form": form,
            "attendance": attendance_summary(hearing),
            "agreement": Agreement.objects.filter(complaint_id=hearing.complaint_id, hearing=hearing).first(),
            "case_time_zone": CASE_TIME_ZONE,
        },
    )


@require_POST
@office_required
def agreement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    case = complaint_for(user, pk)
    try:
        agreement = services.agreement_approve(complaint=case, by=user)
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
def absence_justify(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    hearing = _hearing_for(user, pk)
    absent = services.ABSENT_PARTY.get(hearing.outcome)
    if absent is None:
        raise Http404
    if party_of(hearing, user) != absent:
        raise PermissionDenied
    form = AbsenceJustifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_justify(
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
        {"hearing": hearing, "case": hearing.complaint, "form": form, "case_time_zone": CASE_TIME_ZONE},
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
def absence_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    justification = _justification_for(user, pk)
    form = AbsenceDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.absence_decide(
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
            "case_time_zone": CASE_TIME_ZONE,
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
def absence_justification_file(request: HttpRequest, pk: int) -> FileResponse:
    """The supporting document: for the office, the conciliator and the side that filed it."""
    user = _user(request)
    justification = _justification_for(user, pk)
    side = party_of(justification.hearing, user)
    if not justification.file or not (
        services.is_office(user) or side in (justification.party, Attendance.Party.CONCILIATOR)
    ):
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
def compliance_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    case = complaint_for(user, pk)
    if user.pk != case.consumer_id and not services.is_office(user):
        raise PermissionDenied
    agreement = Agreement.objects.filter(complaint=case).prefetch_related("proofs").first()
    if agreement is None:
        raise Http404
    form = ComplianceAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["complied"] == "yes":
                services.compliance_confirm(complaint=case, by=user)
                done = _("Thank you. The agreement was honoured and the case is closed.")
            else:
                services.compliance_report_breach(complaint=case, by=user, details=form.cleaned_data["details"])
                done = _("The breach was recorded and the case was referred to the legal department.")
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
            "proofs": list(agreement.proofs.all()),
            "can_answer": case.status == State.AGREEMENT_APPROVED,
            "form": form,
            "case_time_zone": CASE_TIME_ZONE,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def compliance_proof_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    case = complaint_for(user, pk)
    if not represents(user, case):
        raise PermissionDenied
    agreement = Agreement.objects.filter(complaint=case).prefetch_related("proofs").first()
    form = ComplianceProofForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.compliance_proof_upload(
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
            "case_time_zone": CASE_TIME_ZONE,
        },
    )


@login_required
@require_safe
def compliance_proof_download(request: HttpRequest, pk: int) -> FileResponse:
    proof = (
        ComplianceProof.objects.filter(pk=pk, agreement__complaint__in=complaints_visible_to(_user(request)))
        .select_related("agreement")
        .first()
    )
    if proof is None:
        raise Http404
    return _download(proof.file, proof.original_name, proof.content_type)


# --- Referral --------------------------------------------------------------------------------------


@office_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_refer(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    case: Complaint = complaint_for(user, pk)
    form = ReferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_refer(complaint=case, by=user, reason=form.cleaned_data["reason"])
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The case was referred to the legal department; the parties were told."))
            return redirect("complaint_detail", pk=case.pk)
    return render(request, "hearings/outcome/case_refer.html", {"case": case, "form": form})
