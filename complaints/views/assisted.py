"""Assisted filing: an officer starts a complaint for a citizen who came in person or called, then
completes the filing steps with them (complaints/views/filing.py)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from complaints.assisted import AssistedFilingError, assisted_filing_start
from complaints.forms.assisted import DeskFilingForm
from parties.http import AuthenticatedRequest
from parties.models import Role
from parties.views import role_required


@role_required(Role.OFFICER, Role.SUPERVISOR)
def assisted_filing(request: AuthenticatedRequest) -> HttpResponse:
    form = DeskFilingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            filing = assisted_filing_start(
                by=request.user, channel=form.cleaned_data["channel"], citizen=form.citizen(), request=request
            )
        except AssistedFilingError as error:
            messages.error(request, str(error))
        else:
            if filing.citizen.has_no_email:
                messages.success(
                    request,
                    _(
                        "%(name)s has no e-mail address: they will be notified by phone, as they agreed. Complete "
                        "the complaint with them and give them the printed receipt."
                    )
                    % {"name": filing.citizen.display_name},
                )
                return redirect("complaint_step", pk=filing.complaint.pk, step=1)
            if filing.account_created:
                text = _(
                    "An account was created for %(email)s and they were e-mailed a link to choose a password. "
                    "Now complete the complaint with them."
                )
            else:
                text = _(
                    "%(email)s already has an account: the complaint uses the details in their profile. "
                    "Check them with the citizen in step 1."
                )
            messages.add_message(
                request,
                messages.SUCCESS if filing.account_created else messages.INFO,
                text % {"email": filing.citizen.email},
            )
            return redirect("complaint_step", pk=filing.complaint.pk, step=1)
    return render(request, "complaints/filing/assisted.html", {"form": form})
