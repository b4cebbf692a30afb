"""Conciliators are people: a day off or a leave entered over hearings already booked, the hearings it
leaves without a conciliator ("flagged"), a free colleague proposed at the same time, and the move
that gives the hearing to them.

A reassignment is not a reschedule. The time stays, so the company is owed no new notice period
(`slot_refusal(..., notice=False)`: `notice_applies` is never asked) and it does not count against
HEARINGS["MAX_RESCHEDULES"]. The invitation's SEQUENCE goes up, the parties and the new conciliator
hear who holds it now, and the conciliator who no longer holds it gets the CANCEL, so their calendar
drops it. The hearing also gets a new room name: a Jitsi token is minted per request from the
hearing's current conciliator (hearings/jitsi.py, hearings/views/room.py), but a token already minted
for the old conciliator stays valid until the end of the hearing, and now names a room nobody is in.

Flagged is not a column: a hearing still to be held whose conciliator has a day off on its date. A
hearing nobody free can take stays flagged until the office reschedules or cancels it."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.records import on_record, record_text
from complaints.services import case_url, lock_case, record_event
from notifications.services import notify, notify_address
from parties.business_days import is_business_day
from parties.models import ConciliatorDayOff, ConciliatorProfile, Role, User

from .. import policy
from ..errors import HearingError
from ..models import Hearing, new_room_name
from ..notify import hearing_url, notify_hearing, served_parts
from ..scheduling import conciliators, double_booked_message, office_tz, slot_refusal
from .scheduling import EXCLUSION_CONSTRAINT, invitation
from .shared import lock_hearing

# A leave longer than a year is a typing mistake, not a leave.
LEAVE_MAX_DAYS = 366


@dataclass
class Proposal:
    """For a flagged hearing: the free conciliator proposed at its time, or why there is none."""

    hearing: Hearing
    conciliator: User | None
    problem: str = ""


@dataclass
class Leave:
    """What entering a leave did: the days added (a day already off is kept as it was) and the
    hearings booked on them, now flagged."""

    conciliator: User
    first_day: date
    last_day: date
    added: list[date] = field(default_factory=list)
    flagged: int = 0


@dataclass
class DayResult:
    reassigned: list[Hearing] = field(default_factory=list)
    left: list[Proposal] = field(default_factory=list)


# --- Reads ---------------------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=office_tz())
    return start, start + timedelta(days=1)


def flagged_hearings(
    *,
    within: QuerySet[Hearing] | None = None,
    conciliator: User | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    now: datetime | None = None,
) -> QuerySet[Hearing]:
    """Hearings still to be held whose conciliator is off on their (office) date, soonest first
    (`within`: a scoping function's queryset, e.g. hearings_visible_to(user)). On `hearing_upcoming`
    (status scheduled, starts_at) and the unique (conciliator, date) of days off."""
    now = now or timezone.now()
    off = ConciliatorDayOff.objects.filter(conciliator__user_id=OuterRef("conciliator_id"), date=OuterRef("local_day"))
    found = (Hearing.objects.all() if within is None else within).filter(
        status=Hearing.Status.SCHEDULED, starts_at__gt=now
    )
    if conciliator is not None:
        found = found.filter(conciliator=conciliator)
    if first_day is not None:
        found = found.filter(starts_at__gte=_day_bounds(first_day)[0])
    if last_day is not None:
        found = found.filter(starts_at__lt=_day_bounds(last_day)[1])
    return (
        found.annotate(local_day=TruncDate("starts_at", tzinfo=office_tz()))
        .filter(Exists(off))
        .select_related("complaint", "complaint__company", "conciliator")
        .order_by("starts_at", "pk")
    )


@dataclass
class _Calendars:
    """What decides who is free on some days, loaded once: the conciliators (with their profile),
    their days off, and the time each has taken (hearings not cancelled) per office day."""

    people: list[User]
    days_off: set[tuple[int, date]]
    busy: dict[tuple[int, date], list[tuple[datetime, datetime]]]

    @classmethod
    def load(cls, days: set[date]) -> "_Calendars":
        """Three queries whatever the number of conciliators and of days."""
        people = list(conciliators())
        ids = [person.pk for person in people]
        first, last = min(days), max(days)
        days_off = set(
            ConciliatorDayOff.objects.filter(conciliator__user_id__in=ids, date__gte=first, date__lte=last).values_list(
                "conciliator__user_id", "date"
            )
        )
        busy: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        for conciliator_id, starts_at, ends_at in (
            Hearing.objects.filter(
                conciliator_id__in=ids, starts_at__gte=_day_bounds(first)[0], starts_at__lt=_day_bounds(last)[1]
            )
            .exclude(status=Hearing.Status.CANCELLED)
            .values_list("conciliator_id", "starts_at", "ends_at")
        ):
            busy[(conciliator_id, timezone.localtime(starts_at, office_tz()).date())].append((starts_at, ends_at))
        return cls(people=people, days_off=days_off, busy=busy)

    def free(self, person: User, hearing: Hearing, *, now: datetime) -> bool:
        """`slot_refusal(..., notice=False)` decided in memory: their weekdays, a business day, no day
        off, inside their hours, under their daily maximum, no overlap. The move checks again with
        `slot_refusal` under the lock."""
        profile = person.conciliator_profile
        start, end = (
            timezone.localtime(hearing.starts_at, office_tz()),
            timezone.localtime(hearing.ends_at, office_tz()),
        )
        day = start.date()
        taken = self.busy[(person.pk, day)]
        return not (
            hearing.starts_at <= now
            or not is_business_day(day)
            or day.isoweekday() not in profile.weekdays
            or (person.pk, day) in self.days_off
            or end.date() != day
            or start.time() < profile.work_start
            or end.time() > profile.work_end
            or len(taken) >= profile.max_hearings_per_day
            or any(s < hearing.ends_at and e > hearing.starts_at for s, e in taken)
        )


def propose(hearings: list[Hearing], *, now: datetime | None = None) -> list[Proposal]:
    """A free conciliator at each hearing's own time, the least loaded that day first (ties: the
    lowest id, so the proposal is stable), with the company's notice left out: the time does not
    change. Three queries for the whole list, whatever the number of rows and of conciliators
    (`_Calendars`); the list's own proposals count as taken, so two hearings at the same time, or the
    last place of someone's day, are not proposed twice."""
    if not hearings:
        return []
    now = now or timezone.now()
    plan = _Calendars.load({timezone.localtime(h.starts_at, office_tz()).date() for h in hearings})
    proposals = []
    for hearing in hearings:
        day = timezone.localtime(hearing.starts_at, office_tz()).date()
        ranked = sorted(
            (p for p in plan.people if p.pk != hearing.conciliator_id),
            key=lambda p: (len(plan.busy[(p.pk, day)]), p.pk),
        )
        chosen = next((person for person in ranked if plan.free(person, hearing, now=now)), None)
        if chosen is None:
            proposals.append(Proposal(hearing, None, no_one_free_message()))
        else:
            plan.busy[(chosen.pk, day)].append((hearing.starts_at, hearing.ends_at))
            proposals.append(Proposal(hearing, chosen))
    return proposals


def no_one_free_message() -> str:
    return _("No other conciliator is free at this time: reschedule it (or cancel it).")


# --- The moves -----------------------------------------------------------------------------------


def _lock_calendars(*people: User) -> None:
    """The conciliators' profile rows, in one order (by id), so that two reassignments between the
    same two people cannot wait on each other; a booking for either waits for this one."""
    list(
        ConciliatorProfile.objects.select_for_update()
        .filter(user_id__in=sorted({p.pk for p in people}))
        .order_by("user_id")
        .values_list("pk", flat=True)
    )


def leave_enter(*, conciliator: User, first_day: date, last_day: date | None = None, reason: str, by: User) -> Leave:
    """A day off (`last_day` None or the same day) or a leave: one day off per date of the range.
    The hearings already booked on those days are flagged from then on (`flagged_hearings`)."""
    last_day = last_day or first_day
    reason = (reason or "").strip()
    if last_day < first_day:
        raise HearingError(_("The leave must end on or after the day it begins."))
    if (last_day - first_day).days + 1 > LEAVE_MAX_DAYS:
        raise HearingError(_("A leave can last at most %(days)s days.") % {"days": LEAVE_MAX_DAYS})
    profile = ConciliatorProfile.objects.filter(user=conciliator).first()
    if profile is None or conciliator.role != Role.CONCILIATOR:
        raise HearingError(_("Choose a conciliator who holds hearings."))
    with transaction.atomic():
        policy.ensure(policy.ENTER_LEAVE, by, profile)
        _lock_calendars(conciliator)  # a booking for them waits, then sees the days off
        dates = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
        already = set(
            ConciliatorDayOff.objects.filter(conciliator=profile, date__in=dates).values_list("date", flat=True)
        )
        added = [day for day in dates if day not in already]
        ConciliatorDayOff.objects.bulk_create(
            [ConciliatorDayOff(conciliator=profile, date=day, reason=reason[:200]) for day in added],
            ignore_conflicts=True,
        )
        flagged = flagged_hearings(conciliator=conciliator, first_day=first_day, last_day=last_day).count()
    return Leave(conciliator=conciliator, first_day=first_day, last_day=last_day, added=added, flagged=flagged)


class StaleReassignment(HearingError):
    """The hearing changed hands (or was changed) since the page that posted the move was shown."""


def _expected_holder(locked: Hearing, expected_conciliator: int | None, expected_sequence: int | None) -> None:
    """A move posted from a page shows who held the hearing then: another reassignment committed
    meanwhile (a second supervisor, a double-clicked button) must not move it a second time."""
    if expected_conciliator is not None and locked.conciliator_id != expected_conciliator:
        raise StaleReassignment(
            _("Meanwhile this hearing was given to %(name)s: nothing was changed. Check the list again.")
            % {"name": locked.conciliator.display_name}
        )
    if expected_sequence is not None and locked.ical_sequence != expected_sequence:
        raise StaleReassignment(_("This hearing was changed meanwhile: nothing was changed. Check the list again."))


def _tell_domiciles(hearing: Hearing, *, key: str, context: dict, attachments: list[dict]) -> None:
    """Each served company's electronic domicile hears of the new conciliator too (informational:
    the date, the legal part of the citation, does not change), so that a company with no
    representative account yet is told as well."""
    domiciles = {part.company.electronic_domicile.strip().lower() for part in served_parts(hearing) if part.company}
    for domicile in sorted(d for d in domiciles if d):
        notify_address(
            email=domicile,
            event="hearing_reassigned",
            context=context,
            idempotency_key=key,
            case_number=hearing.complaint.number or "",
            attachments=attachments,
        )


def hearing_reassign(
    *,
    hearing: Hearing,
    by: User,
    conciliator: User,
    reason: str,
    expected_conciliator: int | None = None,
    expected_sequence: int | None = None,
) -> Hearing:
    """Give a hearing still to be held to another conciliator, at the same time. Refused when the new
    one is not free then (`slot_refusal`, without the notice period), already holds it (a second
    submission of the same form), or when the hearing is no longer held by `expected_conciliator` /
    at `expected_sequence` (what the posting page showed: `StaleReassignment`).

    The hearing gets a new room: the tokens already minted for the old one (the previous conciliator's
    moderator token is valid until the end of the hearing) open a room nobody is in."""
    reason = (reason or "").strip()
    if not reason:
        raise HearingError(_("Say why the hearing changes conciliator: the parties will read it."))
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.REASSIGN_HEARING, by, locked)
        if conciliator is None or conciliator.role != Role.CONCILIATOR or not conciliator.is_active:
            raise HearingError(_("Choose a conciliator who holds hearings."))
        previous = locked.conciliator
        if conciliator.pk == previous.pk:
            raise HearingError(_("%(name)s already holds this hearing.") % {"name": conciliator.display_name})
        _expected_holder(locked, expected_conciliator, expected_sequence)
        _lock_calendars(previous, conciliator)
        refusal = slot_refusal(case, conciliator, locked.starts_at, locked.ends_at, exclude=locked, notice=False)
        if refusal:
            raise HearingError(refusal)
        locked.conciliator = conciliator
        locked.ical_sequence += 1
        locked.room = new_room_name()
        try:
            with transaction.atomic():  # the database has the last word on overlaps (PostgreSQL)
                locked.save(update_fields=["conciliator", "ical_sequence", "room", "updated_at"])
        except IntegrityError as error:
            if EXCLUSION_CONSTRAINT in str(error):
                raise HearingError(double_booked_message()) from error
            raise
        record_event(
            case=case,
            action="hearing_reassigned",
            by=by,
            reason=record_text(
                gettext_noop("%(when)s · %(previous)s → %(new)s. %(reason)s"),
                when=on_record(locked.starts_at),
                previous=previous.display_name,
                new=conciliator.display_name,
                reason=reason,
            ),
        )
        context = {
            "conciliator_name": conciliator.display_name,
            "previous_conciliator_name": previous.display_name,
            "reason": reason,
        }
        key = f"hearing:{locked.pk}:reassigned:{locked.ical_sequence}"
        update = invitation(locked)
        # The parties and the new conciliator (the hearing's conciliator now), with the updated invitation.
        notify_hearing(locked, "hearing_reassigned", key=key, context=context, attachments=update)
        _tell_domiciles(
            locked,
            key=key,
            context={
                **context,
                "case_number": case.number or "",
                "case_url": case_url(case),
                "hearing_start": locked.starts_at,
                "hearing_url": hearing_url(locked),
            },
            attachments=update,
        )
        # The one who no longer holds it: the CANCEL drops it from their calendar; the button leads to
        # the case (the room is no longer theirs).
        notify(
            recipient=previous,
            event="hearing_reassigned",
            context={**context, "hearing_start": locked.starts_at, "released": True, "case_url": case_url(case)},
            idempotency_key=f"hearing:{locked.pk}:released:{locked.ical_sequence}",
            case_number=case.number or "",
            attachments=invitation(locked, cancelled=True),
        )
    return locked


def _still_flagged(hearing: Hearing, conciliator: User, day: date, *, now: datetime) -> bool:
    """Under the lock: the hearing is still this conciliator's, still to be held on `day`, and they
    are still off that day."""
    local = timezone.localtime(hearing.starts_at, office_tz()).date()
    return (
        hearing.conciliator_id == conciliator.pk
        and hearing.status == Hearing.Status.SCHEDULED
        and hearing.starts_at > now
        and local == day
        and ConciliatorDayOff.objects.filter(conciliator__user_id=conciliator.pk, date=day).exists()
    )


def reassign_day(*, conciliator: User, day: date, by: User, reason: str) -> DayResult:
    """Every flagged hearing of this conciliator on this day to the conciliator proposed for it, each
    in its own transaction (one that cannot move stays flagged and is reported; the others move).
    Each is checked again under its case's lock: one moved, rescheduled or cancelled meanwhile (a
    second post, another supervisor) is skipped, not moved twice nor reported as left. Posted twice,
    the second finds nothing left to move."""
    result = DayResult()
    pending = list(flagged_hearings(conciliator=conciliator, first_day=day, last_day=day))
    for hearing in pending:
        refusal = policy.why_not(policy.REASSIGN_HEARING, by, hearing)
        if refusal is not None and refusal.forbidden:
            raise HearingError(refusal.message)
        try:
            with transaction.atomic():
                lock_case(hearing.complaint_id)
                current = lock_hearing(hearing.pk)
                if not _still_flagged(current, conciliator, day, now=timezone.now()):
                    continue  # moved (or cancelled) meanwhile by someone else: not ours to report
                # Proposed under the lock, so the moves already made this round count as taken.
                proposal = propose([current])[0]
                if proposal.conciliator is None:
                    result.left.append(proposal)
                    continue
                result.reassigned.append(
                    hearing_reassign(
                        hearing=current,
                        by=by,
                        conciliator=proposal.conciliator,
                        reason=reason,
                        expected_conciliator=conciliator.pk,
                        expected_sequence=current.ical_sequence,
                    )
                )
        except StaleReassignment:
            continue
        except HearingError as error:
            result.left.append(Proposal(hearing, None, str(error)))
    return result


def day_counts(pairs: set[tuple[int, date]]) -> dict[tuple[int, date], int]:
    """For "reassign the whole day": how many flagged hearings each (conciliator, day) has in all, not
    only on the page shown. One grouped query."""
    if not pairs:
        return {}
    first, last = min(day for _pk, day in pairs), max(day for _pk, day in pairs)
    rows = (
        flagged_hearings(first_day=first, last_day=last)
        .filter(conciliator_id__in={pk for pk, _day in pairs})
        .values("conciliator_id", "local_day")  # type: ignore[misc]  # annotated by flagged_hearings
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {(row["conciliator_id"], row["local_day"]): row["n"] for row in rows}
    return {pair: found.get(pair, 0) for pair in pairs}
