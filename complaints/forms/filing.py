"""The forms of the filing wizard (one per step) and of assisted filing. They validate and clean;
saving goes through `complaints.services.filing`."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from complaints import vulnerability
from complaints.assisted import CitizenDetails
from complaints.models import CaseCompany, Channel, ClaimType, CompanyRole, Complaint
from parties.dates import BoundedDateField
from parties.forms import CuitField
from parties.http import as_id
from parties.models import Company, Province
from parties.validators import normalize_cuit, normalize_dni, normalize_phone

# The value of the "it is not in the list" radio on the company step.
UNREGISTERED = "other"


class VulnerabilityForm(forms.Form):
    """The consumer's own, optional declaration of hipervulnerability (Res. 139/2020)."""

    vulnerable_categories = forms.MultipleChoiceField(
        label=_("Does any of these apply to you? (optional)"),
        help_text=_(
            "If so, the office handles your complaint first, schedules your hearing sooner and offers you "
            "help by phone or in person. Tick all that apply; you do not need to prove it now."
        ),
        choices=vulnerability.CATEGORIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CompanyStepForm(forms.Form):
    """One company more: either a registered company (a radio in the search results) or, when it is
    not registered, its CUIT and name; its part in the purchase and its domicile. A CUIT typed by
    hand that is already registered links to that company. `case` refuses a company already named."""

    company = forms.CharField(
        required=False,
        error_messages={"required": _("Choose the company, or say that it is not in the list.")},
    )
    company_cuit = CuitField(
        label=_("CUIT of the company"),
        error_messages={"required": _("Enter the company's CUIT. It is on your invoice.")},
    )
    company_name = forms.CharField(
        label=_("Name of the company"),
        max_length=200,
        help_text=_("As it appears on your invoice or contract, e.g. Electrodomésticos del Sur S.A."),
        error_messages={"required": _("Enter the company's name.")},
    )

    role = forms.ChoiceField(
        label=_("What was its part in your purchase?"),
        choices=CompanyRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the company's part in your purchase was.")},
    )
    address = forms.CharField(
        label=_("The company's address"),
        max_length=250,
        required=False,
        help_text=_(
            "Street and number, as on the invoice or the company's website. "
            "If the company is not registered, the office sends the notice here."
        ),
    )
    province = forms.ChoiceField(
        label=_("The company's province"), choices=[("", "---------"), *Province.choices], required=False
    )

    def __init__(self, *args, case: Complaint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.registered: Company | None = None
        self.fields["company_cuit"].widget.attrs["class"] = "input-width-20"
        # The CUIT and name are asked for only when the company is not in the list, and the name
        # only when that CUIT is not registered either. Unbound, they show as required (no "optional").
        if self.is_bound:
            unregistered = self.data.get("company") == UNREGISTERED
            self.fields["company_cuit"].required = unregistered
            self.fields["company_name"].required = unregistered and not self._typed_cuit_is_registered()

    @property
    def is_empty(self) -> bool:
        """Nothing was chosen nor typed: the person only wants to go on with the companies named."""
        return not any((self.data.get(name) or "").strip() for name in ("company", "company_cuit", "company_name"))

    def _typed_cuit_is_registered(self) -> bool:
        try:
            cuit = normalize_cuit(self.data.get("company_cuit", ""))
        except ValidationError:
            return False
        return Company.objects.filter(cuit=cuit).exists()

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        choice = cleaned.get("company") or ""
        if choice == UNREGISTERED:
            cuit = cleaned.get("company_cuit")
            if not cuit:
                return cleaned  # the CUIT field's own error says what is wrong
            self.registered = Company.objects.filter(cuit=cuit).first()
            if self.registered is None and not cleaned.get("company_name") and not self.has_error("company_name"):
                self.add_error("company_name", _("Enter the company's name."))
        elif (company_id := as_id(choice)) is not None:
            self.registered = Company.objects.filter(pk=company_id).first()
            if self.registered is None:
                self.add_error("company", _("That company is no longer in the registry. Search for it again."))
        else:
            self.add_error(
                "company", _("Choose the company from the search results, or say that it is not in the list.")
            )
        if choice == UNREGISTERED and self.registered is None and cleaned.get("company_cuit"):
            # Only the consumer knows where an unregistered company is: the paper notice goes there.
            if not (cleaned.get("address") or "").strip():
                self.add_error("address", _("Enter the company's address: the office sends the notice there."))
            if not cleaned.get("province"):
                self.add_error("province", _("Choose the company's province."))
        cuit = self.registered.cuit if self.registered else cleaned.get("company_cuit")
        if self.case is not None and cuit and CaseCompany.objects.filter(complaint_id=self.case.pk, cuit=cuit).exists():
            self.add_error(
                "company_cuit" if choice == UNREGISTERED else "company",
                _("That company is already in your complaint. Choose another one, or continue."),
            )
        return cleaned


class PurchaseStepForm(forms.ModelForm):
    # A purchase from before the consumer law (1993) is not a case for this office, and none is in
    # the future.
    purchase_date = BoundedDateField(
        past_years=40,
        future_years=0,
        label=_("When did you buy or hire it?"),
        help_text=_("The date on the invoice or contract. If you do not know it exactly, an approximate date."),
        widget=forms.DateInput(attrs={"type": "date", "class": "input-width-10"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date of the purchase or contract."),
            "too_late": _("The date cannot be in the future."),
        },
    )

    purchase_province = forms.ChoiceField(
        label=_("Province where you bought or hired it"),
        choices=[("", "---------"), *Province.choices],
        required=False,
        help_text=_("Where the shop or office is. Leave it empty if you bought online or by phone."),
    )
    purchase_online = forms.BooleanField(
        label=_("I bought or hired it online or by phone"),
        required=False,
    )

    class Meta:
        model = Complaint
        fields = ["product", "purchase_date", "amount_paid", "purchase_province", "purchase_city", "purchase_online"]
        labels = {
            "product": _("What did you buy or hire?"),
            "amount_paid": _("How much did you pay? (ARS)"),
            "purchase_city": _("City or town where you bought or hired it (optional)"),
        }
        help_texts = {
            "product": _("For example: a Samsung refrigerator, a mobile phone plan, a flight."),
            "amount_paid": _("In pesos, without the $ sign, e.g. 450000 or 450000,50. Enter 0 if you paid nothing."),
        }
        widgets = {
            "amount_paid": forms.NumberInput(
                attrs={"inputmode": "decimal", "step": "0.01", "min": "0", "class": "input-width-10"}
            ),
        }

    # Where it was bought says which office is competent; the city only helps, the province decides.
    WHERE_FIELDS = ("purchase_province", "purchase_city", "purchase_online")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = name not in self.WHERE_FIELDS
        self.fields["product"].error_messages["required"] = _("Say what you bought or hired.")
        self.fields["amount_paid"].error_messages["required"] = _("Enter how much you paid (0 if nothing).")

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("purchase_online"):
            cleaned["purchase_province"], cleaned["purchase_city"] = "", ""
        elif not cleaned.get("purchase_province") and not self.has_error("purchase_province"):
            self.add_error(
                "purchase_province",
                _("Choose the province where you bought or hired it, or tick that you did it online or by phone."),
            )
        return cleaned


class ClaimStepForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = ["facts", "claim_type", "claim_amount", "claim_detail"]
        labels = {
            "facts": _("What happened?"),
            "claim_type": _("What do you ask the company for?"),
            "claim_amount": _("Amount you claim (ARS)"),
            "claim_detail": _("Details of your request"),
        }
        help_texts = {
            "facts": _(
                "In your own words and in order: what you bought, what went wrong, what you did about it "
                "(calls, claim numbers, visits) and what the company answered."
            ),
            "claim_amount": _("Required if you ask for a refund. In pesos, e.g. 450000."),
            "claim_detail": _(
                "For example: the model of the replacement, or the service you expect. Required for “Other”."
            ),
        }
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 8}),
            "claim_type": forms.RadioSelect,
            "claim_amount": forms.NumberInput(
                attrs={"inputmode": "decimal", "step": "0.01", "min": "0", "class": "input-width-10"}
            ),
            "claim_detail": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facts"].required = True
        self.fields["facts"].error_messages["required"] = _("Tell us what happened.")
        self.fields["claim_type"].required = True
        self.fields["claim_type"].error_messages["required"] = _("Choose what you ask for.")
        # A model field with blank=True adds an empty choice; radios do not need it.
        self.fields["claim_type"].choices = ClaimType.choices  # type: ignore[attr-defined]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        claim_type = cleaned.get("claim_type")
        if (
            claim_type == ClaimType.REFUND
            and cleaned.get("claim_amount") in (None, "")
            and not self.has_error("claim_amount")
        ):
            self.add_error("claim_amount", _("Enter the amount you want refunded."))
        if claim_type == ClaimType.REFUND and cleaned.get("claim_amount") == Decimal("0"):
            self.add_error("claim_amount", _("The amount to refund must be more than 0."))
        if claim_type == ClaimType.OTHER and not (cleaned.get("claim_detail") or "").strip():
            self.add_error("claim_detail", _("Say what you ask for."))
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceUploadForm(forms.Form):
    """Only renders the file picker: the view judges each file with `uploads.validate_evidence`,
    so a refused file gets the same message whether it comes from here or from an API."""

    evidence_files = forms.FileField(
        label=_("Choose files"),
        help_text=_("You can choose several files at once."),
        widget=MultipleFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.heic,application/pdf,image/jpeg,image/png,image/heic"}
        ),
    )


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_("I declare that what I state is true"),
        help_text=_("Stating false facts in a complaint can have legal consequences."),
        error_messages={"required": _("Tick the box to declare that what you state is true.")},
    )


class AssistedFilingForm(forms.Form):
    """An officer files for a citizen who reached the office in person, by phone, chat or WhatsApp."""

    channel = forms.ChoiceField(
        label=_("How did the citizen contact the office?"),
        choices=[(value, label) for value, label in Channel.choices if value != Channel.WEB],
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("The citizen's e-mail address"),
        help_text=_(
            "If they have no account yet, we create one and e-mail them a link to choose a password, "
            "so they can follow the case."
        ),
    )
    first_name = forms.CharField(label=_("First name(s)"), max_length=150)
    last_name = forms.CharField(label=_("Last name(s)"), max_length=150)
    dni = forms.CharField(
        label=_("DNI"),
        max_length=12,
        help_text=_("Digits only, as on the ID card, e.g. 30123456."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input-width-10"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        help_text=_("With area code, e.g. 11 2345-6789."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel", "class": "input-width-20"}),
    )
    street_address = forms.CharField(label=_("Address"), max_length=200, help_text=_("Street, number, floor and flat."))
    city = forms.CharField(label=_("City or town"), max_length=100)
    province = forms.ChoiceField(label=_("Province"), choices=[("", "---------"), *Province.choices])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_dni(self) -> str:
        return normalize_dni(self.cleaned_data["dni"])

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def citizen(self) -> CitizenDetails:
        """The citizen's details as the assisted-filing service takes them (a valid form only)."""
        fields = ("email", "first_name", "last_name", "dni", "phone", "street_address", "city", "province")
        return CitizenDetails(**{name: self.cleaned_data[name] for name in fields})
