from datetime import datetime

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from parties.models import User

from .models import Clock, Kind, WhoActs

OVERDUE = "overdue"
AT_RISK = "at_risk"
MINE = "mine"
UNASSIGNED = "none"


class ClockFilterForm(forms.Form):
    """GET filters of the at-risk / overdue list; each becomes SQL on an open-clocks partial index."""

    q = forms.CharField(label=_("Case number"), required=False, max_length=20, help_text=_("E.g. DC-2026-000123."))
    kind = forms.ChoiceField(label=_("Wait"), required=False, choices=[("", _("Any")), *Kind.choices])
    who_acts = forms.ChoiceField(label=_("Who acts"), required=False, choices=[("", _("Any")), *WhoActs.choices])
    assignee = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[("", _("Anyone")), (MINE, _("Me")), (UNASSIGNED, _("Nobody (the office)"))],
    )
    when = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("Overdue or at risk")), (OVERDUE, _("Overdue")), (AT_RISK, _("At risk (due soon)"))],
    )

    def narrows(self) -> bool:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return any(data.get(name) for name in ("q", "kind", "who_acts", "assignee", "when"))

    def filter(self, clocks: QuerySet[Clock], *, now: datetime, horizon: datetime, user: User) -> QuerySet[Clock]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        when = data.get("when")
        if when == OVERDUE:
            clocks = clocks.filter(due_at__lt=now)
        elif when == AT_RISK:
            clocks = clocks.filter(due_at__gte=now, due_at__lte=horizon)
        else:
            clocks = clocks.filter(due_at__lte=horizon)
        if data.get("kind"):
            clocks = clocks.filter(kind=data["kind"])
        if data.get("who_acts"):
            clocks = clocks.filter(who_acts=data["who_acts"])
        if data.get("assignee") == MINE:
            clocks = clocks.filter(assignee=user)
        elif data.get("assignee") == UNASSIGNED:
            clocks = clocks.filter(assignee__isnull=True)
        if data.get("q"):
            clocks = clocks.filter(complaint__number=data["q"].strip().upper())
        return clocks
