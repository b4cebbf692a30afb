"""The office's forms for serving a company on paper: the list's filter, and print, dispatch,
delivery and failed delivery of a notice. Each form has a prefix, so several share one page."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import PaperNotice
from complaints.services.paper import NOT_YET


def _date_field(label, help_text=""):
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date", "class": "input-width-10"}, format="%Y-%m-%d"),
    )


class PaperListFilterForm(forms.Form):
    notice = forms.ChoiceField(
        label=_("Last notice"),
        required=False,
        choices=[
            ("", _("Any")),
            (NOT_YET, _("None printed yet")),
            (PaperNotice.Status.PRINTED, _("Printed, not yet dispatched")),
            (PaperNotice.Status.DISPATCHED, _("Dispatched, awaiting the receipt")),
            (PaperNotice.Status.FAILED, _("Not delivered: needs another address")),
        ],
    )


class PaperPrintForm(forms.Form):
    prefix = "print"

    kind = forms.ChoiceField(
        label=_("How is the notice sent?"),
        choices=PaperNotice.Kind.choices,
        initial=PaperNotice.Kind.CEDULA,
        widget=forms.RadioSelect,
        help_text=_("A cédula is printed here as a PDF. A carta documento is written at the post office."),
    )
    address = forms.CharField(
        label=_("Address the notice goes to"),
        max_length=250,
        required=False,
        help_text=_("Street, number, floor, postcode and town. Leave it as it is unless the last notice failed."),
    )


class PaperDispatchForm(forms.Form):
    prefix = "dispatch"

    dispatched_on = _date_field(_("Date it was dispatched"))
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=60,
        help_text=_("As the post office or the notifier gave it, for example CD 123456789 AR."),
    )

    def clean_dispatched_on(self):
        return _not_future(self.cleaned_data["dispatched_on"])


class PaperDeliverForm(forms.Form):
    prefix = "deliver"

    delivered_on = _date_field(
        _("Date it was delivered"),
        _("As the receipt says. The company's deadline to set up its electronic domicile counts from this day."),
    )
    receipt = forms.FileField(
        label=_("Receipt of delivery"),
        help_text=_("The signed receipt or the post office's delivery notice: a PDF, JPEG or PNG file."),
    )

    def clean_delivered_on(self):
        return _not_future(self.cleaned_data["delivered_on"])


class PaperFailForm(forms.Form):
    prefix = "fail"

    failed_on = _date_field(_("Date the delivery failed"))
    reason = forms.CharField(
        label=_("Why it was not delivered"),
        max_length=300,
        help_text=_("As the receipt or the notifier says, for example “address not found” or “moved away”."),
    )

    def clean_failed_on(self):
        return _not_future(self.cleaned_data["failed_on"])


def _not_future(day):
    if day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return day
