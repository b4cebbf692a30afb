"""Forms of the hearings floor, one module per part (scheduling, room, outcome)."""

from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Hearings are set within this many years of today, either way; anything beyond is a typo (and
# dates near year 1 or 9999 would overflow when a time zone or a duration is added).
YEARS = 5


def _within_range(value: date) -> bool:
    today = timezone.localdate()
    return today - timedelta(days=365 * YEARS) <= value <= today + timedelta(days=365 * YEARS)


class NearDateField(forms.DateField):
    default_error_messages = {"far": _("Enter a date within 5 years of today.")}

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is not None and not _within_range(cleaned):
            raise forms.ValidationError(self.error_messages["far"], code="far")
        return cleaned


class NearDateTimeField(forms.DateTimeField):
    default_error_messages = {"far": _("Enter a date within 5 years of today.")}

    def clean(self, value):
        cleaned = super().clean(value)
        if isinstance(cleaned, datetime) and not _within_range(cleaned.date()):
            raise forms.ValidationError(self.error_messages["far"], code="far")
        return cleaned
