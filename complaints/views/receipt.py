"""The receipt (constancia) of a submitted complaint: the page and its PDF, for whoever sees the case."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from complaints.models import Complaint
from complaints.pdf import pdf_response, render_pdf
from complaints.selectors import complaint_for
from complaints.views.filing import may_edit, named_companies, purchase_place
from parties.http import AuthenticatedRequest


def _receipt_context(case: Complaint) -> dict:
    return {
        "complaint": case,
        "evidence": list(case.evidence.all()),
        "named": named_companies(case),
        "purchase_place": purchase_place(case),
        "review_days": settings.DEADLINES["ADMISSION_REVIEW"],
    }


@login_required
def complaint_receipt(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    if not case.number:
        if may_edit(request.user, case):
            return redirect("complaint_step", pk=case.pk, step=case.draft_step)
        raise Http404
    return render(request, "complaints/filing/receipt.html", _receipt_context(case))


@login_required
def complaint_receipt_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = complaint_for(request.user, pk)
    if not case.number:
        raise Http404
    context = {**_receipt_context(case), "generated_at": timezone.now()}
    pdf = render_pdf("complaints/pdf/receipt.html", context, request=request)
    return pdf_response(pdf, f"constancia-{case.number}.pdf")
