"""Forms of the hearing room: the recording question, the conciliator's attendance correction and
the recording's registration."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parties.models import User

from ..jitsi import display_name
from ..models import Attendance, Hearing
from ..services.room import people_of

YES_NO = [("yes", _("Yes, I agree to the hearing being recorded")), ("no", _("No, I do not agree"))]
SOMEONE_ELSE = "other"


class RecordingConsentForm(forms.Form):
    consented = forms.TypedChoiceField(
        label=_("Do you agree to the hearing being recorded?"),
        help_text=_(
            "The conciliator may record the hearing (image and sound). The recording is kept with the case "
            "file and only the parties and the office can see it. Your answer is recorded; you can change it "
            "until the hearing starts."
        ),
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you agree to the hearing being recorded.")},
    )


class AttendanceCorrectionForm(forms.Form):
    person = forms.ChoiceField(label=_("Who"))
    other_name = forms.CharField(
        label=_("Name of someone else"),
        required=False,
        max_length=300,
        help_text=_("Only if they are not listed above, e.g. a witness or someone who joined by phone."),
    )
    other_party = forms.ChoiceField(
        label=_("On behalf of"),
        required=False,
        choices=[
            (Attendance.Party.CONSUMER, Attendance.Party.CONSUMER.label),
            (Attendance.Party.COMPANY, Attendance.Party.COMPANY.label),
            (Attendance.Party.OTHER, _("Neither party")),
        ],
        initial=Attendance.Party.OTHER,
    )
    joined_at = forms.TimeField(
        label=_("Joined at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Time in Argentina, on the day of the hearing."),
    )
    left_at = forms.TimeField(
        label=_("Left at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Leave it empty if they stayed until the end."),
    )
    note = forms.CharField(
        label=_("Why you are correcting it"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
        help_text=_("It is kept in the case's history, e.g. “joined by phone; the video link failed”."),
    )

    def __init__(self, *args, hearing: Hearing, **kwargs):
        super().__init__(*args, **kwargs)
        self.hearing = hearing
        self.people = {f"u{person.pk}": (person, side) for person, side in people_of(hearing)}
        choices = [
            (key, f"{display_name(person)} ({Attendance.Party(side).label})")
            for key, (person, side) in self.people.items()
        ]
        self.fields["person"].choices = [*choices, (SOMEONE_ELSE, _("Someone else"))]  # type: ignore[attr-defined]

    def _on_hearing_day(self, moment: time) -> datetime:
        day = timezone.localtime(self.hearing.starts_at, timezone.get_default_timezone()).date()
        return timezone.make_aware(datetime.combine(day, moment), timezone.get_default_timezone())

    def clean(self):
        data = super().clean() or {}
        if data.get("person") == SOMEONE_ELSE and not (data.get("other_name") or "").strip():
            self.add_error("other_name", _("Write the name of the person who attended."))
        if data.get("joined_at") and data.get("left_at") and data["left_at"] <= data["joined_at"]:
            self.add_error("left_at", _("The time they left must be after the time they joined."))
        return data

    def correction(self) -> dict:
        """The keyword arguments of services.room.attendance_correct (less hearing and by)."""
        data = self.cleaned_data
        person: User | str
        if data["person"] == SOMEONE_ELSE:
            person, party = data["other_name"].strip(), data.get("other_party") or Attendance.Party.OTHER
        else:
            person, party = self.people[data["person"]]
        return {
            "user_or_name": person,
            "party": party,
            "joined_at": self._on_hearing_day(data["joined_at"]),
            "left_at": self._on_hearing_day(data["left_at"]) if data.get("left_at") else None,
            "note": data["note"],
        }


class RecordingRegisterForm(forms.Form):
    url = forms.URLField(
        label=_("Link to the recording"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the recording is stored, e.g. the link from the recording server."),
    )
    file = forms.FileField(
        label=_("Or upload the recording"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "video/*,audio/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("A video or audio file of at most %(mb)s MB.") % {
            "mb": settings.JITSI_RECORDING_MAX_BYTES // (1024 * 1024)
        }

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > settings.JITSI_RECORDING_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large; give a link to it instead."))
        if upload and not (upload.content_type or "").startswith(("video/", "audio/")):
            raise forms.ValidationError(_("Upload a video or audio file."))
        return upload

    def clean(self):
        data = super().clean() or {}
        if not data.get("url") and not data.get("file") and not self.errors:
            raise forms.ValidationError(_("Give the recording's link or upload its file."))
        return data
