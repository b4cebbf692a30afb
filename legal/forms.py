"""Forms of the legal directorate's pages: the queue's filters and each move of a proceeding."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parties.models import Role, User

from .models import AppealOutcome, Proceeding, ProceedingStatus, ReferralReason

TEXT = {"rows": 5}


def prefix_for(name: str, proceeding: Proceeding) -> str:
    """Each proceeding's forms carry its own prefix: one person may see the forms of several
    proceedings on one case page (a case of several companies), and their field ids must not clash."""
    return f"{name}-{proceeding.pk}"


class MoveForm(forms.Form):
    """A move's form; `user` says who fills it in (some fields are the directorate's alone)."""

    def __init__(self, *args, user: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user


class FiledOnPaperForm(MoveForm):
    """A writing the company may file itself, or file on paper at the office's counter, which the
    directorate records with the day it was filed (checked against the deadline)."""

    def __init__(self, *args, user: User | None = None, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if user is None or user.role != Role.LEGAL:
            del self.fields["filed_on"]


class QueueFilterForm(forms.Form):
    """GET filters of the queue. Every field is optional; an invalid one is ignored."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ProceedingStatus.choices]
    )
    reason = forms.ChoiceField(
        label=_("Referral reason"), required=False, choices=[("", _("Any reason")), *ReferralReason.choices]
    )
    company = forms.CharField(
        label=_("Company"), required=False, max_length=100, help_text=_("Name or CUIT of the company.")
    )
    case_number = forms.CharField(
        label=_("Case number"), required=False, max_length=20, help_text=_("For example DC-2026-000123.")
    )
    overdue = forms.BooleanField(label=_("Only with a passed deadline"), required=False)

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class ReceiveForm(MoveForm):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000, widget=forms.Textarea(TEXT))


class ChargeForm(MoveForm):
    text = forms.CharField(
        label=_("Charge (imputación)"),
        max_length=20000,
        widget=forms.Textarea(TEXT),
        help_text=_("The facts and the provisions infringed. The company is notified with its deadline for a defence."),
    )


class ArchiveForm(MoveForm):
    reason = forms.CharField(label=_("Why it is archived"), max_length=5000, widget=forms.Textarea(TEXT))


FILED_ON = {
    "label": _("Filed at the office on"),
    "help_text": _("The date on the office's stamp; it must be within the deadline."),
    "widget": forms.DateInput(attrs={"type": "date"}),
}


class DefenceForm(FiledOnPaperForm):
    text = forms.CharField(label=_("Defence (descargo)"), required=False, max_length=20000, widget=forms.Textarea(TEXT))
    file = forms.FileField(
        label=_("Defence document (PDF, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    filed_on = forms.DateField(**FILED_ON)  # type: ignore[arg-type]

    def clean(self):
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Write the defence or attach it as a PDF."))
        return data


class ResolveForm(MoveForm):
    SANCTION, DISMISS = "sanction", "dismiss"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(SANCTION, _("Sanction with a fine")), (DISMISS, _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    act_number = forms.CharField(
        label=_("Act number"), max_length=60, help_text=_("For example “Disposición 123/2026”.")
    )
    fine_units = forms.IntegerField(label=_("Fine (unidades fijas)"), required=False, min_value=1, max_value=10_000_000)
    text = forms.CharField(label=_("Grounds"), max_length=20000, widget=forms.Textarea(TEXT))

    def clean(self):
        data = super().clean() or {}
        if (
            data.get("decision") == self.SANCTION
            and data.get("fine_units") is None
            and not self.has_error("fine_units")
        ):
            self.add_error("fine_units", _("Enter the fine in unidades fijas."))
        return data


class AppealForm(FiledOnPaperForm):
    text = forms.CharField(label=_("Grounds of the appeal"), max_length=20000, widget=forms.Textarea(TEXT))
    filed_on = forms.DateField(**FILED_ON)  # type: ignore[arg-type]


class FinalizeForm(MoveForm):
    """Nothing to fill in: the appeal window passed without an appeal."""


class AppealDecisionForm(MoveForm):
    outcome = forms.ChoiceField(
        label=_("Result of the appeal"), choices=AppealOutcome.choices, widget=forms.RadioSelect
    )
    fine_units = forms.IntegerField(
        label=_("Reduced fine (unidades fijas)"),
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text=_("Only when the fine was reduced."),
    )
    text = forms.CharField(
        label=_("What was decided"),
        max_length=20000,
        widget=forms.Textarea(TEXT),
        help_text=_("The authority, the ruling's date and number, and its grounds."),
    )

    def clean(self):
        data = super().clean() or {}
        if (
            data.get("outcome") == AppealOutcome.REDUCED
            and data.get("fine_units") is None
            and not self.has_error("fine_units")
        ):
            self.add_error("fine_units", _("Enter the reduced fine in unidades fijas."))
        return data
