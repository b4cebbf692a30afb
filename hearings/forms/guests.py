"""The office's (or the conciliator's) form to invite a guest to a hearing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import HearingGuest


class GuestInviteForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Why they come"),
        choices=HearingGuest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether the guest is a companion, an interpreter or a sign-language interpreter.")
        },
    )
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As the room will show it to everyone in the hearing."),
        error_messages={"required": _("Write the guest's full name.")},
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("We send the personal link to this address. Without one, give the guest the link yourself."),
        error_messages={"invalid": _("Write an e-mail address like nombre@ejemplo.com.")},
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("To reach the guest if the connection fails."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
