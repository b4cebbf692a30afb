from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.events import EVENTS
from notifications.models import Channel, Status


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


PROVIDER_LOST = "provider"


class FailureFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            *_blank(_("Failed or dead")),
            (Status.FAILED, Status.FAILED.label),
            (Status.DEAD, Status.DEAD.label),
            # Handed over, then reported lost by the provider (notifications/feedback.py).
            (PROVIDER_LOST, _("Not delivered, per the provider")),
        ],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(_("All")) + Channel.choices)
    event = forms.CharField(label=_("Event"), required=False, max_length=64)
    case_number = forms.CharField(label=_("Case number"), required=False, max_length=20)

    event_suggestions = sorted(EVENTS)


class FormalNoticeFilterForm(forms.Form):
    STATES = [
        ("", _("All")),
        ("unopened", _("Not opened")),
        ("opened", _("Opened")),
        ("served", _("Served")),
        ("not_served", _("Not served yet")),
    ]
    company = forms.TypedChoiceField(label=_("Company"), required=False, coerce=int, empty_value=None)
    case_number = forms.CharField(label=_("Case number"), required=False, max_length=20)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATES)

    def __init__(self, *args, companies=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = _blank(_("All")) + [(c.pk, c.legal_name) for c in companies]  # type: ignore[attr-defined]
