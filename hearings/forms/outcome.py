"""Forms of the hearing's end and what follows: the outcome, the acta's confirmation, absences, the
agreement's follow-up and the referral. They check what a person typed; the services decide."""

from datetime import date

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.forms.case_file import MONEY, MONEY_WIDGET
from hearings.forms import NearDateField, NearDateTimeField
from parties.amounts import AmountField

from ..models import Hearing

Outcome = Hearing.Outcome
# Which fields belong to which outcome (the console shows only those; the server checks them all).
OUTCOME_FIELDS = {
    Outcome.AGREEMENT: ("terms", "amount", "obligations", "compliance_due"),
    Outcome.ADJOURNED: ("adjourn_to",),
}
REQUIRED_FOR_AGREEMENT = ("terms", "compliance_due")
TEXT = {"max_length": 5000}


def upload_hint() -> str:
    return _("PDF, JPEG or PNG, up to %(size)s.") % {"size": filesizeformat(settings.EVIDENCE_MAX_BYTES)}


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the hearing end?"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the hearing.")},
    )
    notes = forms.CharField(
        label=_("What happened"),
        help_text=_("Written into the acta. For an adjournment, say why the hearing continues another day."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        **TEXT,  # type: ignore[arg-type]
    )
    terms = forms.CharField(
        label=_("Terms of the agreement"),
        help_text=_("What the company will do, exactly, as both parties agreed it."),
        error_messages={"required": _("Write the terms the parties agreed.")},
        widget=forms.Textarea(attrs={"rows": 4}),
        **TEXT,  # type: ignore[arg-type]
    )
    amount = AmountField(
        label=_("Amount the company pays (ARS)"),
        help_text=_("Leave it blank if the agreement is not a payment."),
        required=False,
        widget=forms.TextInput(attrs=MONEY_WIDGET),
        **MONEY,  # type: ignore[arg-type]
    )
    obligations = forms.CharField(
        label=_("Who does what, by when"),
        help_text=_("E.g. “The company transfers the amount to the consumer's account within 10 business days.”"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        **TEXT,  # type: ignore[arg-type]
    )
    compliance_due = NearDateField(
        label=_("Compliance deadline"),
        help_text=_("On this day the consumer is asked whether the company complied."),
        error_messages={"required": _("Enter the date by which the company must comply.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    adjourn_to = NearDateTimeField(
        label=_("Continue on (date and time)"),
        help_text=_("Leave it blank to let the office set the new date."),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The agreement's terms and deadline are required when the outcome is an agreement: shown so
        # (no "optional" mark) and checked so; for any other outcome they are ignored.
        agreement = not self.is_bound or self.data.get("outcome") == Outcome.AGREEMENT
        for name in REQUIRED_FOR_AGREEMENT:
            self.fields[name].required = agreement

    def clean(self):
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome == Outcome.AGREEMENT:
            due: date | None = data.get("compliance_due")
            if due is not None and due <= timezone.localdate():
                self.add_error("compliance_due", _("The compliance deadline must be after today."))
        if outcome == Outcome.ADJOURNED:
            if not (data.get("notes") or "").strip():
                self.add_error("notes", _("Say why the hearing is adjourned."))
            when = data.get("adjourn_to")
            if when is not None and when <= timezone.now():
                self.add_error("adjourn_to", _("The hearing can only continue on a date in the future."))
        return data

    def service_kwargs(self) -> dict:
        """What outcome_record needs: only the fields of the chosen outcome."""
        data = self.cleaned_data
        outcome = data["outcome"]
        kwargs = {"outcome": outcome, "notes": data.get("notes") or ""}
        for name in OUTCOME_FIELDS.get(outcome, ()):
            kwargs[name] = data.get(name)
        if outcome == Outcome.AGREEMENT:
            kwargs["terms"] = kwargs["terms"] or ""
            kwargs["obligations"] = kwargs["obligations"] or ""
        return kwargs


class ActaConfirmForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    agree = forms.BooleanField(
        label=_("I have read the acta and it records what happened at the hearing."),
        error_messages={"required": _("Tick the box to confirm that you read the acta.")},
    )


class AbsenceJustifyForm(forms.Form):
    text = forms.CharField(
        label=_("Why could you not attend?"),
        help_text=_("The office reads it and decides. Say what happened and when."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Explain why you could not attend the hearing.")},
        **TEXT,  # type: ignore[arg-type]
    )
    file = forms.FileField(
        label=_("Supporting document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("E.g. a medical certificate. %(hint)s") % {"hint": upload_hint()}


class AbsenceDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accept", _("Accept the justification")),
            ("reject", _("Do not accept it")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the justification is accepted.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Required when the justification is not accepted; the parties read it."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        **TEXT,  # type: ignore[arg-type]
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the justification is not accepted."))
        return data


class ComplianceAnswerForm(forms.Form):
    complied = forms.ChoiceField(
        label=_("Did the company do what it agreed?"),
        choices=[("yes", _("Yes, it complied")), ("no", _("No, it did not comply"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the company complied.")},
    )
    details = forms.CharField(
        label=_("What did the company not do?"),
        help_text=_("Only if it did not comply. The case is then referred to the legal department."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        **TEXT,  # type: ignore[arg-type]
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("complied") == "no" and not (data.get("details") or "").strip():
            self.add_error("details", _("Say what the company did not do."))
        return data


class ComplianceProofForm(forms.Form):
    file = forms.FileField(
        label=_("Proof of compliance"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
        error_messages={"required": _("Choose the file to upload.")},
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("E.g. “Transfer of 12 May, operation 4471”."),
        required=False,
        max_length=500,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("A transfer receipt, a delivery note. %(hint)s") % {"hint": upload_hint()}


class ReferForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the referral"),
        help_text=_("The parties and the legal department read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the case is referred.")},
        **TEXT,  # type: ignore[arg-type]
    )
