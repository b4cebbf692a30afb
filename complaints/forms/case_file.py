"""Forms of the case file: the list's filters and the parties' moves before the hearing."""

from datetime import date
from decimal import Decimal
from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.forms.filing import MultipleFileInput
from complaints.states import VISIBLE_TO_COMPANY_STATES, State
from complaints.uploads import limits_text
from parties.amounts import AmountField
from parties.dates import BoundedDateField
from parties.models import Company, User

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}
MONEY_WIDGET = {"inputmode": "decimal", "autocomplete": "off"}
# How far from today the list's date filters reach, either way.
FILTER_YEARS = 30
# An offer is a promise the office follows up: one due years from now is a typo, or no offer at all.
OFFER_MAX_YEARS = 2


class CaseFilterForm(forms.Form):
    """GET filters of the case list. Every field is optional; an invalid one is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.MultipleChoiceField(
        label=_("Status"), required=False, widget=forms.CheckboxSelectMultiple, choices=State.choices
    )
    company = forms.TypedChoiceField(label=_("Company"), required=False)  # the user's companies (__init__)
    date_from = BoundedDateField(
        past_years=FILTER_YEARS,
        future_years=FILTER_YEARS,
        label=_("Filed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = BoundedDateField(
        past_years=FILTER_YEARS,
        future_years=FILTER_YEARS,
        label=_("Filed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user: User, companies: QuerySet[Company] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        status = cast(forms.MultipleChoiceField, self.fields["status"])
        if user.is_representative and not user.is_consumer:
            self.fields["q"].help_text = _("Case number, company CUIT or name, consumer's name.")
            status.choices = [(value, label) for value, label in State.choices if value in VISIBLE_TO_COMPANY_STATES]
        elif user.may_act_as_consumer:
            self.fields["q"].help_text = _("Case number or company name or CUIT.")
        else:
            self.fields["q"].help_text = _("Case number, DNI, company CUIT or name, consumer's name.")
            status.choices = [(value, label) for value, label in State.choices if value != State.DRAFT]
        listed = list(companies) if companies is not None else []
        if len(listed) > 1:
            # Offered and checked from the companies read once here (a representative's few): a
            # ModelChoiceField would read them again to list them, count them and validate the choice.
            by_pk = {str(company.pk): company for company in listed}
            self.fields["company"] = forms.TypedChoiceField(
                label=_("Company"),
                required=False,
                choices=[("", _("All my companies")), *((pk, company.legal_name) for pk, company in by_pk.items())],
                coerce=by_pk.__getitem__,
                empty_value=None,
            )
        else:
            del self.fields["company"]

    @property
    def searches_dni(self) -> bool:
        """A company must not learn a consumer's DNI by probing the search box."""
        return not self.user.is_representative

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (we share it with the office)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that withdrawing closes my complaint and it cannot be reopened."),
        error_messages={"required": _("Tick the box to confirm you want to withdraw the complaint.")},
    )


class CompanyAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("The company's answer"),
        help_text=_("What the company says about the facts and the claim. The consumer and the office will read it."),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the company's answer.")},
    )
    # Only renders the file picker: the view hands the files to the service, which judges each one
    # with complaints/uploads.py (the same checks and messages as the API's attachments).
    attachments = forms.FileField(
        label=_("Attach files"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.heic,application/pdf,image/jpeg,image/png,image/heic"}
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["attachments"].help_text = limits_text()


class OfferForm(forms.Form):
    amount = AmountField(
        label=_("Amount (ARS)"),
        required=False,
        help_text=_("Leave it blank if the offer is not a payment, e.g. a repair or a replacement."),
        widget=forms.TextInput(attrs=MONEY_WIDGET),
        **MONEY,  # type: ignore[arg-type]
    )
    terms = forms.CharField(
        label=_("What the company offers"),
        help_text=_("Say exactly what the company will do, how and where."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the offer.")},
    )
    fulfil_by = BoundedDateField(
        past_years=0,
        future_years=OFFER_MAX_YEARS,
        label=_("To be fulfilled by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date by which the company will fulfil the offer."),
            "too_early": _("The date to fulfil the offer must be in the future."),
            "too_late": _("An offer must be fulfilled within %(years)s years: enter a date on or before %(date)s."),
        },
    )

    instalments = forms.CharField(
        label=_("Paid in instalments (optional)"),
        help_text=_(
            "One instalment per line: its due date (YYYY-MM-DD), a space, and its amount, e.g. “2026-03-10 25000,50”. "
            "The instalments must add up to the amount; the last due date is the date to fulfil the offer."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prefixed = self.add_prefix("instalments")
        if self.is_bound and (self.data.get(prefixed) or "").strip():
            self.fields["fulfil_by"].required = False  # the last instalment's due date

    def clean_fulfil_by(self) -> date | None:
        fulfil_by: date | None = self.cleaned_data.get("fulfil_by")
        if fulfil_by is not None and fulfil_by <= timezone.localdate():
            raise forms.ValidationError(_("The date to fulfil the offer must be in the future."))
        return fulfil_by

    def clean_instalments(self) -> list[tuple[date, Decimal]]:
        from complaints.errors import CaseError
        from complaints.instalments import parse_schedule

        try:
            return parse_schedule(self.cleaned_data.get("instalments") or "")
        except CaseError as error:
            raise forms.ValidationError(str(error), code="schedule") from None

    def clean(self):
        data = super().clean() or {}
        rows = data.get("instalments")
        if rows and "amount" not in self.errors:
            from complaints.errors import CaseError
            from complaints.instalments import check_schedule

            try:
                schedule = check_schedule(rows, amount=data.get("amount"))
            except CaseError as error:
                self.add_error("instalments", str(error))
                return data
            field = self.fields["fulfil_by"]
            assert isinstance(field, BoundedDateField)
            latest = field.bounds()[1]
            if schedule[-1][0] > latest:
                self.add_error(
                    "instalments",
                    _("An offer must be fulfilled within %(years)s years: the last instalment is due too late.")
                    % {"years": field.future_years},
                )
                return data
            data["instalments"], data["fulfil_by"] = schedule, schedule[-1][0]
            self.errors.pop("fulfil_by", None)
        return data


class OfferRejectForm(forms.Form):
    """A rejection; with a counter-offer when the consumer writes one."""

    counter_terms = forms.CharField(
        label=_("Your counter-offer"),
        help_text=_("What you would accept instead. Leave it blank to reject the offer without a counter-offer."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    counter_amount = AmountField(
        label=_("Amount you ask for (ARS)"),
        required=False,
        widget=forms.TextInput(attrs=MONEY_WIDGET),
        **MONEY,  # type: ignore[arg-type]
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("counter_amount") is not None and not (data.get("counter_terms") or "").strip():
            self.add_error("counter_terms", _("Describe your counter-offer, not only the amount."))
        return data
