"""Forms of the hearing's end and what follows: the outcome, the acta's confirmation, absences, the
agreement's follow-up and the referral. They check what a person typed; the services decide."""

import copy
import re
from datetime import date

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.forms.case_file import MONEY, MONEY_WIDGET
from complaints.models import CaseCompany
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
    instalments = forms.CharField(
        label=_("Paid in instalments (optional)"),
        help_text=_(
            "One instalment per line: its due date (YYYY-MM-DD), a space, and its amount, e.g. “2026-03-10 25000,50”. "
            "The instalments must add up to the amount; the last due date is the compliance deadline."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
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
        if self.is_bound and (self.data.get("instalments") or "").strip():
            self.fields["compliance_due"].required = False  # the last instalment's due date

    def clean_instalments(self):
        from ..errors import HearingError
        from ..services.instalments import parse_schedule

        try:
            return parse_schedule(self.cleaned_data.get("instalments") or "")
        except HearingError as error:
            raise forms.ValidationError(str(error), code="schedule") from None

    def clean(self):
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome == Outcome.AGREEMENT:
            due: date | None = data.get("compliance_due")
            if due is not None and due <= timezone.localdate():
                self.add_error("compliance_due", _("The compliance deadline must be after today."))
            if data.get("instalments"):
                self._check_schedule(data)
        if outcome == Outcome.ADJOURNED:
            if not (data.get("notes") or "").strip():
                self.add_error("notes", _("Say why the hearing is adjourned."))
            when = data.get("adjourn_to")
            if when is not None and when <= timezone.now():
                self.add_error("adjourn_to", _("The hearing can only continue on a date in the future."))
        return data

    def _check_schedule(self, data: dict) -> None:
        from ..errors import HearingError
        from ..services.instalments import check_schedule

        try:
            check_schedule(data["instalments"], amount=data.get("amount"))
        except HearingError as error:
            self.add_error("instalments", str(error))

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
            kwargs["instalments"] = data.get("instalments") or []
        return kwargs


# A case of several companies: the hearing ends for each company on its own, or for the whole case.
EACH_COMPANY = "each_company"
COMPANY_OUTCOME_CHOICES = [
    (Outcome.AGREEMENT, Outcome.AGREEMENT.label),
    (Outcome.NO_AGREEMENT, Outcome.NO_AGREEMENT.label),
    (Outcome.COMPANY_ABSENT, _("The company was absent")),
]
AGREEMENT_FIELDS = OUTCOME_FIELDS[Outcome.AGREEMENT]
COMPANY_AGREEMENT_FIELDS = (*AGREEMENT_FIELDS, "instalments")  # each company's own schedule, if any
PART_FIELD = re.compile(r"^part-([^-]*)-")


class CompaniesOutcomeForm(forms.Form):
    """The outcome of a hearing of several companies: one fieldset per company served (its outcome
    and, for an agreement, its own terms and deadline), or a case-wide outcome (the consumer absent,
    adjourned). Field names `part-<pk>-<name>`; a name of a company not offered is a form error."""

    outcome = forms.ChoiceField(
        label=_("How did the hearing end?"),
        choices=[
            (EACH_COMPANY, _("Each company: record below how it ended for each one")),
            (Outcome.CONSUMER_ABSENT, Outcome.CONSUMER_ABSENT.label),
            (Outcome.ADJOURNED, Outcome.ADJOURNED.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the hearing.")},
    )

    def __init__(self, *args, parts: list[CaseCompany], **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts
        for name in ("notes", "adjourn_to"):
            self.fields[name] = copy.deepcopy(OutcomeForm.base_fields[name])
        for part in parts:
            company = part.display_name
            self.fields[f"part-{part.pk}-outcome"] = forms.ChoiceField(
                label=_("How did the hearing end for %(company)s?") % {"company": company},
                choices=COMPANY_OUTCOME_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            for name in COMPANY_AGREEMENT_FIELDS:
                field = copy.deepcopy(OutcomeForm.base_fields[name])
                field.required = False
                self.fields[f"part-{part.pk}-{name}"] = field
        # The order on the page: the choice, each company, the notes, the new date.
        order = ["outcome", *(name for name in self.fields if name.startswith("part-")), "notes", "adjourn_to"]
        self.order_fields(order)

    def companies(self) -> list[dict]:
        """Per company: its name and bound fields, for the template."""
        return [
            {
                "part": part,
                "outcome": self[f"part-{part.pk}-outcome"],
                "fields": [self[f"part-{part.pk}-{name}"] for name in COMPANY_AGREEMENT_FIELDS],
            }
            for part in self.parts
        ]

    def clean(self):
        data = super().clean() or {}
        known = {str(part.pk) for part in self.parts}
        crafted = {match.group(1) for key in self.data for match in [PART_FIELD.match(key)] if match}
        if crafted - known:
            raise forms.ValidationError(
                _(
                    "The form names a company that is not awaiting this hearing's outcome. "
                    "Reload the page and try again."
                ),
                code="unknown_part",
            )
        outcome = data.get("outcome")
        if outcome == EACH_COMPANY:
            for part in self.parts:
                self._clean_company(part, data)
        if outcome == Outcome.ADJOURNED:
            if not (data.get("notes") or "").strip():
                self.add_error("notes", _("Say why the hearing is adjourned."))
            when = data.get("adjourn_to")
            if when is not None and when <= timezone.now():
                self.add_error("adjourn_to", _("The hearing can only continue on a date in the future."))
        return data

    def _clean_company(self, part: CaseCompany, data: dict) -> None:
        prefix, company = f"part-{part.pk}-", part.display_name
        outcome = data.get(prefix + "outcome")
        if not outcome:
            self.add_error(
                prefix + "outcome", _("Choose how the hearing ended for %(company)s.") % {"company": company}
            )
            return
        if outcome != Outcome.AGREEMENT:
            return
        if not (data.get(prefix + "terms") or "").strip() and prefix + "terms" not in self.errors:
            self.add_error(prefix + "terms", _("Write the terms agreed with %(company)s.") % {"company": company})
        if (data.get(prefix + "instalments") or "").strip():
            self._clean_company_schedule(prefix, data)
            return  # the last instalment's due date is the compliance deadline
        due: date | None = data.get(prefix + "compliance_due")
        if prefix + "compliance_due" in self.errors:
            return
        if due is None:
            self.add_error(
                prefix + "compliance_due",
                _("Enter the date by which %(company)s must comply.") % {"company": company},
            )
        elif due <= timezone.localdate():
            self.add_error(prefix + "compliance_due", _("The compliance deadline must be after today."))

    def _clean_company_schedule(self, prefix: str, data: dict) -> None:
        """A company's schedule, read and checked; kept in cleaned_data as (due, amount) rows."""
        from ..errors import HearingError
        from ..services.instalments import check_schedule, parse_schedule

        name = prefix + "instalments"
        try:
            rows = parse_schedule(data[name])
            if prefix + "amount" not in self.errors:
                data[name] = check_schedule(rows, amount=data.get(prefix + "amount"))
        except HearingError as error:
            self.add_error(name, str(error))
        self.errors.pop(prefix + "compliance_due", None)  # not asked for: the schedule sets it

    def service_kwargs(self) -> dict:
        """What outcome_record needs: a case-wide outcome, or `per_company` (by part pk)."""
        from ..services.outcome import CompanyOutcome

        data = self.cleaned_data
        outcome = data["outcome"]
        notes = data.get("notes") or ""
        if outcome == Outcome.ADJOURNED:
            return {"outcome": outcome, "notes": notes, "adjourn_to": data.get("adjourn_to")}
        if outcome != EACH_COMPANY:
            return {"outcome": outcome, "notes": notes}
        per_company = {}
        for part in self.parts:
            prefix = f"part-{part.pk}-"
            company_outcome = data[prefix + "outcome"]
            if company_outcome == Outcome.AGREEMENT:
                per_company[part.pk] = CompanyOutcome(
                    company_outcome,
                    terms=data.get(prefix + "terms") or "",
                    amount=data.get(prefix + "amount"),
                    obligations=data.get(prefix + "obligations") or "",
                    compliance_due=data.get(prefix + "compliance_due"),
                    instalments=data.get(prefix + "instalments") or (),
                )
            else:
                per_company[part.pk] = CompanyOutcome(company_outcome)
        first = next(iter(per_company.values())).outcome if per_company else Outcome.NO_AGREEMENT
        return {"outcome": first, "notes": notes, "per_company": per_company}


class AgreementChoiceForm(forms.Form):
    """Which company's agreement a compliance answer is about (a case of several companies): the
    agreement's id, checked against the case's own agreements."""

    agreement = forms.TypedChoiceField(
        coerce=int,
        choices=[],
        error_messages={
            "required": _("Choose which company's agreement you are answering for."),
            "invalid_choice": _("Choose which company's agreement you are answering for."),
        },
    )

    def __init__(self, *args, agreements: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreements = {a.pk: a for a in agreements}
        field = self.fields["agreement"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(a.pk, a.part.display_name if a.part is not None else str(a.pk)) for a in agreements]

    def chosen(self):
        return self.agreements[self.cleaned_data["agreement"]]


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
