"""The officer's decisions on a complaint flagged as a possible duplicate: each takes an optional note."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DuplicateJoinForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the consumer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept with this complaint: the consumer reads it in the notice that it was joined. The earlier case "
            "records only that it was joined."
        ),
    )


class DuplicateRejectForm(forms.Form):
    note = forms.CharField(
        label=_("Explanation for the consumer"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The notice already names the case this complaint repeats, with its link."),
    )


class DuplicateDismissForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is not a duplicate"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the case file with your name."),
    )
