"""Helpers shared by the outcome tests (this module holds no tests):

hearing = hearing_under_way(consumer, company, officer, conciliator)    # started 45 minutes ago
attend(hearing, consumer, "consumer", joined=..., left=...)             # the room's records
hearing = agreement_at(hearing, conciliator)                            # outcome "agreement"
free_slot()                                                             # a time scheduling accepts
read_text(pdf_bytes)                                                    # a PDF's text, one line
"""

import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from pypdf import PdfReader

from hearings.models import Attendance, Hearing
from hearings.services.outcome import outcome_record
from parties.business_days import add_business_days
from parties.models import Company, User
from tests.hearings.factories import scheduled_hearing

TERMS = "La empresa reintegra el precio de la heladera y retira la unidad del domicilio."
OBLIGATIONS = "Transferencia a la cuenta de la consumidora dentro de 10 días hábiles."


def hearing_under_way(
    consumer: User, company: Company, officer: User, conciliator: User, *, minutes_ago: int = 45, **kwargs
) -> Hearing:
    """A hearing that started `minutes_ago` (by default past the 30-minute tolerance)."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    return scheduled_hearing(consumer, company, officer, conciliator, starts_at=start, **kwargs)


def attend(hearing: Hearing, user: User, party: str, *, joined: datetime, left: datetime | None = None) -> None:
    """What the video server reports when a person joins (and leaves) the room."""
    rows = [(Attendance.Kind.JOINED, joined)] + ([(Attendance.Kind.LEFT, left)] if left else [])
    for kind, at in rows:
        Attendance.objects.create(
            hearing=hearing,
            user=user,
            party=party,
            display_name=user.get_full_name(),
            kind=kind,
            at=at,
            source=Attendance.Source.SERVER,
            dedupe_key=f"{user.pk}:{kind}:{at.isoformat()}",
        )


def free_slot(*, business_days: int = 10, hour: int = 11) -> datetime:
    """A time the scheduling rules accept: a business day past the notice period, in working hours."""
    day = add_business_days(timezone.localdate(), business_days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def compliance_day(days: int = 30) -> date:
    return timezone.localdate() + timedelta(days=days)


def agreement_at(hearing: Hearing, by: User, **fields: object) -> Hearing:
    values: dict[str, object] = {
        "outcome": Hearing.Outcome.AGREEMENT,
        "terms": TERMS,
        "amount": Decimal("850000.00"),
        "obligations": OBLIGATIONS,
        "compliance_due": compliance_day(),
        "notes": "Las partes conversaron durante 40 minutos.",
        **fields,
    }
    return outcome_record(hearing=hearing, by=by, **values)  # type: ignore[arg-type]


def read_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def recipients(event: str) -> set[str]:
    """Who has an outbox row for `event` (any channel)."""
    from notifications.models import Notification

    return set(Notification.objects.filter(event=event).values_list("recipient__email", flat=True))
