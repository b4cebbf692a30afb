import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parties.models import NonWorkingDay

from .services import declarable_range, declare_refusal


class DeclareForm(forms.Form):
    date = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A business day from a year ago to the end of next year."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=NonWorkingDay._meta.get_field("reason").max_length,
        help_text=_("What the parties will read, e.g. “Asueto administrativo”."),
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=NonWorkingDay._meta.get_field("resolution").max_length,
        required=False,
        help_text=_("The act that declares it, e.g. “Resolución 123/2026”."),
    )
    # Set by the summary step: the person saw what the change does and confirmed it.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        earliest, latest = declarable_range()
        self.fields["date"].widget.attrs.update({"min": earliest.isoformat(), "max": latest.isoformat()})

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        refusal = declare_refusal(day)
        if refusal:
            raise forms.ValidationError(refusal)
        return day

    @property
    def confirmed_requested(self) -> bool:
        """Whether this POST came from the summary's "Declare" (whatever else is wrong with it)."""
        return bool(self.fields["confirmed"].to_python(self.data.get("confirmed")))

    def drop_confirmation(self) -> None:
        """Render the form again without the summary's confirmation: the person must see it anew."""
        self.data = {key: value for key, value in self.data.items() if key != "confirmed"}

    @property
    def in_the_past(self) -> bool:
        day = self.cleaned_data.get("date") if hasattr(self, "cleaned_data") else None
        return bool(day and day < timezone.localdate())


class YearForm(forms.Form):
    """Which two years the page shows (that one and the next)."""

    year = forms.TypedChoiceField(label=_("From year"), coerce=int)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [(y, str(y)) for y in range(this_year - 1, this_year + 2)]
        year.initial = this_year

    def first_year(self) -> int:
        if self.is_valid() and self.cleaned_data["year"]:
            return self.cleaned_data["year"]
        return timezone.localdate().year
