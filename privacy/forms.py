from django import forms
from django.utils.translation import gettext_lazy as _

from parties.dates import BoundedDateField
from parties.models import Role
from privacy.models import AccessKind, DataRequest


class DataRequestForm(forms.ModelForm):
    class Meta:
        model = DataRequest
        fields = ["kind", "case_number", "details"]
        widgets = {"kind": forms.RadioSelect, "details": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}
        labels = {"case_number": _("Case number")}  # the form itself marks it optional
        help_texts = {
            "case_number": _("If it is about one complaint, its number, e.g. DC-2026-000123."),
            "details": _("Tell us which data is wrong or should be deleted, and what it should say."),
        }

    def clean_details(self) -> str:
        details = self.cleaned_data["details"].strip()
        if len(details) > 2000:
            raise forms.ValidationError(_("Write at most 2,000 characters."))
        if not details:
            raise forms.ValidationError(_("Tell us what to correct or delete."))
        return details


class DataRequestCloseForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


DATE = forms.DateInput(attrs={"type": "date"})


class AccessLogFilterForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), required=False, max_length=20)
    user = forms.CharField(label=_("Who (e-mail)"), required=False, max_length=254)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All")), *Role.choices])
    kind = forms.ChoiceField(label=_("What"), required=False, choices=[("", _("All")), *AccessKind.choices])
    since = BoundedDateField(label=_("From"), required=False, past_years=30, future_years=1, widget=DATE)
    until = BoundedDateField(label=_("Until"), required=False, past_years=30, future_years=1, widget=DATE)

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date must be on or after the start date."))
        return data


class DataRequestFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *DataRequest.Status.choices])
