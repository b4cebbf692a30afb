"""After the office declares or removes a día inhábil: every deadline not yet passed whose run
includes that day is computed again from the moment its wait began, with the current calendar.

Moved: the open clocks, and the columns the case's own moves read their deadlines from (the
office's review, the consumer's correction, the absent party's justification, each company's
electronic-domicile and justification deadlines), and the legal directorate's windows. Each change is
one DeadlineChange row (a clock that mirrors a case's column is the same deadline: recorded once, the
column's) and each case gets one `deadline_recomputed` event naming, in words, what moved.

A running deadline is only ever moved later: when a día inhábil is removed, the longer deadline the
party was told stands (the reading favourable to them) and nothing is recorded. Batched, one case per
transaction, idempotent (a second run finds nothing to move), and one run per day at a time (a
PostgreSQL advisory lock on the day: a second run meanwhile raises RecomputeBusy and is queued again by
workdays)."""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from complaints.models import CaseCompany, CaseEvent, Complaint, PartStatus
from complaints.records import on_record, record_text
from complaints.services import lock_case, record_event
from complaints.services.vulnerable import admission_review_days
from complaints.states import State
from hearings.models import Hearing, PartOutcome
from legal.models import Proceeding
from legal.notify import tell
from parties.business_days import deadline_after, refresh_calendar

from .. import actions
from ..labels import describe
from ..models import Clock, DeadlineChange, Kind
from ..rules import reminder_moments, rule_for
from .clocks import batch_size, next_reminder

if TYPE_CHECKING:
    from legal.models import Proceeding


class RecomputeBusy(RuntimeError):
    """Another process is recomputing the deadlines of the same day right now."""


# Clocks whose deadline is a column of the case recomputed below: the column's change is the record.
_MIRRORS = {Kind.ADMISSION_REVIEW: "review_due_at"}


@dataclass(frozen=True)
class _Moved:
    what: str
    old: datetime
    new: datetime
    clock_id: int | None = None
    company: str = ""


def _later(old: datetime, new: datetime) -> bool:
    """Only a later deadline is a move: never shortened, so never before what the party was told."""
    return new > old


def _bounds(day: date, now: datetime) -> tuple[datetime, datetime]:
    """A deadline is affected when it has not passed, falls on or after the day, and its wait began
    before the day ended."""
    start = timezone.make_aware(datetime.combine(day, time(0)))
    return max(now, start), timezone.make_aware(datetime.combine(day, time.max))


def _candidate_cases(day: date, now: datetime) -> list[int]:
    not_before, day_end = _bounds(day, now)
    ids: set[int] = set()
    ids.update(
        Clock.objects.filter(closed_at__isnull=True, due_at__gte=not_before, started_at__lte=day_end).values_list(
            "complaint_id", flat=True
        )
    )
    ids.update(
        Complaint.objects.filter(
            status=State.SUBMITTED, review_due_at__gte=not_before, submitted_at__lte=day_end
        ).values_list("pk", flat=True)
    )
    ids.update(
        Complaint.objects.filter(status=State.OBSERVED, correction_due_at__gte=not_before).values_list("pk", flat=True)
    )
    ids.update(
        Complaint.objects.filter(
            status__in=[State.COMPANY_ABSENT, State.CONSUMER_ABSENT], justification_due_at__gte=not_before
        ).values_list("pk", flat=True)
    )
    ids.update(
        CaseCompany.objects.filter(status=PartStatus.NAMED, domicile_due_at__gte=not_before).values_list(
            "complaint_id", flat=True
        )
    )
    ids.update(
        CaseCompany.objects.filter(status=PartStatus.ABSENT, justification_due_at__gte=not_before).values_list(
            "complaint_id", flat=True
        )
    )
    return sorted(ids)


def _case_columns(case: Complaint, not_before: datetime, day_end: datetime) -> list[_Moved]:
    """The case's own deadline columns, recomputed from when each wait began; set on `case`."""
    moved: list[_Moved] = []

    def consider(what: str, old: datetime | None, start: datetime | None, days: int) -> datetime | None:
        if old is None or start is None or old < not_before or start > day_end:
            return None
        new = deadline_after(start, days)
        if _later(old, new):
            moved.append(_Moved(what, old, new))
            return new
        return None

    if case.status == State.SUBMITTED:
        new = consider("review_due_at", case.review_due_at, case.submitted_at, admission_review_days(case))
        if new:
            case.review_due_at = new
    if case.status == State.OBSERVED:
        observed = CaseEvent.objects.filter(complaint_id=case.pk, action="observe").order_by("-created_at").first()
        new = consider(
            "correction_due_at",
            case.correction_due_at,
            observed.created_at if observed else None,
            settings.DEADLINES["CORRECTION"],
        )
        if new:
            case.correction_due_at = new
    if case.status in (State.COMPANY_ABSENT, State.CONSUMER_ABSENT):
        hearing = (
            Hearing.objects.filter(complaint_id=case.pk, outcome_recorded_at__isnull=False)
            .order_by("-outcome_recorded_at")
            .first()
        )
        new = consider(
            "justification_due_at",
            case.justification_due_at,
            hearing.outcome_recorded_at if hearing else None,
            settings.DEADLINES["ABSENCE_JUSTIFICATION"],
        )
        if new:
            case.justification_due_at = new
    return moved


def _part_columns(case: Complaint, not_before: datetime, day_end: datetime) -> list[_Moved]:
    moved: list[_Moved] = []
    parts = CaseCompany.objects.filter(
        complaint_id=case.pk, status__in=[PartStatus.NAMED, PartStatus.ABSENT]
    ).select_related("company")
    for part in parts:
        if part.status == PartStatus.NAMED and part.domicile_due_at and part.notified_at:
            old = part.domicile_due_at
            if old >= not_before and part.notified_at <= day_end:
                new = deadline_after(part.notified_at, settings.DEADLINES["COMPANY_DOMICILE"])
                if _later(old, new):
                    moved.append(_Moved(f"part:{part.pk}:domicile_due_at", old, new, company=part.display_name))
                    CaseCompany.objects.filter(pk=part.pk).update(domicile_due_at=new)
                    if case.domicile_due_at == old:  # the case copies its company's deadline: the same one
                        case.domicile_due_at = new
        if part.status == PartStatus.ABSENT and part.justification_due_at:
            old = part.justification_due_at
            outcome = PartOutcome.objects.filter(part=part).order_by("-recorded_at").first()
            if outcome is not None and old >= not_before and outcome.recorded_at <= day_end:
                new = deadline_after(outcome.recorded_at, settings.DEADLINES["ABSENCE_JUSTIFICATION"])
                if _later(old, new):
                    moved.append(_Moved(f"part:{part.pk}:justification_due_at", old, new, company=part.display_name))
                    CaseCompany.objects.filter(pk=part.pk).update(justification_due_at=new)
    return moved


def _clocks(case: Complaint, not_before: datetime, day_end: datetime) -> list[_Moved]:
    moved: list[_Moved] = []
    clocks = Clock.objects.filter(
        complaint_id=case.pk, closed_at__isnull=True, due_at__gte=not_before, started_at__lte=day_end
    ).exclude(kind__in=list(_MIRRORS))
    for clock in clocks:
        rule = rule_for(clock.kind)
        new = deadline_after(clock.started_at, clock.business_days)
        if not _later(clock.due_at, new):
            continue
        moments = reminder_moments(rule, started_at=clock.started_at, due_at=new)
        Clock.objects.filter(pk=clock.pk).update(due_at=new, remind_at=next_reminder(moments, clock.reminders_sent))
        moved.append(_Moved(f"clock:{clock.kind}", clock.due_at, new, clock.pk))
    return moved


def _listed(moved: list[_Moved]) -> str:
    """The moves in words, in the office's language (the record does not depend on who reads it)."""
    with translation.override(settings.LANGUAGE_CODE):
        return "; ".join(
            f"{m.company + ': ' if m.company else ''}{describe(m.what)} {on_record(m.old)} → {on_record(m.new)}"
            for m in moved
        )


def _recompute_case(pk: int, day: date, now: datetime) -> list[DeadlineChange]:
    not_before, day_end = _bounds(day, now)
    with transaction.atomic():
        case = lock_case(pk)
        before = (case.review_due_at, case.correction_due_at, case.justification_due_at, case.domicile_due_at)
        moved = _clocks(case, not_before, day_end) + _case_columns(case, not_before, day_end)
        moved += _part_columns(case, not_before, day_end)
        if not moved:
            return []
        after = (case.review_due_at, case.correction_due_at, case.justification_due_at, case.domicile_due_at)
        if after != before:
            case.save(update_fields=["review_due_at", "correction_due_at", "justification_due_at", "domicile_due_at"])
        changes = DeadlineChange.objects.bulk_create(
            DeadlineChange(day=day, clock_id=m.clock_id, complaint_id=pk, what=m.what, old_due=m.old, new_due=m.new)
            for m in moved
        )
        reason = record_text(
            gettext_noop("The office's calendar changed on %(day)s: %(moved)s."),
            day=on_record(day),
            moved=_listed(moved),
        )
        # The event also brings the clocks in step (oversight/receivers.py) with the columns moved here.
        record_event(case=case, action=actions.DEADLINE_RECOMPUTED.code, by=None, reason=reason)
    return changes


def _legal_windows(day: date) -> list[DeadlineChange]:
    """The legal directorate's windows (legal/: the descargo after a charge, the appeal after a
    sanction) that span the day, recomputed by legal itself; each move recorded here inside legal's
    own transaction (the case is locked by it), and the company told its window's new end."""
    from legal.services import recompute_legal_deadlines

    changes: list[DeadlineChange] = []

    def record(proceeding: "Proceeding", kind: str, old: datetime, new: datetime) -> None:
        what = f"legal:{kind}"
        case = proceeding.complaint  # locked by lock_proceeding
        change = DeadlineChange.objects.create(day=day, complaint_id=case.pk, what=what, old_due=old, new_due=new)
        listed = _listed([_Moved(what, old, new, company=proceeding.company_name)])
        reason = record_text(
            gettext_noop("The office's calendar changed on %(day)s: %(moved)s."), day=on_record(day), moved=listed
        )
        event = record_event(case=case, action=actions.DEADLINE_RECOMPUTED.code, by=None, reason=reason)
        # The company's window moved: it hears of its new end (the consumer's side does not act on it).
        update = "defence_reminder" if kind == "defence" else "appeal_reminder"
        tell(proceeding, update, key=f"case-event:{event.pk}", consumer=False, due=new)
        changes.append(change)

    recompute_legal_deadlines(day=day, on_change=record)
    return changes


def _advisory_key(day: date) -> tuple[int, int]:
    # (this recompute, the day): two int4 keys, so no other advisory lock of the app collides.
    return 0x0C10C, day.toordinal()


def _try_lock_day(day: date) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite (development): one process, nothing to overlap
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _advisory_key(day))
        return bool(cursor.fetchone()[0])


def _unlock_day(day: date) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _advisory_key(day))


def recompute_deadlines(*, day: date, now: datetime | None = None) -> list[DeadlineChange]:
    """Recompute every deadline not yet passed that the change of `day` may move. Returns the changes.
    Raises RecomputeBusy when another process is recomputing the same day (its session holds the
    day's advisory lock): the caller queues it again rather than running both at once."""
    if not _try_lock_day(day):
        raise RecomputeBusy(f"The deadlines of {day} are being recomputed elsewhere.")
    try:
        refresh_calendar()
        now = now or timezone.now()
        changes: list[DeadlineChange] = []
        ids = _candidate_cases(day, now)
        size = batch_size()
        for start in range(0, len(ids), size):
            for pk in ids[start : start + size]:
                changes += _recompute_case(pk, day, now)
        return changes + _legal_windows(day)
    finally:
        _unlock_day(day)
