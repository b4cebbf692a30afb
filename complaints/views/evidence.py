"""The filing wizard's evidence: upload a batch of files (all stored or none) and remove one, while
the case can still be edited. Step 5 of complaints/views/filing.py shows them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import uploads
from complaints.selectors import evidence_for
from complaints.services.filing import EDITABLE_STATES
from complaints.views.filing import case_to_edit, not_editable_redirect
from parties.http import AuthenticatedRequest


@require_POST
@login_required
def evidence_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = case_to_edit(request, pk)
    if case.status not in EDITABLE_STATES:
        return not_editable_redirect(request, case)
    files = request.FILES.getlist("evidence_files")
    if not files:
        messages.error(request, _("Choose at least one file to upload."))
        return redirect("complaint_step", pk=case.pk, step=5)
    # Judge every file first: one refused file means none of this batch is stored.
    errors = uploads.evidence_problems(files, already=case.evidence.count())
    if len(errors) == 1:
        messages.error(request, _("Nothing was uploaded. %(problem)s") % {"problem": errors[0]})
    elif errors:
        messages.error(request, _("Nothing was uploaded. Fix the following and choose the files again:"))
        for message in errors:
            messages.error(request, message)
    if errors:
        return redirect("complaint_step", pk=case.pk, step=5)
    try:
        stored = uploads.evidence_add_all(complaint=case, files=files, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("complaint_step", pk=case.pk, step=5)
    messages.success(
        request,
        _("%(count)s file(s) uploaded: %(names)s.")
        % {"count": len(stored), "names": ", ".join(evidence.original_name for evidence in stored)},
    )
    return redirect("complaint_step", pk=case.pk, step=5)


@require_POST
@login_required
def evidence_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    evidence = evidence_for(request.user, pk)
    case = case_to_edit(request, evidence.complaint_id)
    if case.status not in EDITABLE_STATES:
        return not_editable_redirect(request, case)
    try:
        uploads.evidence_remove(evidence=evidence, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” was removed.") % {"name": evidence.original_name})
    return redirect("complaint_step", pk=case.pk, step=5)
