"""Forms of scheduling: pick a proposed slot or another one, move a hearing, cancel it, and the
filters of the office's list and calendar. They only read what was typed; the services decide."""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from hearings.forms import NearDateField
from hearings.models import Hearing
from hearings.scheduling import Slot, conciliators
from parties.models import User

OTHER = "other"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class _ReadOnce(ModelChoiceIterator):
    """The options in one plain query. Django's iterator streams them through a server-side cursor on
    PostgreSQL (DECLARE … WITH HOLD, FETCH, CLOSE: three round trips, the first materialising the
    result), made for tables too long to hold in memory; the office has a few dozen conciliators,
    and every list and calendar page draws this select."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ConciliatorChoiceField(forms.ModelChoiceField):
    iterator = _ReadOnce

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


def slot_label(slot: Slot) -> str:
    start, end = (
        slot.starts_at.astimezone(timezone.get_default_timezone()),
        slot.ends_at.astimezone(timezone.get_default_timezone()),
    )
    return _("%(weekday)s %(date)s, %(start)s to %(end)s — %(conciliator)s") % {
        "weekday": date_format(start, "l"),
        "date": date_format(start, "DATE_FORMAT"),
        "start": time_format(start, "TIME_FORMAT"),
        "end": time_format(end, "TIME_FORMAT"),
        "conciliator": slot.conciliator.display_name,
    }


def _aware(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_default_timezone())


class _PickedTime(forms.Form):
    """A date, a time and a conciliator typed by the office (in Argentine time)."""

    # The forms say novalidate; which fields are needed depends on the choice (ScheduleForm).
    use_required_attribute = False

    date = NearDateField(
        label=_("Date"), widget=DATE_WIDGET, error_messages={"required": _("Enter the date of the hearing.")}
    )
    time = forms.TimeField(
        label=_("Start time"),
        widget=TIME_WIDGET,
        help_text=_("Argentine time."),
        error_messages={"required": _("Enter the time the hearing starts.")},
    )
    conciliator = ConciliatorChoiceField(
        label=_("Conciliator"),
        queryset=User.objects.none(),
        error_messages={"required": _("Choose the conciliator.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conciliator"].queryset = conciliators()  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        if data.get("date") and data.get("time"):
            data["starts_at"] = _aware(data["date"], data["time"])
        return data


class ScheduleForm(_PickedTime):
    slot = forms.CharField(
        label=_("When"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the proposed times, or another date and time.")},
    )
    field_order = ["slot", "date", "time", "conciliator"]

    def __init__(self, *args, slots: list[Slot], **kwargs):
        super().__init__(*args, **kwargs)
        # A date, a time and a conciliator are needed only when "another" is chosen.
        if self.is_bound and self.data.get("slot") != OTHER:
            for name in ("date", "time", "conciliator"):
                self.fields[name].required = False
        choices: list[tuple[str, str]] = [(slot.value, slot_label(slot)) for slot in slots]
        choices.append((OTHER, str(_("Another date, time or conciliator (below)"))))
        self.fields["slot"].widget.choices = choices
        if slots:
            self.fields["slot"].initial = slots[0].value
            self.fields["slot"].help_text = _(
                "The earliest free times that respect the company's notice, each with the least busy "
                "conciliator free then."
            )
        else:
            self.fields["slot"].initial = OTHER
            self.fields["slot"].help_text = _(
                "No free time was found in the coming weeks: choose a date, a time and a conciliator below."
            )

    def clean(self):
        data = super().clean() or {}
        choice = data.get("slot")
        if choice and choice != OTHER:
            # "<conciliator pk>@<ISO start>", as Slot.value wrote it. The service checks it is still free.
            pk, _sep, iso = choice.partition("@")
            try:
                starts_at = datetime.fromisoformat(iso)
                conciliator = conciliators().get(pk=int(pk))
            except (ValueError, User.DoesNotExist):
                self.add_error("slot", _("That time is no longer offered: choose again."))
            else:
                if timezone.is_naive(starts_at):
                    starts_at = timezone.make_aware(starts_at, timezone.get_default_timezone())
                data["starts_at"], data["conciliator"] = starts_at, conciliator
        return data


class RescheduleForm(_PickedTime):
    reason = forms.CharField(
        label=_("Why the hearing is moved"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The parties read this in the notice of the new date."),
        error_messages={"required": _("Say why the hearing is moved.")},
    )

    def __init__(self, *args, hearing: Hearing, **kwargs):
        local = hearing.starts_at.astimezone(timezone.get_default_timezone())
        kwargs.setdefault(
            "initial", {"date": local.date(), "time": local.time(), "conciliator": hearing.conciliator_id}
        )
        super().__init__(*args, **kwargs)
        self.fields["conciliator"].empty_label = None  # type: ignore[attr-defined]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the hearing is moved."))
        return reason


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the hearing is cancelled"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The parties read this. The case goes back to waiting for a hearing date."),
        error_messages={"required": _("Say why the hearing is cancelled.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the hearing is cancelled."))
        return reason


# --- The office's list and calendar ---------------------------------------------------------------

UPCOMING, PAST, ALL = "upcoming", "past", "all"
STANDING = "standing"  # the status filter's "any but cancelled"


def standing(hearings: QuerySet[Hearing]) -> QuerySet[Hearing]:
    """The hearings that stand: any but cancelled ones. What the calendar shows and counts, and what
    the list shows when the calendar sends the office to a whole day."""
    return hearings.exclude(status=Hearing.Status.CANCELLED)


def day_in_list(day: date) -> str:
    """The list's query for one day as the calendar counts it: its standing hearings, in time order
    (a single day is read as an agenda, HearingFilterForm.filter)."""
    return urlencode({"when": ALL, "date_from": day.isoformat(), "date_to": day.isoformat(), "status": STANDING})


class HearingFilterForm(forms.Form):
    """GET filters of the hearing list. Every filter becomes SQL; an invalid value is ignored."""

    q = forms.CharField(
        label=_("Case number"), required=False, max_length=30, help_text=_("For example DC-2026-000123, or 123.")
    )
    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=[(UPCOMING, _("From today on")), (PAST, _("Past")), (ALL, _("Any time"))],
    )
    date_from = NearDateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = NearDateField(label=_("Until"), required=False, widget=DATE_WIDGET)
    conciliator = ConciliatorChoiceField(label=_("Conciliator"), required=False, queryset=User.objects.none())
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), (STANDING, _("Any but cancelled")), *Hearing.Status.choices],
    )

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
        data = self.data_or_empty
        return data.get("when", "") not in ("", UPCOMING) or any(
            data.get(name) for name in ("q", "date_from", "date_to", "conciliator", "status")
        )

    def filter(self, hearings: QuerySet[Hearing], *, now: datetime) -> QuerySet[Hearing]:
        """Narrowed and ordered: upcoming ones, or a single day's, soonest first (an agenda); otherwise
        most recent first."""
        data = self.data_or_empty
        when = data.get("when") or UPCOMING
        today = _aware(timezone.localdate(now), time.min)
        if data.get("date_from"):
            hearings = hearings.filter(starts_at__gte=_aware(data["date_from"], time.min))
        elif when == UPCOMING:
            hearings = hearings.filter(starts_at__gte=today)
        if data.get("date_to"):
            hearings = hearings.filter(starts_at__lt=_aware(data["date_to"] + timedelta(days=1), time.min))
        if when == PAST:
            hearings = hearings.filter(starts_at__lt=now)
        if data.get("conciliator"):
            hearings = hearings.filter(conciliator=data["conciliator"])
        if data.get("status") == STANDING:
            hearings = standing(hearings)
        elif data.get("status"):
            hearings = hearings.filter(status=data["status"])
        if data.get("q"):
            hearings = hearings.filter(case_number_condition(data["q"]))
        single_day = data.get("date_from") is not None and data.get("date_from") == data.get("date_to")
        if when == UPCOMING or single_day:
            return hearings.order_by("starts_at", "pk")
        return hearings.order_by("-starts_at", "-pk")


def case_number_condition(text: str) -> Q:
    """ "DC-2026-000123" exactly, "123" as the sequence part in any year, else a fragment."""
    text = text.strip().upper()
    parts = text.split("-")
    if len(parts) == 3 and parts[0] == "DC" and parts[1].isdigit() and parts[2].isdigit():
        return Q(complaint__number=f"DC-{parts[1]}-{int(parts[2]):06d}")
    if text.isdigit() and len(text) <= 6:
        return Q(complaint__number__endswith=f"-{int(text):06d}")
    return Q(complaint__number__icontains=text)


class CalendarFilterForm(forms.Form):
    week = NearDateField(label=_("Week of"), required=False, widget=DATE_WIDGET)
    conciliator = ConciliatorChoiceField(label=_("Conciliator"), required=False, queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        conciliator = self.fields["conciliator"]
        conciliator.queryset = conciliators()  # type: ignore[attr-defined]
        conciliator.empty_label = _("Every conciliator")  # type: ignore[attr-defined]
