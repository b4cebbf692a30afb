"""How a hearing ended: the conciliator (or the office) records the outcome and the case moves with it.

One atomic block; the case row locked first, then the hearing row (the order every hearings service
keeps, so two moves on one hearing never deadlock); the case moved only through
`complaints.services.complaint_transition`; notifications written to the outbox in the same
transaction (delivered after commit). The acta is generated afterwards (hearings.services.acta).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.records import record_text
from complaints.services import complaint_transition, lock_case
from complaints.services.parts import is_multi_company, part_move, parts_of, settle
from parties.business_days import deadline_after
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import Agreement, Attendance, Hearing, PartOutcome
from ..notify import notify_hearing
from ..policy import ABSENT_PARTY
from ..selectors import attended
from .instalments import add_instalments
from .instalments import check_schedule as scheduled
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
# What the hearing may end in for one company of several; the others are about the whole case.
COMPANY_OUTCOMES = (Outcome.AGREEMENT, Outcome.NO_AGREEMENT, Outcome.COMPANY_ABSENT)
CASE_WIDE_OUTCOMES = (Outcome.CONSUMER_ABSENT, Outcome.ADJOURNED)
PART_STATUS_FOR: dict[str, str] = {
    Outcome.AGREEMENT: PartStatus.AGREEMENT,
    Outcome.NO_AGREEMENT: PartStatus.NO_AGREEMENT,
    Outcome.COMPANY_ABSENT: PartStatus.ABSENT,
}


@dataclass
class CompanyOutcome:
    """How the hearing ended for one company; an agreement has its own terms and deadline."""

    outcome: str
    terms: str = ""
    amount: Decimal | None = None
    obligations: str = ""
    compliance_due: date | None = None
    notes: str = ""
    # Paid in instalments: (due date, amount) each; the last due date is the compliance deadline.
    instalments: "Sequence[tuple[date, Decimal]]" = ()


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
    per_company: "dict[int, CompanyOutcome] | None" = None,
    instalments: "Sequence[tuple[date, Decimal]]" = (),
) -> Hearing:
    """The conciliator (or the office) records how the hearing ended and the case moves with it.

    In a case of several companies `per_company` (by part pk, one for each served company) says how
    it ended for each: agreement (with its own terms), no agreement, absent; `outcome` then only
    matters when it is case-wide (the consumer absent, adjourned). See `_record_per_company`.

    agreement → Agreement + `record_agreement`; no_agreement → `record_no_agreement`; an absence →
    its transition and the absent party's deadline to justify it; adjourned → the scheduling
    service's `hearing_adjourn` (which may schedule the continuation). Then the acta is generated
    in the background and every party is told."""
    notes, terms, obligations = notes.strip(), terms.strip(), obligations.strip()
    each_company = per_company is not None and outcome not in CASE_WIDE_OUTCOMES
    # A schedule of instalments is checked first; its last due date is the compliance deadline.
    instalments = scheduled(instalments, amount=amount) if instalments and outcome == Outcome.AGREEMENT else []
    compliance_due = instalments[-1][0] if instalments else compliance_due
    for result in (per_company or {}).values():
        if result.outcome == Outcome.AGREEMENT and result.instalments:
            result.instalments = scheduled(result.instalments, amount=result.amount)
            result.compliance_due = result.instalments[-1][0]
    if not each_company:
        _check_outcome_details(
            outcome, notes=notes, terms=terms, amount=amount, compliance_due=compliance_due, adjourn_to=adjourn_to
        )
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        _check_can_record(locked, by, "" if each_company else outcome, now)
        if policy.is_part_hearing(locked) and not each_company and outcome in CASE_WIDE_OUTCOMES:
            raise HearingError(
                _(
                    "This hearing is for the remaining companies only: record how it ended for each of them. "
                    "If it cannot be held now, reschedule it."
                )
            )
        if each_company or (outcome not in CASE_WIDE_OUTCOMES and is_multi_company(case)):
            _record_per_company(
                locked,
                by,
                now,
                per_company
                or {
                    part.pk: CompanyOutcome(
                        outcome, terms=terms, amount=amount, obligations=obligations, compliance_due=compliance_due
                    )
                    for part in _served_parts(case)
                },
                notes=notes,
            )
        elif outcome == Outcome.ADJOURNED:
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
                agreement = Agreement.objects.create(
                    complaint=move.case,
                    part=parts_of(move.case).first(),
                    hearing=locked,
                    terms=terms,
                    amount=amount,
                    obligations=obligations,
                    compliance_due=compliance_due,
                )
                add_instalments(agreement, list(instalments))
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


# --- A case of several companies -------------------------------------------------------------------


def _served_parts(case: Complaint) -> list[CaseCompany]:
    """The companies the hearing was held with: those served and still in the case."""
    return [part for part in parts_of(case) if part.status == PartStatus.SERVED]


def _record_per_company(
    hearing: Hearing, by: User, now: datetime, per_company: dict[int, CompanyOutcome], *, notes: str
) -> None:
    """How the hearing ended for each company. The same for all: exactly the case-wide move (the parts
    follow it). Different: each part moves on its own first — a company without agreement is referred
    at once, an absent one gets its own deadline to justify — and then the case: any agreement →
    `record_agreement`; else any absent → `record_company_absent`; else `record_no_agreement`.
    Either way a PartOutcome per company, so the acta lists each."""
    case = hearing.complaint
    parts = _served_parts(case)
    if not parts:
        raise HearingError(_("No company of this case is awaiting the hearing's outcome."))
    missing = [part.display_name for part in parts if part.pk not in per_company]
    if missing:
        raise HearingError(_("Say how the hearing ended for %(companies)s.") % {"companies": ", ".join(missing)})
    results: list[tuple[CaseCompany, CompanyOutcome]] = []
    for part in parts:
        result = per_company[part.pk]
        result.notes, result.terms, result.obligations = (
            result.notes.strip(),
            result.terms.strip(),
            result.obligations.strip(),
        )
        _check_company_outcome(hearing, part, result, now)
        results.append((part, result))
    outcomes = {result.outcome for _part, result in results}
    # A company that agreed before the hearing (by accepting its offer) keeps its agreement: the case
    # then moves as a mixed outcome, never as a plain "no agreement" that would strand it.
    agreed_before = any(part.status == PartStatus.AGREEMENT for part in parts_of(case))
    # A hearing for the remaining companies moves only their parts: the case keeps its agreement.
    part_hearing = policy.is_part_hearing(hearing)
    justification_due: datetime | None = None
    if len(outcomes) == 1 and not part_hearing and (not agreed_before or outcomes == {Outcome.AGREEMENT}):
        outcome = next(iter(outcomes))
        changes: dict[str, object] = {}
        if outcome == Outcome.COMPANY_ABSENT:
            justification_due = deadline_after(now, settings.DEADLINES["ABSENCE_JUSTIFICATION"])
            changes["justification_due_at"] = justification_due
        case = complaint_transition(
            complaint=case,
            transition=OUTCOME_TRANSITIONS[outcome],
            by=by,
            reason=_outcome_reason(outcome, notes=notes, terms=_all_terms(results)),
            **changes,
        ).case
    else:
        outcome, case, justification_due = _move_each_part(
            hearing, by, now, results, notes=notes, agreed_before=agreed_before, move_case=not part_hearing
        )
    for part, result in results:
        PartOutcome.objects.create(
            hearing=hearing, part=part, outcome=result.outcome, notes=result.notes, recorded_at=now
        )
        if result.outcome == Outcome.AGREEMENT:
            assert result.compliance_due is not None  # checked above
            agreement = Agreement.objects.create(
                complaint=case,
                part=part,
                hearing=hearing,
                terms=result.terms,
                amount=result.amount,
                obligations=result.obligations,
                compliance_due=result.compliance_due,
            )
            add_instalments(agreement, list(result.instalments))
    hearing.complaint = case
    _close_hearing(hearing, by, now, outcome, notes)
    dues = [result.compliance_due for _part, result in results if result.compliance_due is not None]
    next_steps = _next_steps(outcome, compliance_due=min(dues, default=None), justification_due=justification_due)
    notify_hearing(
        hearing,
        "outcome_recorded",
        key=f"hearing:{hearing.pk}:outcome",
        context={"outcome_label": _each_company_label(results), "next_steps": next_steps},
        conciliator=by.pk != hearing.conciliator_id,
    )


def _move_each_part(
    hearing: Hearing,
    by: User,
    now: datetime,
    results: list[tuple[CaseCompany, CompanyOutcome]],
    *,
    notes: str,
    agreed_before: bool = False,
    move_case: bool = True,
) -> tuple[str, Complaint, datetime | None]:
    """A mixed outcome: each part on its own (the case settles once, at the end), then the case. Any
    agreement, this hearing's or one reached before it (`agreed_before`), makes the case's move an
    agreement, so that it can be approved and followed. A hearing for the remaining companies
    (`move_case` False) leaves the case's state alone: only its parts move, then the case settles
    (it concludes once every part has ended)."""
    case = hearing.complaint
    outcomes = {result.outcome for _part, result in results}
    justification_due = (
        deadline_after(now, settings.DEADLINES["ABSENCE_JUSTIFICATION"]) if Outcome.COMPANY_ABSENT in outcomes else None
    )
    for part, result in results:
        part.complaint = case
        reason = "\n".join(text for text in (result.terms, result.notes) if text)
        if result.outcome == Outcome.COMPANY_ABSENT:
            part_move(
                part, PartStatus.ABSENT, by=by, reason=reason, settle_case=False, justification_due_at=justification_due
            )
        else:
            part_move(part, PART_STATUS_FOR[result.outcome], by=by, reason=reason, settle_case=False)
        if result.outcome == Outcome.NO_AGREEMENT:
            part_move(
                part,
                PartStatus.REFERRED,
                by=None,
                reason=record_text(
                    gettext_noop(
                        "No agreement was reached with this company at the hearing: its part is referred to the "
                        "legal department, which may open sanction proceedings."
                    )
                ),
                settle_case=False,
            )
    # What this hearing ended in (its record), and the case's move, which an agreement reached
    # before the hearing also makes an agreement.
    if Outcome.AGREEMENT in outcomes:
        outcome = Outcome.AGREEMENT
    elif Outcome.COMPANY_ABSENT in outcomes:
        outcome = Outcome.COMPANY_ABSENT
    else:
        outcome = Outcome.NO_AGREEMENT
    case_outcome = Outcome.AGREEMENT if agreed_before else outcome
    if move_case:
        # The case's own deadline stays empty: each absent company has its own (on its part).
        case = complaint_transition(
            complaint=case,
            transition=OUTCOME_TRANSITIONS[case_outcome],
            by=by,
            reason=_outcome_reason(outcome, notes=notes, terms=_all_terms(results)),
        ).case
    settled = settle(case, by=by)
    return outcome, settled.case if settled is not None else case, justification_due


def _check_company_outcome(hearing: Hearing, part: CaseCompany, result: CompanyOutcome, now: datetime) -> None:
    if result.outcome not in COMPANY_OUTCOMES:
        raise HearingError(_("Choose how the hearing ended for %(company)s.") % {"company": part.display_name})
    if result.outcome == Outcome.AGREEMENT:
        try:
            _check_outcome_details(
                Outcome.AGREEMENT,
                notes="",
                terms=result.terms,
                amount=result.amount,
                compliance_due=result.compliance_due,
                adjourn_to=None,
            )
        except HearingError as error:
            raise HearingError(f"{part.display_name}: {error}") from error
    if result.outcome == Outcome.COMPANY_ABSENT:
        ends = tolerance_ends_at(hearing)
        if now < ends:
            raise HearingError(
                _(
                    "The %(minutes)s-minute tolerance runs until %(time)s: "
                    "an absence can be recorded only once it has run out."
                )
                % {"minutes": tolerance_minutes(), "time": timezone.localtime(ends).strftime("%H:%M")}
            )
        joined = (
            hearing.attendance.filter(party=Party.COMPANY, part=part, kind=Attendance.Kind.JOINED)
            .exclude(source=Attendance.Source.CLIENT)
            .exists()
        )
        if joined:
            raise HearingError(
                _(
                    "The attendance record shows that %(company)s joined the hearing. "
                    "If that is wrong, correct the attendance first."
                )
                % {"company": part.display_name}
            )


def _all_terms(results: list[tuple[CaseCompany, CompanyOutcome]]) -> str:
    return "\n".join(f"{part.display_name}: {result.terms}" for part, result in results if result.terms)


def _each_company_label(results: list[tuple[CaseCompany, CompanyOutcome]]) -> str:
    """ "Company A: agreement; Company B: company absent", in each recipient's language."""
    pairs = [(part.display_name, result.outcome) for part, result in results]

    def render() -> str:
        return "; ".join(f"{name}: {str(Outcome(outcome).label).lower()}" for name, outcome in pairs)

    return lazy(render, str)()


def _close_hearing(hearing: Hearing, by: User, now: datetime, outcome: str, notes: str) -> None:
    hearing.status = Hearing.Status.HELD
    hearing.outcome, hearing.outcome_notes = outcome, notes
    hearing.outcome_recorded_at, hearing.outcome_recorded_by = now, by
    hearing.save(
        update_fields=["status", "outcome", "outcome_notes", "outcome_recorded_at", "outcome_recorded_by", "updated_at"]
    )
