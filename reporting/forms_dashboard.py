"""The dashboard's filters: a GET form whose every field is optional. Empty, it asks for the last 12
months (this month and the 11 before it) of every case; each field narrows the figures.

The company is asked by CUIT, not picked from a list: at a national volume a select of every company
would be a page of its own. The CUIT is validated as everywhere else (python-stdnum) and resolved to
the registered company in one query."""

import re
from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel
from parties.forms import CuitField
from parties.models import Company, Province, Role, Sector, User
from parties.validators import format_cuit

from .indicators import Filters

# The default period and the longest one a person may ask for (a trend longer than five years is no
# longer read at a glance; the open data holds the rest).
DEFAULT_MONTHS = 12
MAX_MONTHS = 60
EARLIEST = date(2000, 1, 1)
# The last year a month field takes: a sane bound that keeps every month arithmetic (add_months, the
# 12 months from a start) inside the calendar; the period itself ends this month at the latest.
LATEST_YEAR = 2100

_ISO_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_LOCAL_MONTH = re.compile(r"^(?P<month>\d{1,2})[/-](?P<year>\d{4})$")


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (or before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    """How many months from `start`'s to `end`'s, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


class MonthInput(forms.DateInput):
    """A month picker where the browser has one (it sends YYYY-MM); a text box elsewhere.

    What a person typed that is not a month is given back in a text box: a month picker would show
    it empty (browsers drop a value they cannot read), hiding both the mistake and, on a phone, the
    filters themselves (concilia.js folds filters that look unused)."""

    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["value"]
        if shown and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(shown)):
            context["widget"]["type"] = "text"
        return context


class MonthField(forms.Field):
    """A month, typed as 2026-05 (what a month picker sends) or 05/2026; cleans to its first day."""

    widget = MonthInput
    default_error_messages = {
        "invalid": _("Enter a month as year and month, e.g. 2026-05."),
        # Whichever field: a month before 2000 begins the period before it, one after 2100 ends it
        # after this month.
        "too_early": _("The period cannot begin before January 2000."),
        "too_late": _("The period cannot end after this month."),
    }

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        match = _ISO_MONTH.match(text) or _LOCAL_MONTH.match(text)
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(match["year"]), int(match["month"])
        if not 1 <= month <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if year < EARLIEST.year:
            raise forms.ValidationError(self.error_messages["too_early"], code="too_early")
        if year > LATEST_YEAR:
            raise forms.ValidationError(self.error_messages["too_late"], code="too_late")
        return date(year, month, 1)


class DashboardFilterForm(forms.Form):
    start = MonthField(
        label=_("From month"),
        required=False,
        help_text=_("Year and month, e.g. 2025-06. Empty: the 12 months up to the last month."),
    )
    end = MonthField(
        label=_("To month"),
        required=False,
        help_text=_("Year and month, e.g. 2026-05. Empty: this month."),
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    company = CuitField(
        label=_("Company's CUIT"),
        required=False,
        help_text=_("11 digits, with or without dashes, e.g. 30-71234567-1. Empty: every company."),
    )
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    conciliator = forms.TypedChoiceField(label=_("Conciliator"), required=False, coerce=int, empty_value=None)
    vulnerable = forms.BooleanField(label=_("Hipervulnerable consumers only"), required=False)

    def __init__(self, data: Any = None, *, today: date, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.this_month = today.replace(day=1)
        self.company_found: tuple[int, str] | None = None
        self._choose("province", [("", _("All provinces")), *Province.choices])
        self._choose("sector", [("", _("All sectors")), *Sector.choices])
        self._choose("channel", [("", _("All channels")), *Channel.choices])
        # One query for the select; the same list validates the answer (no second query).
        conciliators = User.objects.filter(role=Role.CONCILIATOR).order_by("last_name", "first_name", "pk")
        self.conciliator_names = {
            pk: (f"{first} {last}".strip() or email)
            for pk, first, last, email in conciliators.values_list("pk", "first_name", "last_name", "email")
        }
        self._choose("conciliator", [("", _("All conciliators")), *self.conciliator_names.items()])
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(
                {"min": f"{EARLIEST:%Y-%m}", "max": f"{self.this_month:%Y-%m}", "placeholder": "2026-05"}
            )

    def _choose(self, name: str, choices: list) -> None:
        cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean_company(self) -> str:
        cuit = self.cleaned_data.get("company") or ""
        if cuit:
            found = Company.objects.filter(cuit=cuit).values_list("pk", "legal_name").first()
            if found is None:
                raise forms.ValidationError(
                    _("No company with the CUIT %(cuit)s is registered. Check the number."),
                    code="unknown_company",
                    params={"cuit": format_cuit(cuit)},
                )
            self.company_found = found
        return cuit

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "start" not in data or "end" not in data:
            return data  # a month was refused already: its own message says why
        start, end = data.get("start"), data.get("end")
        if end is None:
            end = self.this_month if start is None else min(add_months(start, DEFAULT_MONTHS - 1), self.this_month)
        if start is None:
            start = add_months(end, 1 - DEFAULT_MONTHS)
        if end > self.this_month:
            self.add_error("end", _("The period cannot end after this month."))
        elif start < EARLIEST:
            self.add_error("start", _("The period cannot begin before January 2000."))
        elif start > end:
            self.add_error("end", _("The last month must be the same as the first month or after it."))
        elif months_between(start, end) > MAX_MONTHS:
            self.add_error(
                "end",
                _("Choose a period of at most %(months)s months (the open data holds every month).")
                % {"months": MAX_MONTHS},
            )
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        """The indicators' filters for a valid form."""
        data = self.cleaned_data
        return Filters(
            start=data["start"],
            end=data["end"],
            province=data.get("province") or "",
            company_id=self.company_found[0] if self.company_found else None,
            sector=data.get("sector") or "",
            channel=data.get("channel") or "",
            conciliator_id=data.get("conciliator"),
            vulnerable=True if data.get("vulnerable") else None,
        )

    def query(self) -> dict[str, str]:
        """The filters of a valid form as query parameters, normalized (links to downloads)."""
        data = self.cleaned_data
        params = {"start": f"{data['start']:%Y-%m}", "end": f"{data['end']:%Y-%m}"}
        for name in ("province", "company", "sector", "channel"):
            if data.get(name):
                params[name] = str(data[name])
        if data.get("conciliator"):
            params["conciliator"] = str(data["conciliator"])
        if data.get("vulnerable"):
            params["vulnerable"] = "on"
        return params

    def description(self) -> list[tuple[str, str]]:
        """(what, value) pairs naming the filters of a valid form, in the reader's language: the
        header of a download and the summary above the figures."""
        data = self.cleaned_data
        described = [(str(_("Period")), f"{data['start']:%Y-%m} \u2013 {data['end']:%Y-%m}")]  # an en dash
        if data.get("province"):
            described.append((str(_("Province")), str(Province(data["province"]).label)))
        if self.company_found:
            described.append((str(_("Company")), f"{self.company_found[1]} ({format_cuit(data['company'])})"))
        if data.get("sector"):
            described.append((str(_("Sector")), str(Sector(data["sector"]).label)))
        if data.get("channel"):
            described.append((str(_("Channel")), str(Channel(data["channel"]).label)))
        if data.get("conciliator"):
            described.append((str(_("Conciliator")), self.conciliator_names[data["conciliator"]]))
        if data.get("vulnerable"):
            described.append((str(_("Consumers")), str(_("hipervulnerable only"))))
        return described

    def slug(self) -> str:
        """The filters of a valid form as an ASCII file-name part, e.g. 2025-06_2026-05_CABA_30712345671."""
        data = self.cleaned_data
        parts = [f"{data['start']:%Y-%m}", f"{data['end']:%Y-%m}"]
        parts += [str(data[name]) for name in ("province", "company", "sector", "channel") if data.get(name)]
        if data.get("conciliator"):
            parts.append(f"c{data['conciliator']}")
        if data.get("vulnerable"):
            parts.append("hv")
        return "_".join(parts)
