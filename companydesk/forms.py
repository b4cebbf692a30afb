"""The desk's forms: the list's filters (GET, and copied into the bulk form so "all matching" means
the same cases), the bulk action's choice of cases, and an assignment rule."""

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.selectors import CASE_NUMBER, CASE_NUMBER_START, LEAD_VISIBLE_STATES, complaint_search
from complaints.states import State
from parties.dates import BoundedDateField
from parties.http import as_id
from parties.models import Province, User

from .selectors import at_risk

# How far from today the date filters reach, either way (as the case list's).
FILTER_YEARS = 30

ASSIGNED_ANYONE = ""
ASSIGNED_ME = "me"
ASSIGNED_NOBODY = "nobody"

YES = "yes"
NO = "no"

# The filter's names: the bulk form carries exactly these as hidden fields (templates/companydesk/).
FILTER_NAMES = (
    "q",
    "state",
    "part_status",
    "assigned",
    "province",
    "received_from",
    "received_to",
    "acknowledged",
    "risk",
)


def _date_field(label) -> BoundedDateField:
    return BoundedDateField(
        past_years=FILTER_YEARS,
        future_years=FILTER_YEARS,
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def no_longer_represents(person: User) -> str:
    """The name of someone who no longer represents the company, saying so (the filter, a row)."""
    return gettext("%(name)s (no longer represents the company)") % {"name": person.display_name}


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0)))


class DeskFilterForm(forms.Form):
    """The desk's filters. Every field is optional and becomes SQL; an invalid one is an error the
    page shows (and a bulk action on "all matching" refuses to run on: it would mean more cases)."""

    q = forms.CharField(
        label=_("Case number"),
        required=False,
        max_length=30,
        help_text=_("The whole number (DC-2026-000123 or 2026-123), its beginning, or its last digits."),
    )
    state = forms.ChoiceField(label=_("Case status"), required=False)
    part_status = forms.ChoiceField(
        label=_("Your company's part"), required=False, choices=[("", _("Any")), *PartStatus.choices]
    )
    assigned = forms.ChoiceField(label=_("Assigned to"), required=False)
    province = forms.ChoiceField(
        label=_("Consumer's province"), required=False, choices=[("", _("Any")), *Province.choices]
    )
    received_from = _date_field(_("Received from"))
    received_to = _date_field(_("Received until"))
    acknowledged = forms.ChoiceField(
        label=_("Acknowledgement of receipt"),
        required=False,
        choices=[("", _("Either")), (YES, _("Receipt acknowledged")), (NO, _("Not acknowledged yet"))],
    )
    # The "at risk" tab (a link, not a field on the page).
    risk = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, user: User, representatives: list[User] | None = None, former: list[User] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off", "inputmode": "text"})
        state = self.fields["state"]
        assert isinstance(state, forms.ChoiceField)
        state.choices = [
            ("", _("Any")),
            *((value, label) for value, label in State.choices if value in LEAD_VISIBLE_STATES),
        ]
        assigned = self.fields["assigned"]
        assert isinstance(assigned, forms.ChoiceField)
        choices: list[tuple[str, object]] = [
            (ASSIGNED_ANYONE, _("Anyone or nobody")),
            (ASSIGNED_ME, _("Me")),
            (ASSIGNED_NOBODY, _("Nobody")),
        ]
        # An admin picks any representative of the company, and anyone who represented it before (to
        # find the cases still in their name and hand them over); the others, themselves or nobody.
        choices += [(str(person.pk), person.display_name) for person in representatives or [] if person.pk != user.pk]
        choices += [(str(person.pk), no_longer_represents(person)) for person in former or [] if person.pk != user.pk]
        assigned.choices = choices

    def clean_q(self) -> str:
        text = self.cleaned_data["q"].strip()
        digits = text.replace(" ", "")
        if text and not (
            CASE_NUMBER.match(text)
            or CASE_NUMBER_START.match(text)
            # ASCII digits only: "²" or "①" pass str.isdigit() but not int().
            or (digits.isascii() and digits.isdigit() and len(digits) <= 6)
        ):
            raise forms.ValidationError(_("Type a case number, e.g. DC-2026-000123, or its last digits."))
        return text

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date must be on or after the start date."))
        return data

    @property
    def data_ok(self) -> dict:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    @property
    def in_use(self) -> bool:
        """A filter other than the at-risk tab is set (the page offers to clear them)."""
        return self.is_bound and any(self.data.get(name) for name in FILTER_NAMES if name != "risk")

    @property
    def at_risk_tab(self) -> bool:
        return bool(self.data_ok.get("risk"))

    def filter(self, parts: QuerySet[CaseCompany], *, horizon: datetime) -> QuerySet[CaseCompany]:
        """`parts` narrowed by the valid filters (an invalid form narrows by none: the page says why)."""
        data = self.data_ok
        if data.get("state"):
            parts = parts.filter(complaint__status=data["state"])
        if data.get("part_status"):
            parts = parts.filter(status=data["part_status"])
        assigned = data.get("assigned") or ASSIGNED_ANYONE
        if assigned == ASSIGNED_ME:
            parts = parts.filter(assignee=self.user)
        elif assigned == ASSIGNED_NOBODY:
            parts = parts.filter(assignee__isnull=True)
        elif assigned:
            parts = parts.filter(assignee_id=as_id(assigned))
        if data.get("province"):
            parts = parts.filter(complaint__consumer_province=data["province"])
        if data.get("received_from"):
            parts = parts.filter(notified_at__gte=_day_start(data["received_from"]))
        if data.get("received_to"):
            parts = parts.filter(notified_at__lt=_day_start(data["received_to"] + timedelta(days=1)))
        if data.get("acknowledged") == YES:
            parts = parts.filter(acknowledged_at__isnull=False)
        elif data.get("acknowledged") == NO:
            parts = parts.filter(acknowledged_at__isnull=True)
        if data.get("q"):
            # The case-number readings of the case search (complaints.selectors), each on the number's index.
            numbered = complaint_search(Complaint.objects.all(), data["q"], user=self.user)
            parts = parts.filter(complaint_id__in=numbered.values("pk"))
        if data.get("risk"):
            parts = at_risk(parts, horizon=horizon)
        return parts

    def hidden_values(self) -> list[tuple[str, str]]:
        """The filters as they came (name, value), for the bulk form's hidden fields."""
        if not self.is_bound or not isinstance(self.data, QueryDict):
            return []
        return [(name, value) for name in FILTER_NAMES for value in self.data.getlist(name) if value]


# --- Bulk actions --------------------------------------------------------------------------------

SCOPE_SELECTED = "selected"
SCOPE_ALL = "all"

# The most ticked rows one submission reads (a page has 25; more is a forged form).
SELECTED_MAX = 500


def ticked_ids(data) -> list[int]:
    """The ticked rows' part ids (`part`, repeated): valid ids only, at most SELECTED_MAX."""
    return [pk for pk in (as_id(value) for value in data.getlist("part")[:SELECTED_MAX]) if pk]


def assignee_choice(data, representatives: list[User]) -> tuple[bool, User | None]:
    """(valid, assignee) from the bulk form's `to`: a representative of the company, or "nobody"."""
    value = data.get("to", "")
    if value == ASSIGNED_NOBODY:
        return True, None
    pk = as_id(value)
    person = next((rep for rep in representatives if rep.pk == pk), None)
    return person is not None, person


# --- Assignment rules ----------------------------------------------------------------------------


class AssignmentRuleForm(forms.Form):
    province = forms.ChoiceField(
        label=_("Consumer's province"),
        required=False,
        choices=[("", _("Any province")), *Province.choices],
    )
    product_contains = forms.CharField(
        label=_("What was bought or hired contains"),
        required=False,
        max_length=100,
        help_text=_("Words from what the consumer bought or hired, e.g. “fibra” or “heladera”. Empty: anything."),
    )
    assignee = forms.ChoiceField(
        label=_("Assign to"),
        error_messages={
            "required": _("Choose who the matching cases go to."),
            "invalid_choice": _("Choose a representative of the company."),
        },
    )

    def __init__(self, *args, representatives: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.representatives = {person.pk: person for person in representatives}
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [
            ("", _("Choose a representative")),
            *((str(pk), p.display_name) for pk, p in self.representatives.items()),
        ]

    def clean_product_contains(self) -> str:
        return " ".join(self.cleaned_data["product_contains"].split())

    def clean_assignee(self) -> User:
        person = self.representatives.get(as_id(self.cleaned_data["assignee"]) or 0)
        if person is None:
            raise forms.ValidationError(_("Choose a representative of the company."))
        return person
