"""A payment in instalments: the schedule as typed ("one per line: YYYY-MM-DD amount") and as checked.
Pure functions, no rows: a company's offer (complaints) and a hearing's agreement (hearings) read and
check a schedule the same way. An offer keeps its schedule as JSON (`as_json` / `from_json`); an
agreement as Instalment rows (hearings/services/instalments.py)."""

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import CaseError

Schedule = list[tuple[date, Decimal]]
MAX_INSTALMENTS = 60
_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\S+)$")


def parse_schedule(text: str) -> Schedule:
    """One instalment per line, "YYYY-MM-DD amount" (the amount with a comma or a point for the cents,
    no thousands separator). Blank lines are skipped; anything else is refused, naming its line."""
    rows: Schedule = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise CaseError(
                _("Line %(line)s: write the date as YYYY-MM-DD, a space, and the amount (e.g. 2026-03-10 25000,50).")
                % {"line": number}
            )
        try:
            due = date.fromisoformat(match.group(1))
        except ValueError:
            raise CaseError(
                _("Line %(line)s: %(date)s is not a date.") % {"line": number, "date": match.group(1)}
            ) from None
        try:
            amount = Decimal(match.group(2).replace(",", "."))
        except InvalidOperation:
            raise CaseError(
                _("Line %(line)s: %(amount)s is not an amount.") % {"line": number, "amount": match.group(2)}
            ) from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise CaseError(_("Line %(line)s: an amount has at most two decimals.") % {"line": number})
        rows.append((due, amount))
    return rows


def check_schedule(rows: Sequence[tuple[date, Decimal]], *, amount: Decimal | None) -> Schedule:
    """At least two instalments, at most MAX_INSTALMENTS; due dates after today and ascending; each
    amount positive; their sum equal to the agreed (or offered) amount when there is one."""
    schedule = [(due, Decimal(value)) for due, value in rows]
    if len(schedule) < 2:
        raise CaseError(_("A payment in instalments has at least two instalments."))
    if len(schedule) > MAX_INSTALMENTS:
        raise CaseError(_("At most %(count)s instalments.") % {"count": MAX_INSTALMENTS})
    today = timezone.localdate()
    previous: date | None = None
    for number, (due, value) in enumerate(schedule, start=1):
        if due <= today:
            raise CaseError(_("Instalment %(number)s: its due date must be after today.") % {"number": number})
        if previous is not None and due <= previous:
            raise CaseError(
                _("Instalment %(number)s: the due dates must go forward, each after the one before.")
                % {"number": number}
            )
        if value <= 0:
            raise CaseError(_("Instalment %(number)s: the amount must be more than zero.") % {"number": number})
        previous = due
    total = sum((value for _due, value in schedule), Decimal(0))
    if amount is not None and total != amount:
        raise CaseError(
            _("The instalments add up to %(total)s, not to the agreed amount of %(amount)s.")
            % {"total": f"{total:.2f}", "amount": f"{amount:.2f}"}
        )
    return schedule


def as_json(schedule: Iterable[tuple[date, Decimal]]) -> list[dict[str, str]]:
    """A schedule as an offer keeps it: [{"due": "YYYY-MM-DD", "amount": "123.45"}, …]."""
    return [{"due": due.isoformat(), "amount": f"{Decimal(value):.2f}"} for due, value in schedule]


def from_json(rows: Iterable[dict[str, str]] | None) -> Schedule:
    """The inverse of `as_json` (an empty list for an offer paid at once)."""
    return [(date.fromisoformat(row["due"]), Decimal(row["amount"])) for row in rows or ()]
