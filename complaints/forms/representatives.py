"""Forms for the consumer's representative in a case."""

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import ConsumerRepresentative


class ConsumerRepForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail of the person who will represent the consumer"),
        help_text=_("They must already have an account on Concilia; if not, ask them to sign up first."),
    )
    kind = forms.ChoiceField(
        label=_("How do they act?"), choices=ConsumerRepresentative.Kind.choices, widget=forms.RadioSelect
    )
    bar_registration = forms.CharField(
        label=_("Bar registration (tomo y folio), for a lawyer"), required=False, max_length=40
    )
    document = forms.FileField(
        label=_("The power or the lawyer's appointment, as a PDF"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        error_messages={"required": _("Choose the PDF of the power.")},
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("kind") == ConsumerRepresentative.Kind.LAWYER and not (data.get("bar_registration") or "").strip():
            self.add_error("bar_registration", _("Enter the lawyer's bar registration (tomo y folio)."))
        return data
