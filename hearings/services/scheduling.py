"""Schedule, reschedule, cancel and adjourn (cuarto intermedio) a hearing.

Each move: one atomic block; the case row locked first (by `complaint_transition`, or here when the
case's state does not change), then the hearing row; the slot checked in code (`slot_refusal`),
then written inside a savepoint so that on PostgreSQL the exclusion constraint
`hearing_no_double_booking` has the last word when two offices book the same conciliator at once;
an event on the case; and the parties told through the outbox, with the calendar invitation (same
UID every time, SEQUENCE bumped on every change)."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint
from complaints.records import on_record
from complaints.services import complaint_transition, lock_case, record_event
from complaints.states import State
from notifications.services import notify, notify_address
from parties.models import ConciliatorProfile, Role, User

from .. import policy
from ..actions import PART_HEARING_SCHEDULED
from ..errors import HearingError
from ..ics import hearing_ics
from ..models import Hearing, HearingGuest
from ..notify import notify_hearing
from ..scheduling import double_booked_message, hearing_setting, notice_applies, slot_refusal
from ..selectors import current_hearing
from .shared import lock_hearing

EXCLUSION_CONSTRAINT = "hearing_no_double_booking"


# --- Helpers -----------------------------------------------------------------------------------


def invitation(hearing: Hearing, *, cancelled: bool = False) -> list[dict]:
    """The .ics as a notification attachment."""
    method = "CANCEL" if cancelled else "REQUEST"
    return [
        {
            "filename": "audiencia.ics",
            "content_type": f"text/calendar; method={method}",
            "content": hearing_ics(hearing, cancelled=cancelled),
        }
    ]


def _tell_guests(hearing: Hearing, case: Complaint, *, previous_start: datetime | None = None) -> None:
    """Each guest still invited (not withdrawn) with an e-mail hears that the hearing moved (their link
    keeps working, at the new time) or, when it is cancelled, that it will not be held. A guest of an
    adjourned hearing is not invited to its continuation: the office invites them again."""
    cancelled = hearing.status == Hearing.Status.CANCELLED
    for guest in hearing.guests.filter(revoked_at__isnull=True).exclude(email=""):
        context: dict = {
            "hearing_start": hearing.starts_at,
            "guest_name": guest.name,
            "guest_kind": HearingGuest.Kind(guest.kind).label,
            "change": "cancelled" if cancelled else "moved",
        }
        if previous_start is not None:
            context["previous_start"] = previous_start
        notify_address(
            email=guest.email,
            event="hearing_guest_update",
            context=context,
            idempotency_key=f"hearing:{hearing.pk}:guest:{guest.pk}:update:{hearing.ical_sequence}",
            case_number=case.number or "",
        )


def _who(user: User) -> str:
    return user.display_name


def _is_double_booking(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == EXCLUSION_CONSTRAINT or EXCLUSION_CONSTRAINT in str(error)


def _save_slot(hearing: Hearing, update_fields: list[str] | None = None) -> None:
    """Write the hearing's time; the database refuses an overlap on PostgreSQL even when two
    transactions both passed the check in code. The savepoint keeps the outer block usable."""
    try:
        with transaction.atomic():
            if update_fields is None:
                hearing.save()
            else:
                hearing.save(update_fields=update_fields)
    except IntegrityError as error:
        if _is_double_booking(error):
            raise HearingError(double_booked_message()) from error
        raise


def _check_start(starts_at: datetime) -> None:
    """A start within a few years of today (a forged or mistyped one far off would overflow)."""
    today = timezone.localdate()
    if not today - timedelta(days=366) <= starts_at.date() <= today + timedelta(days=365 * 5):
        raise HearingError(_("Choose a date within the next few years."))


def _lock_calendar(conciliator: User) -> None:
    """Bookings for one conciliator take turns (their profile row is the lock), so two offices
    cannot both fill the last place of a day: the database refuses overlaps, not a daily count."""
    ConciliatorProfile.objects.select_for_update().filter(user=conciliator).first()


def _check_conciliator(conciliator: User | None) -> User:
    if conciliator is None or conciliator.role != Role.CONCILIATOR or not conciliator.is_active:
        raise HearingError(_("Choose a conciliator who holds hearings."))
    return conciliator


# --- The moves ---------------------------------------------------------------------------------


def hearing_schedule(
    *,
    complaint: Complaint,
    by: User,
    starts_at: datetime,
    conciliator: User,
    minutes: int | None = None,
    continues: Hearing | None = None,
) -> Hearing:
    """A hearing for a served case (or an adjourned one, or one whose company's absence was
    excused): the case moves to "hearing scheduled" and every party gets the invitation.

    A second call for the same case finds it already scheduled and is refused (CaseError), so a
    double-submitted form books one hearing."""
    with transaction.atomic():
        policy.ensure(policy.SCHEDULE_HEARING, by, lock_case(complaint.pk))
        return _book(
            complaint=complaint,
            by=by,
            starts_at=starts_at,
            conciliator=conciliator,
            minutes=minutes,
            continues=continues,
        )


def _book(
    *,
    complaint: Complaint,
    by: User,
    starts_at: datetime,
    conciliator: User,
    minutes: int | None = None,
    continues: Hearing | None = None,
) -> Hearing:
    """Book the hearing; the caller has asked the rule (scheduling, or adjourning to a new date)."""
    _check_start(starts_at)
    _check_conciliator(conciliator)
    length = timedelta(minutes=minutes or hearing_setting("DURATION_MINUTES"))
    if length <= timedelta(0):
        raise HearingError(_("A hearing must last at least a minute."))
    ends_at = starts_at + length
    with transaction.atomic():
        # Whether the company is owed the minimum notice depends on where the case comes from.
        before = lock_case(complaint.pk)
        reason = f"{on_record(starts_at)} · {_who(conciliator)}"
        part_hearing = before.status in policy.PART_HEARING_STATES
        if part_hearing:
            # The companies still to be heard (their absence excused) get their hearing; the case keeps
            # its agreement and its state. Held within days of the excuse: no minimum notice. Its event
            # is written once the hearing exists (what the case's clocks read).
            notice = False
            case = before
        else:
            notice = continues is None and notice_applies(before)
            case = complaint_transition(complaint=complaint, transition="schedule_hearing", by=by, reason=reason).case
        if continues is not None and continues.complaint_id != case.pk:
            raise HearingError(_("A hearing can only continue a hearing of the same case."))
        _lock_calendar(conciliator)
        refusal = slot_refusal(case, conciliator, starts_at, ends_at, notice=notice)
        if refusal:
            raise HearingError(refusal)
        hearing = Hearing(
            complaint=case,
            conciliator=conciliator,
            starts_at=starts_at,
            ends_at=ends_at,
            scheduled_by=by,
            continues=continues,
        )
        _save_slot(hearing)
        if part_hearing:
            record_event(case=case, action=PART_HEARING_SCHEDULED.code, by=by, reason=reason)
        notify_hearing(
            hearing,
            "hearing_scheduled",
            key=f"hearing:{hearing.pk}:scheduled:{hearing.ical_sequence}",
            attachments=invitation(hearing),
        )
    return hearing


def hearing_reschedule(
    *, hearing: Hearing, by: User, starts_at: datetime, reason: str, conciliator: User | None = None
) -> Hearing:
    """The office moves a hearing still to be held (at most HEARINGS["MAX_RESCHEDULES"] times), to
    another time and optionally another conciliator. Reminders start over for the new time."""
    reason = (reason or "").strip()
    if not reason:
        raise HearingError(_("Say why the hearing is being moved: the parties will read it."))
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.RESCHEDULE_HEARING, by, locked)
        _check_start(starts_at)
        new_conciliator = _check_conciliator(conciliator or locked.conciliator)
        length = locked.ends_at - locked.starts_at
        if starts_at == locked.starts_at and new_conciliator.pk == locked.conciliator_id:
            raise HearingError(_("The hearing is already at that time with that conciliator."))
        _lock_calendar(new_conciliator)
        refusal = slot_refusal(case, new_conciliator, starts_at, starts_at + length, exclude=locked)
        if refusal:
            raise HearingError(refusal)

        previous_start, previous_conciliator = locked.starts_at, locked.conciliator
        locked.starts_at, locked.ends_at = starts_at, starts_at + length
        locked.conciliator = new_conciliator
        locked.ical_sequence += 1
        locked.reschedule_count += 1
        locked.reminded_48h_at = locked.reminded_1h_at = None
        _save_slot(
            locked,
            update_fields=[
                "starts_at",
                "ends_at",
                "conciliator",
                "ical_sequence",
                "reschedule_count",
                "reminded_48h_at",
                "reminded_1h_at",
                "updated_at",
            ],
        )
        change = f"{on_record(previous_start)} → {on_record(starts_at)}"
        if previous_conciliator.pk != new_conciliator.pk:
            change += f" · {_who(previous_conciliator)} → {_who(new_conciliator)}"
        record_event(case=case, action="reschedule_hearing", by=by, reason=f"{change}. {reason}")
        locked.complaint = case
        notify_hearing(
            locked,
            "hearing_rescheduled",
            key=f"hearing:{locked.pk}:rescheduled:{locked.ical_sequence}",
            context={"previous_start": previous_start, "reason": reason},
            attachments=invitation(locked),
        )
        if previous_conciliator.pk != new_conciliator.pk:
            # The conciliator who no longer holds it gets the withdrawal, so their calendar drops it.
            notify(
                recipient=previous_conciliator,
                event="hearing_cancelled",
                context={"hearing_start": previous_start, "reason": reason},
                idempotency_key=f"hearing:{locked.pk}:released:{locked.ical_sequence}",
                case_number=case.number or "",
                attachments=invitation(locked, cancelled=True),
            )
        _tell_guests(locked, case, previous_start=previous_start)
    return locked


def hearing_cancel(*, hearing: Hearing, by: User, reason: str) -> Hearing:
    """The office calls a hearing off. If it is the case's current hearing the case goes back to
    "company notified", to wait for a new date; a hearing left behind by a case that moved on (the
    consumer withdrew, or accepted an offer) is cancelled without moving the case."""
    reason = (reason or "").strip()
    if not reason:
        raise HearingError(_("Say why the hearing is cancelled: the parties will read it."))
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.CANCEL_HEARING, by, locked)
        current = current_hearing(case.pk)
        if case.status == State.HEARING_SCHEDULED and current is not None and current.pk == locked.pk:
            case = complaint_transition(complaint=case, transition="cancel_hearing", by=by, reason=reason).case
        else:
            record_event(case=case, action="cancel_hearing", by=by, reason=reason)
        _call_off(locked, case, reason)
    return locked


def hearing_release(*, case: Complaint, reason: str) -> None:
    """A case that ended before its hearing (the consumer withdrew, or accepted an offer) frees the
    hearing: cancelled, with a CANCEL invitation to everyone. Runs inside that case move's
    transaction, which holds the case lock (hearings/receivers.py)."""
    for hearing in Hearing.objects.select_for_update().filter(complaint=case, status=Hearing.Status.SCHEDULED):
        _call_off(hearing, case, reason)


def _call_off(locked: Hearing, case: Complaint, reason: str) -> None:
    locked.status = Hearing.Status.CANCELLED
    locked.cancel_reason = reason
    locked.ical_sequence += 1
    locked.save(update_fields=["status", "cancel_reason", "ical_sequence", "updated_at"])
    locked.complaint = case
    notify_hearing(
        locked,
        "hearing_cancelled",
        key=f"hearing:{locked.pk}:cancelled:{locked.ical_sequence}",
        context={"reason": reason},
        attachments=invitation(locked, cancelled=True),
    )
    _tell_guests(locked, case)


def hearing_adjourn(*, hearing: Hearing, by: User, reason: str, starts_at: datetime | None = None) -> Hearing | None:
    """Cuarto intermedio: the hearing ends without an outcome and the case waits ("adjourned").
    With `starts_at`, the continuation is scheduled at once (same conciliator, same length,
    `continues` = this hearing) and the case is "hearing scheduled" again; it is returned.
    Everything or nothing: a continuation that cannot be booked leaves the hearing as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise HearingError(_("Say why the hearing is adjourned."))
    with transaction.atomic():
        # The case first, then the hearing: the order every other move takes (no deadlock between them).
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.ADJOURN_HEARING, by, locked)
        case = complaint_transition(complaint=locked.complaint, transition="adjourn", by=by, reason=reason).case
        locked.status = Hearing.Status.ADJOURNED
        locked.outcome = Hearing.Outcome.ADJOURNED
        locked.outcome_notes = reason
        locked.outcome_recorded_at = timezone.now()
        locked.outcome_recorded_by = by
        locked.save(
            update_fields=[
                "status",
                "outcome",
                "outcome_notes",
                "outcome_recorded_at",
                "outcome_recorded_by",
                "updated_at",
            ]
        )
        locked.complaint = case
        continuation = None
        if starts_at is not None:
            continuation = _book(
                complaint=case,
                by=by,
                starts_at=starts_at,
                conciliator=locked.conciliator,
                minutes=int((locked.ends_at - locked.starts_at).total_seconds() // 60),
                continues=locked,
            )
            next_steps = gettext_lazy(
                "The hearing will continue on a new date: the invitation is in a separate message."
            )
        else:
            next_steps = gettext_lazy("The office will set the date on which the hearing continues and let you know.")
        # Lazy texts: each recipient reads them in their own language.
        notify_hearing(
            locked,
            "outcome_recorded",
            key=f"hearing:{locked.pk}:adjourned",
            context={"outcome_label": Hearing.Outcome.ADJOURNED.label, "next_steps": next_steps, "reason": reason},
            conciliator=by.pk != locked.conciliator_id,  # whoever adjourned it knows
        )
    return continuation
