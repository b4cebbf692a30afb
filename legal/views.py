"""The legal directorate's pages: its queue, a proceeding, and each move (thin: load through the
scoping function, ask the rule, call the service, turn its refusal into a message)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from complaints import actions as case_actions
from complaints.errors import CaseError
from complaints.pdf import pdf_response, render_pdf
from complaints.selectors import case_events_intact
from complaints.views import case_file
from parties.http import AuthenticatedRequest, as_id
from parties.models import Role
from parties.paginator import CappedPaginator
from parties.views import role_required

from . import policy, services
from .forms import (
    AppealDecisionForm,
    AppealForm,
    ArchiveForm,
    ChargeForm,
    DefenceForm,
    FinalizeForm,
    QueueFilterForm,
    ReceiveForm,
    ResolveForm,
    prefix_for,
)
from .models import Proceeding
from .selectors import QueueFilters, proceeding_for, proceedings_visible_to, queue

PAGE_SIZE = 25
LEGAL_PAGES = (Role.LEGAL, Role.SUPERVISOR)


def _pk(value: object) -> int:
    pk = as_id(value)
    if pk is None:
        raise Http404
    return pk


@role_required(*LEGAL_PAGES)
@require_safe
def proceeding_queue(request: AuthenticatedRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = QueueFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = QueueFilters(
            status=data["status"],
            reason=data["reason"],
            company=data["company"],
            case_number=data["case_number"],
            overdue=data["overdue"],
        )
    rows = queue(proceedings_visible_to(request.user), filters)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "legal/queue.html", {"filters": form, "page_obj": page, "now": timezone.now()})


def _forms(proceeding: Proceeding, user, bound: dict | None = None) -> dict:
    """Each move's form, only where the rule allows it (the page offers what the server accepts)."""
    bound = bound or {}
    offers = {
        "receive_form": (policy.RECEIVE, ReceiveForm),
        "charge_form": (policy.CHARGE, ChargeForm),
        "archive_form": (policy.ARCHIVE, ArchiveForm),
        "defence_form": (policy.FILE_DEFENCE, DefenceForm),
        "resolve_form": (policy.RESOLVE, ResolveForm),
        "appeal_form": (policy.FILE_APPEAL, AppealForm),
        "finalize_form": (policy.FINALIZE, FinalizeForm),
        "decide_appeal_form": (policy.DECIDE_APPEAL, AppealDecisionForm),
    }
    return {
        name: bound.get(name) or form_class(user=user, prefix=prefix_for(name.removesuffix("_form"), proceeding))
        for name, (action, form_class) in offers.items()
        if policy.allowed(action, user, proceeding)
    }


def _charge_refusal(proceeding: Proceeding, user) -> str:
    """Why the directorate is not offered the charge now, when it is not because of the proceeding's
    state (the company cannot be served a formal notice): the page says so instead of a silent gap."""
    if not policy.is_legal(user) or proceeding.status != "received" or proceeding.acknowledged_at is None:
        return ""
    refusal = policy.why_not(policy.CHARGE, user, proceeding)
    return refusal.message if refusal is not None else ""


def _render_proceeding(request: AuthenticatedRequest, proceeding: Proceeding, **bound) -> HttpResponse:
    case = proceeding.complaint
    events = [
        (event, case_actions.get(event.action).label if case_actions.is_declared(event.action) else event.action)
        for event in case.events.select_related("actor").order_by("-created_at", "-pk")
    ]
    context = {
        "proceeding": proceeding,
        "case": case,
        "events": events,
        "may_read_defence": policy.allowed(policy.READ_DEFENCE_FILE, request.user, proceeding),
        "charge_refusal": _charge_refusal(proceeding, request.user),
        **_forms(proceeding, request.user, bound),
    }
    return render(request, "legal/proceeding.html", context, status=400 if bound else 200)


@role_required(*LEGAL_PAGES)
@require_safe
def proceeding_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_proceeding(request, proceeding_for(request.user, _pk(pk)))


def _move(
    action: str,
    form_class: type,
    name: str,
    run: Callable[[Proceeding, AuthenticatedRequest, dict], object],
    done: str,
) -> Callable[[AuthenticatedRequest, int], HttpResponse]:
    """A POST view for one move: 404 for who cannot see the proceeding, 403 for who may never do it,
    the refusal as a message for a moment it is not possible (a double submit included)."""

    @login_required
    @require_POST
    def view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        proceeding = proceeding_for(request.user, _pk(pk))
        back = _back(request, proceeding)
        refusal = policy.why_not(action, request.user, proceeding)
        if refusal is not None:
            if refusal.forbidden:
                raise PermissionDenied(refusal.message)
            messages.error(request, refusal.message)
            return redirect(back)
        form = form_class(request.POST, request.FILES, user=request.user, prefix=prefix_for(name, proceeding))
        if not form.is_valid():
            if policy.is_legal(request.user):
                return _render_proceeding(request, proceeding, **{f"{name}_form": form})
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        try:
            run(proceeding, request, form.cleaned_data)
        except CaseError as error:
            messages.error(request, str(error))
            return redirect(back)
        messages.success(request, done)
        return redirect(back)

    view.__name__ = f"proceeding_{name}"
    return view


def _back(request: AuthenticatedRequest, proceeding: Proceeding) -> str:
    if request.user.role in LEGAL_PAGES:
        return reverse("legal_proceeding", args=[proceeding.pk])
    return reverse("complaint_detail", args=[proceeding.complaint_id]) + "#legal"


proceeding_receive = _move(
    policy.RECEIVE,
    ReceiveForm,
    "receive",
    lambda p, r, d: services.proceeding_receive(proceeding=p, by=r.user, note=d["note"]),
    _("Receipt acknowledged. The parties were told."),
)
proceeding_charge = _move(
    policy.CHARGE,
    ChargeForm,
    "charge",
    lambda p, r, d: services.proceeding_charge(proceeding=p, by=r.user, text=d["text"]),
    _("Charge recorded. The company was notified with its deadline for a defence."),
)
proceeding_archive = _move(
    policy.ARCHIVE,
    ArchiveForm,
    "archive",
    lambda p, r, d: services.proceeding_archive(proceeding=p, by=r.user, reason=d["reason"]),
    _("Referral archived. The parties were told."),
)
proceeding_defence = _move(
    policy.FILE_DEFENCE,
    DefenceForm,
    "defence",
    lambda p, r, d: services.proceeding_file_defence(
        proceeding=p, by=r.user, text=d["text"], file=d.get("file"), filed_on=d.get("filed_on")
    ),
    _("Defence filed."),
)
proceeding_resolve = _move(
    policy.RESOLVE,
    ResolveForm,
    "resolve",
    lambda p, r, d: services.proceeding_resolve(
        proceeding=p,
        by=r.user,
        sanction=d["decision"] == ResolveForm.SANCTION,
        text=d["text"],
        act_number=d["act_number"],
        fine_units=d.get("fine_units"),
    ),
    _("Resolution recorded. The parties were notified."),
)
proceeding_appeal = _move(
    policy.FILE_APPEAL,
    AppealForm,
    "appeal",
    lambda p, r, d: services.proceeding_file_appeal(
        proceeding=p, by=r.user, text=d["text"], filed_on=d.get("filed_on")
    ),
    _("Appeal filed."),
)
proceeding_finalize = _move(
    policy.FINALIZE,
    FinalizeForm,
    "finalize",
    lambda p, r, d: services.proceeding_finalize(proceeding=p, by=r.user),
    _("The sanction is recorded as final."),
)
proceeding_decide_appeal = _move(
    policy.DECIDE_APPEAL,
    AppealDecisionForm,
    "decide_appeal",
    lambda p, r, d: services.proceeding_decide_appeal(
        proceeding=p, by=r.user, outcome=d["outcome"], text=d["text"], fine_units=d.get("fine_units")
    ),
    _("The result of the appeal is recorded. The parties were notified."),
)


@login_required
@require_safe
def defence_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    proceeding = proceeding_for(request.user, _pk(pk))
    if not proceeding.defence_file or not policy.allowed(policy.READ_DEFENCE_FILE, request.user, proceeding):
        raise Http404
    try:
        handle = proceeding.defence_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"descargo-{proceeding.pk}.pdf", content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*LEGAL_PAGES)
@require_safe
def referral_file(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The whole case file as one PDF, the same document the office's export renders
    (complaints/views/case_file.py), for the legal directorate, which does not see the case list."""
    proceeding = proceeding_for(request.user, _pk(pk))
    case = proceeding.complaint
    if not case.number:
        raise Http404
    context = case_file._case_record(case)
    context.update(
        {
            "evidence_rows": [(item, case_file._image_uri(item)) for item in context["evidence"]],
            "events_intact": case_events_intact(case),
            "generated_at": timezone.now(),
            "generated_by": request.user,
        }
    )
    pdf = render_pdf("complaints/pdf/case_file.html", context, request=request)
    return pdf_response(pdf, f"expediente-{case.number}.pdf")
