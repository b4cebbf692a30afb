"""Forms of a conciliator's leave and of the list of hearings that need another conciliator. They read
what was typed; hearings/services/reassign.py decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from hearings.forms import NearDateField
from hearings.forms.scheduling import DATE_WIDGET, ConciliatorChoiceField
from hearings.scheduling import conciliators
from parties.models import User


class LeaveForm(forms.Form):
    """One day off, or a leave from one day to another (both included)."""

    first_day = NearDateField(
        label=_("First day"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Enter the first day off.")},
    )
    last_day = NearDateField(
        label=_("Last day (optional)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave it blank for a single day. Every day in between is a day off."),
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        help_text=_("For example: annual leave, training, sick leave."),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The leave must end on or after the day it begins."))
        return data


class NeedsConciliatorFilterForm(forms.Form):
    """GET filters of the hearings that need another conciliator. Every filter becomes SQL."""

    q = forms.CharField(
        label=_("Case number"), required=False, max_length=30, help_text=_("For example DC-2026-000123, or 123.")
    )
    conciliator = ConciliatorChoiceField(label=_("Conciliator on leave"), required=False, queryset=User.objects.none())
    date_from = NearDateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = NearDateField(label=_("Until"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        conciliator = self.fields["conciliator"]
        conciliator.queryset = conciliators()  # type: ignore[attr-defined]
        conciliator.empty_label = _("Every conciliator")  # type: ignore[attr-defined]

    @property
    def data_or_empty(self) -> dict:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    def narrows(self) -> bool:
        return any(self.data_or_empty.get(name) for name in ("q", "conciliator", "date_from", "date_to"))


class ReassignForm(forms.Form):
    """What the office posts to give one hearing, or a whole day, to another conciliator."""

    reason = forms.CharField(
        label=_("Reason, for the parties"),
        max_length=1000,
        error_messages={"required": _("Say why the hearing changes conciliator: the parties will read it.")},
    )
