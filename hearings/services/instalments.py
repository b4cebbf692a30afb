"""An agreement paid in instalments: its rows. The schedule, as typed ("one per line: YYYY-MM-DD
amount") and as checked, is read by complaints/instalments.py (a company's offer may have one too);
here its refusals are HearingErrors. The agreement's compliance deadline is the last instalment's due
date. The follow-up of each instalment (asked, paid, missed, proof) is in follow_up.py."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from complaints import instalments as schedules
from complaints.errors import CaseError
from complaints.instalments import MAX_INSTALMENTS, Schedule

from ..errors import HearingError
from ..models import Agreement, Instalment

__all__ = ["MAX_INSTALMENTS", "Schedule", "add_instalments", "check_schedule", "parse_schedule"]


def parse_schedule(text: str) -> Schedule:
    """complaints.instalments.parse_schedule, refusing with a HearingError."""
    try:
        return schedules.parse_schedule(text)
    except HearingError:
        raise
    except CaseError as error:
        raise HearingError(str(error)) from None


def check_schedule(rows: Sequence[tuple[date, Decimal]], *, amount: Decimal | None) -> Schedule:
    """complaints.instalments.check_schedule, refusing with a HearingError."""
    try:
        return schedules.check_schedule(rows, amount=amount)
    except HearingError:
        raise
    except CaseError as error:
        raise HearingError(str(error)) from None


def add_instalments(agreement: Agreement, schedule: Sequence[tuple[date, Decimal]]) -> list[Instalment]:
    """The agreement's instalments (checked already), inside the caller's transaction."""
    return Instalment.objects.bulk_create(
        Instalment(agreement=agreement, number=number, due_date=due, amount=value)
        for number, (due, value) in enumerate(schedule, start=1)
    )
