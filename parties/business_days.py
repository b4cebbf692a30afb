"""The office calendar: legal deadlines run in business days (días hábiles). Not one: weekends,
Argentine national holidays, the holidays of the office's jurisdiction (settings
OFFICE_HOLIDAY_SUBDIVISION, a subdivision of the `holidays` package: "C" is the City of Buenos Aires,
whose own days the national calendar counts as business days) and the días inhábiles the office
declares itself (`parties.models.NonWorkingDay`, declared on the workdays/ page).

Deadline arithmetic asks `is_business_day` once per calendar day and slot proposals ask it for
weeks ahead, so each process keeps the calendar in memory: the package's holidays per (year,
subdivision), and every declared day (a handful a year: one query loads them all). A change reaches
every process through a token in Django's shared cache (Redis, settings.CACHES):

- `calendar_changed()` (called by the service that declares or removes a day) publishes a new token
  only once the change is committed (`transaction.on_commit`), so no process can load a day a
  rollback would undo under a token that stays current. Until then, inside the transaction that
  made the change, this thread reads a fresh calendar from the database for every question (it sees
  its own uncommitted rows) and stores none of it: a rollback, whole or to a savepoint, leaves
  nothing behind;
- every other process compares the shared token with its own at most every
  BUSINESS_CALENDAR_CHECK_SECONDS (one cache GET), and reloads the declared days when it changed;
- `refresh_calendar()` checks now: a Celery task calls it before it runs (workdays/apps.py);
  `reload_calendar()` drops the local copy outright (the recompute after a change uses it, so a
  token that could not be published does not leave it on the old calendar).

With a cache that is not shared between processes (LocMemCache in development), `refresh_calendar`
reloads outright. When the cache cannot be reached, the local copy is kept and the failure logged:
deadlines never fail because Redis is down."""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

COUNTRY = "AR"
TOKEN_KEY = "parties:business-calendar:token"


class Kind:
    """Why a day is not a business day, for the page and for refusals."""

    NATIONAL = "national"
    JURISDICTION = "jurisdiction"
    OFFICE = "office"


@dataclass(frozen=True)
class NonWorkingDayInfo:
    day: date
    name: str
    kind: str  # a Kind


# --- The package's holidays ---------------------------------------------------------------------


def subdivisions() -> tuple[str, ...]:
    """The codes OFFICE_HOLIDAY_SUBDIVISION may take (the package's subdivisions of Argentina)."""
    return tuple(holidays.country_holidays(COUNTRY).subdivisions)


def jurisdiction_name() -> str:
    """The name of the office's jurisdiction (e.g. "Ciudad Autónoma de Buenos Aires"), or "" when
    only national holidays apply."""
    subdiv = _subdiv()
    aliases = getattr(holidays.country_holidays(COUNTRY), "subdivisions_aliases", {}) or {}
    return next((name for name, code in aliases.items() if code == subdiv), subdiv)


@lru_cache(maxsize=128)
def _package_holidays(year: int, subdiv: str, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays(COUNTRY, subdiv=subdiv or None, years=year, language=language)


def package_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """The package's holidays the calendar closes (national and the jurisdiction's) from `first_year`
    to `last_year`, named in the office's language: what `check_calendar` compares between runs."""
    language = "es" if settings.LANGUAGE_CODE.startswith("es") else "en_US"
    found: dict[date, str] = {}
    for year in range(first_year, last_year + 1):
        found.update(_package_holidays(year, _subdiv(), language).items())
    return found


def _subdiv() -> str:
    return settings.OFFICE_HOLIDAY_SUBDIVISION


def _names_language() -> str:
    """The package's language for holiday names: Spanish for Spanish readers, English otherwise."""
    return "es" if (translation.get_language() or "").startswith("es") else "en_US"


# --- The local copy and the shared token --------------------------------------------------------

_NOT_READ = object()


@dataclass
class _Calendar:
    token: object = _NOT_READ  # the shared token this copy was loaded under
    checked_at: float = float("-inf")  # time.monotonic() of the last comparison with the shared token
    declared: dict[date, str] | None = None  # the office's declared days and their reasons
    closed: dict[tuple[int, str], frozenset[date]] = field(default_factory=dict)  # holidays and declared days, per year


_local = _Calendar()


def _cache():
    return caches["default"]


def _shared_cache() -> bool:
    return not isinstance(_cache(), LocMemCache | DummyCache)


def _read_token() -> object:
    try:
        return _cache().get(TOKEN_KEY)
    except Exception:  # the cache is down: keep what we have, deadlines must not fail for it
        logger.warning("Business calendar: cannot read the shared token; keeping the local copy.", exc_info=True)
        return _NOT_READ


class _Pending:
    """A change this thread made in a transaction not committed yet: its commit callback, and whether
    that ran (a test's captured callbacks stay in the connection's list after they ran)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.done = False

    def __call__(self) -> None:
        self.done = True
        _forget_pending(self)
        _publish()

    def active(self) -> bool:
        """Still waiting for its commit: neither run nor dropped by a rollback (Django drops the
        callbacks of a transaction or savepoint rolled back)."""
        if self.done:
            return False
        connection = transaction.get_connection(self.alias)
        return connection.in_atomic_block and any(func is self for _sids, func, _robust in connection.run_on_commit)


_thread = threading.local()


def _pending() -> list[_Pending]:
    if not hasattr(_thread, "pending"):
        _thread.pending = []
    return _thread.pending


def _forget_pending(item: _Pending) -> None:
    pending = _pending()
    if item in pending:
        pending.remove(item)


def _uncommitted_change() -> bool:
    """Whether this thread is inside a transaction that changed the calendar (and is still open)."""
    pending = _pending()
    pending[:] = [item for item in pending if item.active()]
    return bool(pending)


def _current() -> _Calendar:
    """The local copy, reloaded when the shared token changed (checked at most every few seconds);
    inside a transaction that changed the calendar, a fresh copy read from it and kept nowhere."""
    global _local
    if _uncommitted_change():
        return _Calendar()
    calendar = _local
    now = time.monotonic()
    if now - calendar.checked_at < settings.BUSINESS_CALENDAR_CHECK_SECONDS:
        return calendar
    token = _read_token()
    if token is not _NOT_READ and token != calendar.token:
        calendar = _Calendar(token=token, checked_at=now)
        _local = calendar
    else:
        calendar.checked_at = now
    return calendar


def _declared(calendar: _Calendar) -> dict[date, str]:
    if calendar.declared is None:
        from parties.models import NonWorkingDay

        calendar.declared = dict(NonWorkingDay.objects.order_by("date").values_list("date", "reason"))
    return calendar.declared


def _closed(calendar: _Calendar, year: int) -> frozenset[date]:
    subdiv = _subdiv()
    key = (year, subdiv)
    found = calendar.closed.get(key)
    if found is None:
        found = frozenset(_package_holidays(year, subdiv, "en_US")) | {
            day for day in _declared(calendar) if day.year == year
        }
        calendar.closed[key] = found
    return found


def _publish() -> None:
    """The change is committed: forget the local copy and tell every process."""
    global _local
    _local = _Calendar()
    try:
        _cache().set(TOKEN_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.error(
            "Business calendar: cannot publish a change; other processes keep the old calendar until "
            "they restart or the cache comes back.",
            exc_info=True,
        )


def calendar_changed(*, using: str | None = None) -> None:
    """The office declared or removed a día inhábil (or the holidays in use changed): every process
    is told once the change is committed; until then only this transaction sees it (see the
    module's docstring). Outside a transaction the change is committed already: told at once."""
    alias = using or "default"
    if not transaction.get_connection(alias).in_atomic_block:
        _publish()
        return
    pending = _Pending(alias)
    _pending().append(pending)
    transaction.on_commit(pending, using=alias, robust=True)


def refresh_calendar() -> None:
    """Compare with the shared token now (before a task runs); with a per-process cache, reload."""
    global _local
    if _shared_cache():
        _local.checked_at = float("-inf")
    else:
        _local = _Calendar()


def reload_calendar() -> None:
    """Drop this process's copy: the next question reads the declared days again (one query)."""
    global _local
    _local = _Calendar()


def forget_calendar() -> None:
    """For tests: drop this process's copy and any change this thread has not committed, so a test
    never starts from days another test declared (its transaction rolled back, the copy did not)."""
    _pending().clear()
    reload_calendar()


# --- Questions ----------------------------------------------------------------------------------


def _open(calendar: _Calendar, day: date) -> bool:
    return day.weekday() < 5 and day not in _closed(calendar, day.year)


def is_business_day(day: date) -> bool:
    return _open(_current(), day)


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (start itself does not count)."""
    calendar = _current()
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if _open(calendar, current):
            remaining -= 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start).

    Counted as whole weeks (five weekdays each) and the few days left over, less the closed weekdays
    of each year in between, not day by day: a case list asks it on every row, and the age of a case
    filed two years ago would be 700 questions to the calendar (bench/RESULTS.md, session 8)."""
    if end <= start:
        return 0
    calendar = _current()
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    first_left_over = start + timedelta(weeks=weeks)
    for offset in range(1, rest + 1):
        count += (first_left_over + timedelta(days=offset)).weekday() < 5
    for year in range(start.year, end.year + 1):
        # The year's own days only: the package's calendar of one year may hold others it was asked about.
        count -= sum(
            1
            for closed in _closed(calendar, year)
            if closed.year == year and start < closed <= end and closed.weekday() < 5
        )
    return count


def deadline_after(moment: datetime, days: int) -> datetime:
    """End of the local day that is `days` business days after `moment`."""
    local = timezone.localtime(moment)
    due = add_business_days(local.date(), days)
    return timezone.make_aware(datetime.combine(due, datetime.max.time().replace(microsecond=0)))


def non_working_days_between(start: date, end: date) -> list[NonWorkingDayInfo]:
    """The holidays (national and the jurisdiction's, named in the reader's language) and the
    office's declared days from `start` to `end` inclusive, in date order; weekends are not listed
    unless a holiday falls on one. A declared day that is also a holiday is listed as the holiday."""
    calendar = _current()
    subdiv, language = _subdiv(), _names_language()
    found: dict[date, NonWorkingDayInfo] = {}
    for year in range(start.year, end.year + 1):
        national = _package_holidays(year, "", language)
        for day, name in _package_holidays(year, subdiv, language).items():
            if start <= day <= end:
                kind = Kind.NATIONAL if day in national else Kind.JURISDICTION
                found[day] = NonWorkingDayInfo(day=day, name=name, kind=kind)
    for day, reason in _declared(calendar).items():
        if start <= day <= end and day not in found:
            found[day] = NonWorkingDayInfo(day=day, name=reason, kind=Kind.OFFICE)
    return [found[day] for day in sorted(found)]


def why_not_business_day(day: date) -> str | None:
    """Why `day` is not a business day, in words the person reads, or None when it is one."""
    if day.weekday() >= 5:
        return _("a weekend")
    if is_business_day(day):
        return None
    info = non_working_days_between(day, day)
    if not info:  # not expected: the calendar closed it, so one of its sources names it
        return _("a non-working day")
    if info[0].kind == Kind.OFFICE:
        return _("a non-working day declared by the office: %(reason)s") % {"reason": info[0].name}
    return _("a holiday: %(name)s") % {"name": info[0].name}
