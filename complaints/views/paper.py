"""The office serves on paper the companies that have no electronic domicile: the list of those
awaiting it, each company's page (its notices and the forms), and the four moves. Thin views: the
office role, the part through the office's own cases, the service, a refused move as a message."""

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints.errors import CaseError
from complaints.forms.paper import (
    PaperDeliverForm,
    PaperDispatchForm,
    PaperFailForm,
    PaperListFilterForm,
    PaperPrintForm,
)
from complaints.models import CaseCompany, PaperNotice
from complaints.selectors import complaints_visible_to
from complaints.services import paper
from complaints.views.office import office_required
from parties.http import AuthenticatedRequest
from parties.models import User

PAGE_SIZE = 25


def _part_for(user: User, pk: int) -> CaseCompany:
    part = (
        CaseCompany.objects.filter(pk=pk, complaint__in=complaints_visible_to(user))
        .select_related("complaint", "company")
        .first()
    )
    if part is None:
        raise Http404
    return part


@office_required
def paper_service_list(request: AuthenticatedRequest) -> HttpResponse:
    form = PaperListFilterForm(request.GET or None)
    parts = paper.parts_to_serve_on_paper().filter(complaint__in=complaints_visible_to(request.user))
    if form.is_bound and form.is_valid():
        parts = paper.filter_by_last_notice(parts, form.cleaned_data["notice"])
    # Oldest admission first: the company kept waiting longest comes first.
    parts = parts.order_by("complaint__admitted_at", "complaint_id", "position")
    page = Paginator(parts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/paper/list.html",
        {"form": form, "page_obj": page, "filtered": bool(form.is_bound and request.GET.get("notice"))},
    )


def _page(request: AuthenticatedRequest, part: CaseCompany, **forms: Form) -> HttpResponse:
    case = part.complaint
    in_flight = paper.notice_in_flight(part)
    may_print = paper.awaits_paper_service(part, case) and in_flight is None
    context = {
        "case": case,
        "part": part,
        "notices": list(part.paper_notices.select_related("recorded_by").order_by("-created_at", "-pk")),
        "in_flight": in_flight,
        "may_print": may_print,
        "address": paper.paper_address(part),
        "print_form": forms.get("print_form") or PaperPrintForm(initial={"address": paper.paper_address(part)}),
        "dispatch_form": forms.get("dispatch_form") or PaperDispatchForm(),
        "deliver_form": forms.get("deliver_form") or PaperDeliverForm(),
        "fail_form": forms.get("fail_form") or PaperFailForm(),
    }
    return render(request, "complaints/paper/part.html", context, status=400 if forms else 200)


@office_required
def paper_part(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, _part_for(request.user, pk))


def _done(request: AuthenticatedRequest, part: CaseCompany, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("paper_part", pk=part.pk)


def _refused(request: AuthenticatedRequest, part: CaseCompany, error: CaseError) -> HttpResponse:
    messages.error(request, str(error))
    return redirect("paper_part", pk=part.pk)


@require_POST
@office_required
def paper_notice_print(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    part = _part_for(request.user, pk)
    form = PaperPrintForm(request.POST)
    if not form.is_valid():
        return _page(request, part, print_form=form)
    try:
        notice = paper.paper_notice_print(
            part=part, by=request.user, kind=form.cleaned_data["kind"], address=form.cleaned_data["address"]
        )
    except CaseError as error:
        return _refused(request, part, error)
    if notice.kind == PaperNotice.Kind.CEDULA:
        return _done(request, part, _("The cédula is ready: download it, print it and record its dispatch."))
    return _done(request, part, _("The carta documento was recorded: record its dispatch and tracking number."))


def _record(
    request: AuthenticatedRequest,
    pk: int,
    form_class: type[Form],
    form_name: str,
    move: Callable[..., object],
    done: str,
) -> HttpResponse:
    """One of the moves after printing (dispatch, delivery, failed delivery): the form, the service
    with the form's fields, a refused move as a message."""
    part = _part_for(request.user, pk)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, part, **{form_name: form})
    try:
        move(part=part, by=request.user, **form.cleaned_data)
    except CaseError as error:
        return _refused(request, part, error)
    return _done(request, part, done)


@require_POST
@office_required
def paper_notice_dispatch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _record(
        request,
        pk,
        PaperDispatchForm,
        "dispatch_form",
        paper.paper_notice_dispatch,
        _("The dispatch was recorded. Record the delivery when the receipt comes back."),
    )


@require_POST
@office_required
def paper_notice_deliver(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _record(
        request,
        pk,
        PaperDeliverForm,
        "deliver_form",
        paper.paper_notice_deliver,
        _("The delivery was recorded: the company's deadline to set up its electronic domicile runs."),
    )


@require_POST
@office_required
def paper_notice_fail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _record(
        request,
        pk,
        PaperFailForm,
        "fail_form",
        paper.paper_notice_fail,
        _("The failed delivery was recorded. Enter another address and send a new notice."),
    )


@office_required
def paper_notice_document(request: AuthenticatedRequest, pk: int) -> FileResponse:
    notice = (
        PaperNotice.objects.filter(pk=pk, part__complaint__in=complaints_visible_to(request.user))
        .select_related("part__complaint")
        .first()
    )
    if notice is None or not notice.document:
        raise Http404
    try:
        handle = notice.document.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = f"cedula-{notice.part.complaint.number}-{notice.pk}.pdf"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
