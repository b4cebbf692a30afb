from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parties.dates import BoundedDateField
from parties.models import (
    STAFF_ROLES,
    Company,
    ConciliatorDayOff,
    ConciliatorProfile,
    ConsumerProfile,
    PowerKind,
    Role,
    Sector,
    User,
)
from parties.validators import normalize_cuit, normalize_dni, normalize_phone


class CuitField(forms.CharField):
    """Accepts 30-71234567-1, 30712345671 or with spaces; cleans to 11 digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 13)
        kwargs.setdefault("help_text", _("11 digits, with or without dashes, e.g. 30-71234567-1."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"})

    def clean(self, value):
        value = super().clean(value)
        return normalize_cuit(value) if value else value


class ConsumerProfileForm(forms.ModelForm):
    """The consumer's own details. Names live on the user; the rest on the profile."""

    first_name = forms.CharField(label=_("First name(s)"), max_length=150)
    last_name = forms.CharField(label=_("Last name(s)"), max_length=150)
    # People type DNI and CUIL with dots, dashes or spaces; the cleaners store bare digits.
    dni = forms.CharField(label=_("DNI"), max_length=14, help_text=_("Digits only, as on your ID card, e.g. 30123456."))
    cuil = CuitField(label=_("CUIL"), required=False, help_text=_("11 digits, e.g. 20-30123456-7."))
    preferred_language = forms.ChoiceField(label=_("Language for messages"), choices=settings.LANGUAGES)
    notify_sms = forms.BooleanField(label=_("I agree to receive SMS messages about my cases"), required=False)
    notify_whatsapp = forms.BooleanField(label=_("I agree to receive WhatsApp messages about my cases"), required=False)

    class Meta:
        model = ConsumerProfile
        fields = ["dni", "cuil", "phone", "street_address", "city", "postal_code", "province"]
        help_texts = {
            "phone": _("With area code, e.g. 11 2345-6789. We use it to reach you about your case."),
            "street_address": _("Street, number, floor and flat."),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
            "street_address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
        }

    field_order = [
        "first_name",
        "last_name",
        "dni",
        "cuil",
        "phone",
        "street_address",
        "city",
        "postal_code",
        "province",
        "preferred_language",
        "notify_sms",
        "notify_whatsapp",
    ]

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["first_name"].initial = user.first_name
        self.fields["last_name"].initial = user.last_name
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["preferred_language"].initial = user.preferred_language
        self.fields["dni"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["notify_sms"].initial = self.instance.notify_by_sms if self.instance.pk else False
        self.fields["notify_whatsapp"].initial = self.instance.notify_by_whatsapp if self.instance.pk else False

    def clean_dni(self) -> str:
        return normalize_dni(self.cleaned_data["dni"])

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def save(self, commit: bool = True) -> ConsumerProfile:
        profile = super().save(commit=False)
        profile.user = self.user
        now = timezone.now()
        # Keep the original consent time while consent continues; clear it when withdrawn.
        profile.sms_consent_at = (profile.sms_consent_at or now) if self.cleaned_data["notify_sms"] else None
        profile.whatsapp_consent_at = (
            (profile.whatsapp_consent_at or now) if self.cleaned_data["notify_whatsapp"] else None
        )
        self.user.first_name = self.cleaned_data["first_name"]
        self.user.last_name = self.cleaned_data["last_name"]
        self.user.preferred_language = self.cleaned_data["preferred_language"]
        if commit:
            self.user.save(update_fields=["first_name", "last_name", "preferred_language"])
            profile.save()
        return profile


class AccountDetailsForm(forms.ModelForm):
    """Name and language, for everyone who is not a consumer."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "preferred_language"]
        labels = {"first_name": _("First name(s)"), "last_name": _("Last name(s)")}


class CompanyForm(forms.ModelForm):
    cuit = CuitField(label=_("CUIT"))

    class Meta:
        model = Company
        fields = ["cuit", "legal_name", "trade_names", "sector", "legal_address", "electronic_domicile"]
        help_texts = {
            "sector": _("The sector its figures are compared with on the public transparency pages."),
            "legal_name": _("As registered with AFIP/ARCA, e.g. Electrodomésticos del Sur S.A."),
            "electronic_domicile": _(
                "The e-mail address where formal notices are served. Leave blank if the company has not set one up."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].required = False

    def clean_sector(self) -> str:
        return self.cleaned_data.get("sector") or Sector.OTHER

    def clean_cuit(self) -> str:
        cuit = self.cleaned_data["cuit"]
        if Company.objects.filter(cuit=cuit).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A company with this CUIT is already registered."), code="duplicate")
        return cuit


class CompanySectorForm(forms.Form):
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=Sector.choices,
        help_text=_("The sector its figures are compared with on the public transparency pages."),
    )


class ElectronicDomicileForm(forms.Form):
    electronic_domicile = forms.EmailField(
        label=_("Electronic domicile"),
        help_text=_("Formal notices (cédulas) about complaints will be served at this address and on this platform."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person you invite"))
    is_admin = forms.BooleanField(label=_("Company admin: can invite and revoke other representatives"), required=False)


class CompanySearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name or CUIT"), required=False)


class StaffRoleForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person's account"))
    role = forms.ChoiceField(
        label=_("Role"), choices=[(role.value, role.label) for role in Role if role in STAFF_ROLES]
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if not User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("No account uses this address. The person must sign up first."), code="unknown_user"
            )
        return email


WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class ConciliatorProfileForm(forms.ModelForm):
    work_days = forms.MultipleChoiceField(
        label=_("Working days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ConciliatorProfile
        fields = ["work_days", "work_start", "work_end", "max_hearings_per_day"]
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["work_days"] = [str(day) for day in self.instance.weekdays]

    def clean_work_days(self) -> str:
        return ",".join(sorted(self.cleaned_data["work_days"]))

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, end = cleaned.get("work_start"), cleaned.get("work_end")
        if start and end and start >= end:
            self.add_error("work_end", _("The end of the working day must be after its start."))
        return cleaned


class DayOffForm(forms.ModelForm):
    class Meta:
        model = ConciliatorDayOff
        fields = ["date", "reason"]
        field_classes = {"date": BoundedDateField}
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class PowerUploadForm(forms.Form):
    """A representative's power to bind the company: the office validates it before they can offer."""

    kind = forms.ChoiceField(label=_("What kind of document is it?"), choices=PowerKind.choices)
    document = forms.FileField(
        label=_("The power, as a PDF"),
        help_text=_("The notarised power (poder) or the statute with the appointment of authorities."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        error_messages={"required": _("Choose the PDF of the power.")},
    )
    valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        help_text=_("Leave it blank if the power has no end date."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class PowerDecisionForm(forms.Form):
    """The office's decision on a power: validate, or reject saying why."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("validate", _("Validate the power")), ("reject", _("Reject the power"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why it is rejected (the representative reads it)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The SHA-256 of the PDF the officer had in front of them: the decision is refused if the file
    # changed since (the representative uploaded another one meanwhile).
    # The document the officer opened: the decision binds that file, not one uploaded meanwhile.
    power_sha256 = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        error_messages={"required": _("Open the power's document from the queue before deciding on it.")},
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the power is rejected, so it can be fixed."))
        return data
