"""The admission office's forms: the queue's filters and the three decisions on a submitted case."""

from datetime import datetime

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from complaints.competence import authority_choices
from complaints.models import Channel, Complaint, RejectionReason
from complaints.selectors import complaint_search
from complaints.states import State
from complaints.vulnerability import CATEGORIES
from parties.models import Province, User

# The queue's status filter: what the officer must act on, what waits for the consumer, or both.
QUEUE_SUBMITTED = "submitted"
QUEUE_OBSERVED = "observed"
QUEUE_PENDING = "pending"
QUEUE_STATES = {
    QUEUE_SUBMITTED: [State.SUBMITTED],
    QUEUE_OBSERVED: [State.OBSERVED],
    QUEUE_PENDING: [State.SUBMITTED, State.OBSERVED],
}

AGE_ON_TIME = "on_time"
AGE_OVERDUE = "overdue"


class AdmissionFilterForm(forms.Form):
    """GET filters of the admission queue. Every filter becomes SQL; an invalid value is ignored."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (QUEUE_SUBMITTED, _("Awaiting review")),
            (QUEUE_OBSERVED, _("Awaiting the consumer's correction")),
            (QUEUE_PENDING, _("All pending")),
        ],
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Case number, DNI, CUIT, or the consumer's or the company's name."),
    )
    province = forms.ChoiceField(label=_("Province"), required=False, choices=[("", _("Any")), *Province.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices])
    age = forms.ChoiceField(
        label=_("Review deadline"),
        required=False,
        choices=[("", _("Any")), (AGE_ON_TIME, _("Within the deadline")), (AGE_OVERDUE, _("Past the deadline"))],
    )
    # Set by the company links in the queue's rows; there are too many companies for a select. Ids
    # are bigints: a larger number is a form error, not an overflow in the database.
    company = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def narrows(self) -> bool:
        """True when a filter other than the default status is in use."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        others = ("q", "province", "channel", "age", "company")
        return data.get("status", "") not in ("", QUEUE_SUBMITTED) or any(data.get(name) for name in others)

    def filter(self, cases: QuerySet[Complaint], *, now: datetime, user: User) -> QuerySet[Complaint]:
        """`cases` narrowed by the valid filters; the status filter defaults to "awaiting review"."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        cases = cases.filter(status__in=QUEUE_STATES[data.get("status") or QUEUE_SUBMITTED])
        if data.get("province"):
            cases = cases.filter(consumer_province=data["province"])
        if data.get("channel"):
            cases = cases.filter(channel=data["channel"])
        if data.get("company"):
            cases = cases.filter(company_id=data["company"])
        if data.get("age"):
            overdue = Q(status=State.SUBMITTED, review_due_at__lt=now) | Q(
                status=State.OBSERVED, correction_due_at__lt=now
            )
            cases = cases.filter(overdue) if data["age"] == AGE_OVERDUE else cases.exclude(overdue)
        if data.get("q"):
            cases = complaint_search(cases, data["q"], user=user)
        return cases


class AdmitForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the case file"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    company_email = forms.EmailField(
        label=_("Company's contact e-mail"),
        required=False,
        help_text=_(
            "If a single company has no electronic domicile, we will invite this address to set one up. "
            "With several, invite each from its company's page."
        ),
    )


class ObserveForm(forms.Form):
    observation = forms.CharField(
        label=_("What the consumer must correct"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The consumer reads this as it is written. Say what is missing or wrong and how to fix it. "
            "If it is not corrected in time, the complaint is archived."
        ),
    )

    def clean_observation(self) -> str:
        observation = self.cleaned_data["observation"].strip()
        if not observation:
            raise forms.ValidationError(_("Say what the consumer must correct."))
        return observation


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for the rejection"),
        choices=RejectionReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason for the rejection.")},
    )
    detail = forms.CharField(
        label=_("Explanation for the consumer"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("reason") == RejectionReason.OTHER and not data.get("detail", "").strip():
            self.add_error("detail", _("Explain the reason when you choose “Other”."))
        return data


class ReferOutForm(forms.Form):
    """Refer a case outside the office's territory to the competent authority (complaints/competence.py)."""

    authority = forms.ChoiceField(
        label=_("Competent authority"),
        error_messages={"required": _("Choose the authority the case is referred to.")},
    )
    reason = forms.CharField(
        label=_("Why the office is not competent"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The consumer reads this as it is written, with the authority's name and website."),
        error_messages={"required": _("Say why the office is not competent: the consumer reads it.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"].choices = [("", _("Choose…")), *authority_choices()]  # type: ignore[attr-defined]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the office is not competent: the consumer reads it."))
        return reason


class VulnerableFlagForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label=_("Why the consumer is hipervulnerable"),
        choices=CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every category that applies (Res. 139/2020)."),
        error_messages={"required": _("Choose at least one category.")},
    )
    note = forms.CharField(
        label=_("Note for the case file"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VulnerableUnflagForm(forms.Form):
    # Tells the view this form removes the flag (the same URL flags).
    unflag = forms.CharField(widget=forms.HiddenInput, initial="1", required=False)
    note = forms.CharField(
        label=_("Why the flag is removed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the flag is removed.")},
    )
