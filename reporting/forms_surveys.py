"""The survey's form: three questions as groups of radios (a fieldset and legend each, through the
project's form renderer), and an optional comment. The consumer and a company read the same questions
in their own words. And the filters of the office's page of answers."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Survey
from .surveys import COMMENT_MAX

SATISFACTION_CHOICES = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neither satisfied nor dissatisfied")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes(value: str) -> bool:
    return value == "yes"


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Overall, how satisfied are you with the service?"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are with the service.")},
    )
    solved = forms.ChoiceField(
        label=_("Was your problem solved?"),
        choices=Survey.Solved.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether your problem was solved.")},
    )
    would_use_again = forms.TypedChoiceField(
        label=_("Would you use the service again?"),
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you would use the service again.")},
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us?"),
        help_text=_(
            "Only the office reads it; it is never published. Please do not write personal data "
            "(your ID number, phone or address)."
        ),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": _("Write at most %(limit_value)d characters.")},
    )

    def __init__(self, *args: object, respondent: str = Survey.Respondent.CONSUMER, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if respondent == Survey.Respondent.COMPANY:
            self.fields["solved"].label = _("Was the consumer's complaint resolved?")
            self.fields["solved"].error_messages["required"] = _("Say whether the complaint was resolved.")
            self.fields["would_use_again"].label = _("Would your company use the conciliation service again?")
            self.fields["comment"].help_text = _(
                "Only the office reads it; it is never published. Please do not write personal data."
            )


# --- The office's page of answers (reporting/views/surveys.py `survey_answers`) -------------------

WITH_COMMENT, WITHOUT_COMMENT = "yes", "no"


class SurveyAnswersFilterForm(forms.Form):
    """GET filters of the office's list of answers; each one SQL on the answered surveys."""

    q = forms.CharField(label=_("Case number"), required=False, max_length=20, help_text=_("E.g. DC-2026-000123."))
    respondent = forms.ChoiceField(
        label=_("Who answered"),
        required=False,
        choices=[("", _("Consumers and companies")), *Survey.Respondent.choices],
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *SATISFACTION_CHOICES],
    )
    comment = forms.ChoiceField(
        label=_("Comment"),
        required=False,
        choices=[("", _("With or without")), (WITH_COMMENT, _("With a comment")), (WITHOUT_COMMENT, _("Without"))],
    )

    def _data(self) -> dict:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    def narrows(self) -> bool:
        data = self._data()
        return any(data.get(name) not in (None, "") for name in ("q", "respondent", "satisfaction", "comment"))

    def filter(self, surveys: QuerySet[Survey]) -> QuerySet[Survey]:
        data = self._data()
        if data.get("respondent"):
            surveys = surveys.filter(respondent=data["respondent"])
        if data.get("satisfaction") is not None:
            surveys = surveys.filter(satisfaction=data["satisfaction"])
        if data.get("comment") == WITH_COMMENT:
            surveys = surveys.exclude(comment="")
        elif data.get("comment") == WITHOUT_COMMENT:
            surveys = surveys.filter(comment="")
        if data.get("q"):
            surveys = surveys.filter(complaint__number=data["q"].strip().upper())
        return surveys
