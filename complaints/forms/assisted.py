"""The desk's assisted-filing form, with the case of a citizen who has no e-mail address: they are
reached by phone (SMS and/or WhatsApp, with the consent the officer records here)."""

from dataclasses import replace

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.assisted import CitizenDetails
from complaints.forms.filing import AssistedFilingForm


class DeskFilingForm(AssistedFilingForm):
    no_email = forms.BooleanField(
        label=_("The citizen has no e-mail address"),
        required=False,
        help_text=_("Then we reach them by SMS or WhatsApp on the phone below, and you give them a printed receipt."),
    )
    sms_consent = forms.BooleanField(label=_("The citizen agrees to be notified by SMS"), required=False)
    whatsapp_consent = forms.BooleanField(label=_("The citizen agrees to be notified by WhatsApp"), required=False)

    field_order = ["channel", "no_email", "email", "sms_consent", "whatsapp_consent"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        self.fields["email"].help_text = _(
            "Required unless the citizen has no e-mail address. If they have no account yet, we create one and "
            "e-mail them a link to choose a password, so they can follow the case."
        )
        self.fields["phone"].help_text = _(
            "With area code, e.g. 11 2345-6789. A citizen without e-mail is notified on this number."
        )

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("no_email"):
            if not (data.get("sms_consent") or data.get("whatsapp_consent")):
                self.add_error(
                    "sms_consent",
                    _("Ask the citizen whether we may notify them by SMS, by WhatsApp or both, and tick at least one."),
                )
        elif not data.get("email") and "email" not in self.errors:
            self.add_error(
                "email", _("Enter the citizen's e-mail address, or tick “The citizen has no e-mail address”.")
            )
        return data

    def citizen(self) -> CitizenDetails:
        details = super().citizen()
        if not self.cleaned_data.get("no_email"):
            return details
        return replace(
            details,
            email="",
            no_email=True,
            sms_consent=bool(self.cleaned_data.get("sms_consent")),
            whatsapp_consent=bool(self.cleaned_data.get("whatsapp_consent")),
        )
