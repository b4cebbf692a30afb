"""How a hearing ended: the conciliator (or the office) records the outcome and the case moves with it.

One atomic block; the case row locked first, then the hearing row (the order every hearings service
keeps, so two moves on one hearing never deadlock); the case moved only through
`complaints.services.complaint_transition`; notifications written to the outbox in the same
transaction (delivered after commit). The acta is generated afterwards (hearings.services.acta).
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.services import complaint_transition, lock_case
from parties.business_days import deadline_after
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import Agreement, Hearing
from ..notify import notify_hearing
from ..policy import ABSENT_PARTY
from ..selectors import attended
from .shared import (
    Outcome,
    Party,
    lock_hearing,
    tolerance_ends_at,
    tolerance_minutes,
    translated_later,
)

# The case's move for each outcome (an adjournment goes through hearings.services.scheduling).
OUTCOME_TRANSITIONS: dict[str, str] = {
    Outcome.AGREEMENT: "record_agreement",
    Outcome.NO_AGREEMENT: "record_no_agreement",
    Outcome.COMPANY_ABSENT: "record_company_absent",
    Outcome.CONSUMER_ABSENT: "record_consumer_absent",
}


def outcome_record(
    *,
    hearing: Hearing,
    by: User,
    outcome: str,
    notes: str = "",
    terms: str = "",
    amount: Decimal | None = None,
    obligations: str = "",
    compliance_due: date | None = None,
    adjourn_to: datetime | None = None,
) -> Hearing:
    """The conciliator (or the office) records how the hearing ended and the case moves with it.

    agreement → Agreement + `record_agreement`; no_agreement → `record_no_agreement`; an absence →
    its transition and the absent party's deadline to justify it; adjourned → the scheduling
    service's `hearing_adjourn` (which may schedule the continuation). Then the acta is generated
    in the background and every party is told."""
    notes, terms, obligations = notes.strip(), terms.strip(), obligations.strip()
    _check_outcome_details(
        outcome, notes=notes, terms=terms, amount=amount, compliance_due=compliance_due, adjourn_to=adjourn_to
    )
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        _check_can_record(locked, by, outcome, now)
        if outcome == Outcome.ADJOURNED:
            # The scheduling service adjourns, schedules the continuation and tells the parties.
            from .scheduling import hearing_adjourn

            hearing_adjourn(hearing=locked, by=by, reason=notes, starts_at=adjourn_to)
            locked = lock_hearing(hearing.pk)
        else:
            changes: dict[str, object] = {}
            if outcome in ABSENT_PARTY:
                changes["justification_due_at"] = deadline_after(now, settings.DEADLINES["ABSENCE_JUSTIFICATION"])
            move = complaint_transition(
                complaint=locked.complaint,
                transition=OUTCOME_TRANSITIONS[outcome],
                by=by,
                reason=_outcome_reason(outcome, notes=notes, terms=terms),
                **changes,
            )
            if outcome == Outcome.AGREEMENT:
                assert compliance_due is not None  # checked above
                Agreement.objects.create(
                    complaint=move.case,
                    hearing=locked,
                    terms=terms,
                    amount=amount,
                    obligations=obligations,
                    compliance_due=compliance_due,
                )
            locked.status = Hearing.Status.HELD
            locked.outcome, locked.outcome_notes = outcome, notes
            locked.outcome_recorded_at, locked.outcome_recorded_by = now, by
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
            next_steps = _next_steps(
                outcome, compliance_due=compliance_due, justification_due=changes.get("justification_due_at")
            )
            notify_hearing(
                locked,
                "outcome_recorded",
                key=f"hearing:{locked.pk}:outcome",
                context={"outcome_label": Outcome(outcome).label, "next_steps": next_steps},
                conciliator=by.pk != locked.conciliator_id,
            )
        # robust: a broker that is down must not turn a recorded outcome into an error page; the
        # beat job generate_missing_actas picks the hearing up.
        hearing_id = locked.pk
        transaction.on_commit(lambda: _queue_acta(hearing_id), robust=True)
    return locked


def _queue_acta(hearing_id: int) -> None:
    from ..tasks import generate_acta

    generate_acta.delay(hearing_id)


def _check_outcome_details(
    outcome: str,
    *,
    notes: str,
    terms: str,
    amount: Decimal | None,
    compliance_due: date | None,
    adjourn_to: datetime | None,
) -> None:
    if outcome not in Outcome.values:
        raise HearingError(_("Choose the outcome of the hearing."))
    if outcome == Outcome.AGREEMENT:
        if not terms:
            raise HearingError(_("Write the terms the parties agreed."))
        if compliance_due is None:
            raise HearingError(_("Give the date by which the company must comply with the agreement."))
        if compliance_due <= timezone.localdate():
            raise HearingError(_("The compliance deadline must be after today."))
        if amount is not None and amount < 0:
            raise HearingError(_("The amount cannot be negative."))
    if outcome == Outcome.ADJOURNED:
        if not notes:
            raise HearingError(_("Say why the hearing is adjourned."))
        if adjourn_to is not None and adjourn_to <= timezone.now():
            raise HearingError(_("The hearing can only continue on a date in the future."))


def _check_can_record(hearing: Hearing, by: User, outcome: str, now: datetime) -> None:
    policy.ensure(policy.RECORD_OUTCOME, by, hearing)
    if outcome in ABSENT_PARTY:
        ends = tolerance_ends_at(hearing)
        if now < ends:
            raise HearingError(
                _(
                    "The %(minutes)s-minute tolerance runs until %(time)s: "
                    "an absence can be recorded only once it has run out."
                )
                % {
                    "minutes": tolerance_minutes(),
                    "time": timezone.localtime(ends).strftime("%H:%M"),
                }
            )
        if attended(hearing, ABSENT_PARTY[outcome]):
            raise HearingError(
                _(
                    "The attendance record shows that %(party)s joined the hearing. "
                    "If that is wrong, correct the attendance first."
                )
                % {"party": Party(ABSENT_PARTY[outcome]).label.lower()}
            )


def _outcome_reason(outcome: str, *, notes: str, terms: str) -> str:
    """What the conciliator typed (the transition itself names the outcome)."""
    return "\n".join(part for part in (terms, notes) if part)


def _next_steps(outcome: str, *, compliance_due: date | None, justification_due: object) -> str:
    if outcome == Outcome.AGREEMENT:
        return translated_later(
            gettext_noop(
                "Read the acta and confirm it from your account. The office then approves the agreement "
                "(homologación); the company must comply by %(due)s."
            ),
            due=compliance_due,
        )
    if outcome == Outcome.NO_AGREEMENT:
        return translated_later(
            gettext_noop("The office will refer the case to the legal department, which may open sanction proceedings.")
        )
    if outcome == Outcome.COMPANY_ABSENT:
        return translated_later(
            gettext_noop(
                "The company may justify its absence from its account until %(due)s. If it does not, or the "
                "justification is not accepted, the case is referred to sanction proceedings with a fine."
            ),
            due=justification_due,
        )
    return translated_later(
        gettext_noop(
            "The consumer may justify the absence from their account until %(due)s. "
            "Otherwise the complaint is deemed withdrawn."
        ),
        due=justification_due,
    )
