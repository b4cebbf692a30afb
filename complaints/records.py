"""How the case's record writes: sentences and moments the same whoever acted and in whatever
language they read the site. Used by every floor that writes a case event's reason (complaints,
hearings, legal, oversight)."""

from datetime import date, datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _


def record_text(message: str, **values: object) -> str:
    """A sentence for the case's record (an event's reason, a rejection's detail) in the office's
    language, whoever clicked: the record must not depend on the reader. `message` is marked with
    gettext_noop at the call site."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values if values else _(message)


def on_record(moment: datetime | date) -> str:
    """A moment as the case's record writes it, the same whoever acted and in whatever language."""
    if isinstance(moment, datetime):
        return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"
    return f"{moment:%d/%m/%Y}"
