"""What every hearings move needs: the hearing's row lock, moments and sentences written the way the
case's record writes them, and the checks on uploaded files. (The case's own lock is
complaints.services.lock_case; take it first.)"""

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from complaints.services import Move, notify_case_parties
from complaints.uploads import sniff_content_type

from ..errors import HearingError
from ..models import Attendance, Hearing

Outcome = Hearing.Outcome
Party = Attendance.Party

PROOF_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
BATCH = 500


def lock_hearing(pk: int) -> Hearing:
    return (
        Hearing.objects.select_for_update(of=("self",))
        .select_related("complaint", "complaint__company", "conciliator")
        .get(pk=pk)
    )


def tolerance_minutes() -> int:
    minutes: int = settings.HEARINGS["TOLERANCE_MINUTES"]  # type: ignore[assignment]
    return minutes


def tolerance_ends_at(hearing: Hearing) -> datetime:
    """Until then the parties may still arrive: no absence can be recorded before it."""
    return hearing.starts_at + timedelta(minutes=tolerance_minutes())


def when(moment: datetime | date) -> str:
    """A moment as the reader's language writes it, in the office's time."""
    if isinstance(moment, datetime):
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    return formats.date_format(moment, "SHORT_DATE_FORMAT")


def translated_later(message: str, **values: object) -> str:
    """`message` (marked with gettext_noop) translated and filled in only when it is rendered, so the
    outbox writes it in each recipient's own language (it renders under translation.override)."""

    def render() -> str:
        return _(message) % {key: when(value) if isinstance(value, date) else value for key, value in values.items()}

    return lazy(render, str)()


def notify_referred(move: Move) -> None:
    notify_case_parties(
        move.case, "complaint_referred", key=f"case-event:{move.event.pk}", context={"reason": move.event.reason}
    )


def checked_upload(upload: UploadedFile) -> str:
    """The file's type judged from its content (the evidence sniffer): PDF, JPEG or PNG, within the
    evidence size limit. Refused with a message that says what is wrong."""
    name = upload.name or ""
    if not upload.size:
        raise HearingError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise HearingError(
            _("The file “%(name)s” is %(size)s; the limit is %(limit)s per file.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type not in PROOF_TYPES:
        raise HearingError(
            _("The file “%(name)s” is not a PDF, JPEG or PNG file (whatever its name says).") % {"name": name}
        )
    return content_type


def stored_name(content_type: str) -> str:
    # Our name, not the person's: the original is kept only as a label.
    return f"{secrets.token_hex(12)}{PROOF_TYPES[content_type]}"
