"""Date inputs with bounds. A date far from today in a form is a typo (or a probe): an offer "due in
9999" is never followed up, and dates near year 1 or 9999 overflow as soon as a day or a time zone is
added to them (a 500 on every list filtered by one). Every date a person types goes through here."""

from datetime import date
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


def years_from(day: date, years: int) -> date:
    """The same day `years` later (earlier if negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class BoundedDateField(forms.DateField):
    """A date from `past_years` before to `future_years` after the office's today, checked when the
    form is cleaned (not when the module is loaded, so the bounds move with the calendar). A date
    picker is given the same bounds as `min` and `max`.

    Its messages take `%(date)s` (the bound, in the reader's format) and `%(years)s`."""

    default_error_messages = {
        "too_early": _("Enter a date on or after %(date)s."),
        "too_late": _("Enter a date on or before %(date)s."),
    }

    def __init__(self, *, past_years: int = 100, future_years: int = 10, **kwargs: Any) -> None:
        self.past_years, self.future_years = past_years, future_years
        super().__init__(**kwargs)

    def bounds(self) -> tuple[date, date]:
        today = timezone.localdate()
        return years_from(today, -self.past_years), years_from(today, self.future_years)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is None:
            return
        earliest, latest = self.bounds()
        if value < earliest:
            self._refuse("too_early", earliest, self.past_years)
        if value > latest:
            self._refuse("too_late", latest, self.future_years)

    def _refuse(self, code: str, bound: date, years: int) -> None:
        raise forms.ValidationError(
            self.error_messages[code],
            code=code,
            params={"date": formats.date_format(bound, "SHORT_DATE_FORMAT"), "years": years},
        )

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> BoundField:
        # Each form has its own copy of the widget: today's bounds go on it, not on the class's.
        if getattr(self.widget, "input_type", "") == "date":
            earliest, latest = self.bounds()
            self.widget.attrs.setdefault("min", earliest.isoformat())
            self.widget.attrs.setdefault("max", latest.isoformat())
        return super().get_bound_field(form, field_name)
