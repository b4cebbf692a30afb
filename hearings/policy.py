"""May this person do this to this hearing (or case), now? One predicate per action, asked by the
service under its row lock, by the view, and by the case page's panel — never decided twice.

Each action is one function that says why not (a `Refusal`, or None when allowed), turned into a
`rules` predicate `may_<action>(user, obj)` and registered in `HEARING_RULES`:

    if not may_confirm_acta(user, hearing): ...           # a yes/no (templates, selectors)
    refusal = why_not(CONFIRM_ACTA, user, hearing)         # what the person reads
    ensure(CONFIRM_ACTA, user, hearing)                    # services: raise HearingError

A refusal is `forbidden` when it is about who the person is (the view answers 403) and not when it
is about the moment (the view shows it as a message). Strangers never get here: the views load the
case or hearing through its scoping function first (a 404).

The rules read only the objects they are given, and their relations through `.all()`: the panel
prefetches them once for all the case's hearings (hearings/selectors.py), a service reads them
fresh under its lock.
"""

from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from complaints import policy as complaints_policy
from complaints.models import CaseCompany, Complaint, Offer, OfferStatus, PartStatus
from complaints.representation import parts_bound_by, parts_represented_by, speaks_for_consumer
from complaints.states import OFFICE_ROLES, State
from parties.models import Role, User
from parties.policy import Policy, Refusal, not_now, not_you

from .errors import HearingError
from .models import AbsenceJustification, Acta, Agreement, Attendance, ComplianceProof, Hearing, PartOutcome
from .scheduling import hearing_setting

Party = Attendance.Party
Decision = AbsenceJustification.Decision
Outcome = Hearing.Outcome

# Who was absent, for the outcomes that record an absence (the outcome code is also the case state).
ABSENT_PARTY: dict[str, str] = {Outcome.COMPANY_ABSENT: Party.COMPANY, Outcome.CONSUMER_ABSENT: Party.CONSUMER}
# Where the office schedules (again): served and waiting, after a cuarto intermedio without a date,
# after the company's absence was excused (a reactivated consumer's case is "company notified").
SCHEDULABLE_STATES = (State.COMPANY_NOTIFIED, State.ADJOURNED, State.COMPANY_ABSENT)
# A case of several companies that were not all heard: one agreed (at the hearing or by accepting its
# offer) while another, whose absence was excused, awaits its new hearing. The case keeps its state
# (the agreement goes on to approval and follow-up); that hearing is about the companies still
# served only — "a hearing for the remaining companies" — and its outcome moves their parts alone.
# (Not after homologation: the agreements of a case are homologated together once every company has
# been heard, see `companies_not_yet_heard`.)
PART_HEARING_STATES = frozenset({State.AGREEMENT})
# The case states in which a scheduled hearing is live: reminded, held, moved, its outcome recorded.
LIVE_HEARING_CASE_STATES = frozenset({State.HEARING_SCHEDULED, *PART_HEARING_STATES})


def is_part_hearing(hearing: Hearing) -> bool:
    """A hearing for the remaining companies of a case that already has an agreement (no query)."""
    return hearing.complaint.status in PART_HEARING_STATES


def companies_not_yet_heard(case: Complaint) -> list[str]:
    """The companies of a case with an agreement that still await a hearing (an excused absence) or
    the end of their window to justify one: the case's agreements wait for them, to be homologated
    together in one disposición."""
    return [
        part.display_name
        for part in CaseCompany.objects.filter(
            complaint_id=case.pk, status__in=(PartStatus.SERVED, PartStatus.ABSENT)
        ).select_related("company")
    ]


def awaits_part_hearing(case: Complaint) -> bool:
    """A company of this case, its absence excused, still awaits the hearing the others had."""
    return (
        case.status in PART_HEARING_STATES
        and CaseCompany.objects.filter(complaint_id=case.pk, status=PartStatus.SERVED).exists()
    )


# The actions.
SCHEDULE_HEARING = "schedule_hearing"
RESCHEDULE_HEARING = "reschedule_hearing"
CANCEL_HEARING = "cancel_hearing"
ADJOURN_HEARING = "adjourn_hearing"
OPEN_CONSOLE = "open_console"
RECORD_OUTCOME = "record_outcome"
ENTER_ROOM = "enter_room"
MANAGE_ROOM = "manage_room"
READ_ACTA = "read_acta"
CONFIRM_ACTA = "confirm_acta"
APPROVE_AGREEMENT = "approve_agreement"
JUSTIFY_ABSENCE = "justify_absence"
DECIDE_JUSTIFICATION = "decide_justification"
READ_JUSTIFICATION_FILE = "read_justification_file"
ANSWER_COMPLIANCE = "answer_compliance"
UPLOAD_COMPLIANCE_PROOF = "upload_compliance_proof"
READ_COMPLIANCE_PROOF = "read_compliance_proof"
REFER_CASE = "refer_case"


POLICY = Policy(HearingError)
HEARING_RULES = POLICY.rules
_action = POLICY.action
why_not = POLICY.why_not
allowed = POLICY.allowed
ensure = POLICY.ensure
_not_you, _not_now = not_you, not_now
_CHECKS = POLICY._checks


# --- What the rules read ------------------------------------------------------------------------------

# Whether the person represents a company of the case, asked once while a page (the case page, its
# hearings panel) or the API asks the rules about one case: complaints/policy.py keeps it, for both.
company_side_known = complaints_policy.company_side_known
represents_case = complaints_policy.represents_case


def is_office(user: User | None) -> bool:
    return user is not None and user.role in OFFICE_ROLES


def reads_as_office(user: User | None) -> bool:
    """The office, and the director who homologates: reads what the office reads (actas, proofs),
    without the office's moves."""
    return is_office(user) or (user is not None and user.role == Role.DIRECTOR)


def side_of(user: User, hearing: Hearing) -> str | None:
    """Which side of this hearing the user is on (conciliator, consumer, company), or None."""
    if user.pk == hearing.conciliator_id:
        return Party.CONCILIATOR
    if user.pk == hearing.complaint.consumer_id:
        return Party.CONSUMER
    if represents_case(user, hearing.complaint):
        return Party.COMPANY
    return None


def is_party_or_office(user: User, hearing: Hearing) -> bool:
    """Who reads a hearing's record (acta, invitation): its parties, its conciliator and the office."""
    return is_office(user) or side_of(user, hearing) is not None


def latest_hearing(case: Complaint) -> Hearing | None:
    """The case's latest hearing not called off: the one whose outcome the case is in."""
    live = [h for h in case.hearings.all() if h.status != Hearing.Status.CANCELLED]
    return max(live, key=lambda h: (h.starts_at, h.pk), default=None)


def acta_of(hearing: Hearing) -> Acta | None:
    try:
        return hearing.acta
    except Acta.DoesNotExist:
        return None


def agreements_of(case: Complaint) -> list[Agreement]:
    """The case's agreements, first reached first: one per agreeing company (one for a case of one
    company, or one from the accepted offer)."""
    return sorted(case.agreements.all(), key=lambda a: a.pk)


def agreement_of(case: Complaint) -> Agreement | None:
    """The case's (first) agreement: the only one in a case of one company."""
    agreements = agreements_of(case)
    return agreements[0] if agreements else None


def part_outcomes_of(hearing: Hearing) -> list[PartOutcome]:
    """How the hearing ended for each company (rows only for a case of several companies)."""
    return sorted(hearing.part_outcomes.all(), key=lambda o: o.pk)  # written in the parts' order


def is_mixed(hearing: Hearing) -> bool:
    """A hearing of several companies that did not end the same way for all of them: each absent
    company then justifies (and is referred) on its own."""
    return len({o.outcome for o in hearing.part_outcomes.all()}) > 1


def consumer_side(user: User, case: Complaint) -> bool:
    """The consumer in person or their representative with a validated power."""
    if user.pk == case.consumer_id:
        return True
    if is_office(user) or user.role == Role.CONCILIATOR:
        return False
    return speaks_for_consumer(user, case)


def acta_side(user: User, hearing: Hearing) -> str | None:
    """Which side of the acta the user reads and confirms for: as in the room, and the consumer's
    validated representative for the consumer."""
    side = side_of(user, hearing)
    if side is None and consumer_side(user, hearing.complaint):
        return Party.CONSUMER
    return side


def accepted_offer(case: Complaint) -> Offer | None:
    accepted = [offer for offer in case.offers.all() if offer.status == OfferStatus.ACCEPTED]
    return max(accepted, key=lambda o: (o.answered_at is not None, o.answered_at, o.pk), default=None)


def acta_missing_confirmations(acta: Acta | None, hearing: Hearing | None = None) -> list[str]:
    """The sides (consumer, company) that have not confirmed this exact acta yet. For a hearing of
    several companies: the consumer, and by name each company that agreed (each binds itself)."""
    outcomes = part_outcomes_of(hearing) if hearing is not None else []
    if outcomes:
        agreeing = [o.part for o in outcomes if o.outcome == Outcome.AGREEMENT]
        if acta is None or not acta.is_ready:
            return [Party.CONSUMER, *(part.display_name for part in agreeing)]
        mine = [c for c in acta.confirmations.all() if c.sha256 == acta.sha256]
        consumer_done = any(c.party == Party.CONSUMER for c in mine)
        parts_done = {c.part_id for c in mine if c.party == Party.COMPANY}
        return [
            *([] if consumer_done else [Party.CONSUMER]),
            *(part.display_name for part in agreeing if part.pk not in parts_done),
        ]
    if acta is None or not acta.is_ready:
        return [Party.CONSUMER, Party.COMPANY]
    confirmed = {c.party for c in acta.confirmations.all() if c.sha256 == acta.sha256}
    return [party for party in (Party.CONSUMER, Party.COMPANY) if party not in confirmed]


def approval_blocked_by(case: Complaint) -> list[str]:
    """For agreements reached at a hearing: the sides still to confirm its acta (the consumer and,
    in a case of several companies, every company that agreed)."""
    missing: list[str] = []
    for hearing_id in dict.fromkeys(a.hearing_id for a in agreements_of(case) if a.hearing_id is not None):
        hearing = next((h for h in case.hearings.all() if h.pk == hearing_id), None)
        for side in acta_missing_confirmations(acta_of(hearing) if hearing else None, hearing):
            if side not in missing:
                missing.append(side)
    return missing


def _side_label(side: str) -> str:
    """A side for a sentence: "consumer", "company", or a company's name."""
    return str(Party(side).label).lower() if side in Party.values else side


def _when(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _state(case: Complaint) -> str:
    return str(case.get_status_display())


# --- Scheduling ------------------------------------------------------------------------------------


@_action(SCHEDULE_HEARING)
def _schedule_hearing(user: User, case: Complaint) -> Refusal | None:
    if not is_office(user):
        return _not_you(_("Only the office can schedule a hearing."))
    if case.status == State.HEARING_SCHEDULED:
        return _not_now(_("A hearing is already scheduled for case %(number)s.") % {"number": case})
    if case.status in PART_HEARING_STATES and awaits_part_hearing(case):
        if Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.SCHEDULED).exists():
            return _not_now(_("A hearing is already scheduled for case %(number)s.") % {"number": case})
        return None
    if case.status not in SCHEDULABLE_STATES:
        return _not_now(
            _("Case %(number)s is “%(state)s”: a hearing cannot be scheduled now.")
            % {"number": case, "state": _state(case)}
        )
    if case.status == State.COMPANY_ABSENT:
        # The excuse must be for the absence the case is in now: that of its latest hearing.
        last = latest_hearing(case)
        excused = last is not None and any(
            j.party == Party.COMPANY and j.decision == Decision.ACCEPTED for j in last.justifications.all()
        )
        if not excused:
            return _not_now(_("The company's absence has not been excused: the case cannot have a new hearing."))
    return None


def _office_and_scheduled(user: User, hearing: Hearing, refused: str) -> Refusal | None:
    if not is_office(user):
        return _not_you(_("Only the office can move or cancel a hearing."))
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(refused % {"status": hearing.get_status_display()})
    return None


@_action(RESCHEDULE_HEARING)
def _reschedule_hearing(user: User, hearing: Hearing) -> Refusal | None:
    refusal = _office_and_scheduled(user, hearing, _("This hearing is “%(status)s”, so it can no longer be moved."))
    if refusal is not None:
        return refusal
    case = hearing.complaint
    if case.status not in LIVE_HEARING_CASE_STATES:
        return _not_now(
            _("This hearing is “%(status)s” and the case “%(state)s”, so the hearing can no longer be moved.")
            % {"status": hearing.get_status_display(), "state": _state(case)}
        )
    if hearing.reschedule_count >= hearing_setting("MAX_RESCHEDULES"):
        return _not_now(
            _(
                "This hearing was already moved %(count)s times, the most allowed. "
                "If it cannot be held, cancel it and schedule a new one."
            )
            % {"count": hearing.reschedule_count}
        )
    return None


@_action(CANCEL_HEARING)
def _cancel_hearing(user: User, hearing: Hearing) -> Refusal | None:
    return _office_and_scheduled(user, hearing, _("This hearing is “%(status)s”, so it can no longer be cancelled."))


# --- The hearing itself: room, console, outcome ------------------------------------------------------


@_action(ENTER_ROOM)
def _enter_room(user: User, hearing: Hearing) -> Refusal | None:
    """The video room: the parties and the conciliator of a hearing still to be held. The consumer
    enters in person or through their validated representative; a company's representative only once
    one of the companies they represent in the case has been served (guests: hearings/services/guests.py)."""
    side = acta_side(user, hearing)
    if side is None:
        return _not_you(_("Only the parties to the hearing and its conciliator enter its room."))
    if side == Party.COMPANY and not served_parts_of(user, hearing.complaint):
        return _not_now(_("None of the companies you represent has been served in this case yet."))
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(
            _("This hearing is “%(status)s”: its room is closed.") % {"status": hearing.get_status_display()}
        )
    return None


def served_parts_of(user: User, case: Complaint) -> list[CaseCompany]:
    """The case's companies this user represents that have been served (notified), lead first."""
    return list(parts_represented_by(user, case).filter(notified_at__isnull=False))


INVITE_GUEST = "invite_guest"


@_action(INVITE_GUEST)
def _invite_guest(user: User, hearing: Hearing) -> Refusal | None:
    """A companion or an interpreter is invited (and uninvited) by the office or the hearing's
    conciliator, while the hearing is still to be held."""
    if user.pk != hearing.conciliator_id and not is_office(user):
        return _not_you(_("Only the office or the hearing's conciliator invite guests to it."))
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(
            _("This hearing is “%(status)s”: nobody can be invited to it.") % {"status": hearing.get_status_display()}
        )
    return None


@_action(MANAGE_ROOM)
def _manage_room(user: User, hearing: Hearing) -> Refusal | None:
    """The room's housekeeping (correct the attendance, register a recording, see who agreed to be
    recorded): the hearing's own conciliator or the office."""
    if user.pk != hearing.conciliator_id and not is_office(user):
        return _not_you(_("Only the hearing's conciliator or the office manage its room."))
    return None


def _holder_or_office(user: User, hearing: Hearing) -> Refusal | None:
    if user.pk != hearing.conciliator_id and not is_office(user):
        return _not_you(_("Only the conciliator of this hearing or the office can record its outcome."))
    return None


@_action(OPEN_CONSOLE)
def _open_console(user: User, hearing: Hearing) -> Refusal | None:
    """The conciliator holding the hearing runs it (and reads it back afterwards); the office may
    look on and record it while it is still to be held."""
    if user.pk == hearing.conciliator_id:
        return None
    refusal = _holder_or_office(user, hearing)
    if refusal is not None:
        return refusal
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(
            _("This hearing is “%(status)s”: its record is on the case page.")
            % {"status": hearing.get_status_display()}
        )
    return None


@_action(RECORD_OUTCOME)
def _record_outcome(user: User, hearing: Hearing) -> Refusal | None:
    refusal = _holder_or_office(user, hearing)
    if refusal is not None:
        return refusal
    if hearing.status == Hearing.Status.CANCELLED:
        return _not_now(_("This hearing was cancelled: it has no outcome to record."))
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(
            _("The outcome of this hearing was already recorded: %(outcome)s.")
            % {"outcome": hearing.get_outcome_display()}
        )
    if hearing.complaint.status not in LIVE_HEARING_CASE_STATES:
        return _not_now(
            _("This case is “%(state)s”: the hearing has no outcome to record.") % {"state": _state(hearing.complaint)}
        )
    if timezone.now() < hearing.starts_at:
        return _not_now(
            _("The hearing has not started yet: its outcome can be recorded from %(start)s.")
            % {"start": _when(hearing.starts_at)}
        )
    return None


@_action(ADJOURN_HEARING)
def _adjourn_hearing(user: User, hearing: Hearing) -> Refusal | None:
    """Cuarto intermedio: whoever may record the outcome, before or during the hearing."""
    if user.pk != hearing.conciliator_id and not is_office(user):
        return _not_you(_("Only the conciliator holding this hearing can adjourn it."))
    case = hearing.complaint
    last = latest_hearing(case)
    if (
        hearing.status != Hearing.Status.SCHEDULED
        or case.status not in LIVE_HEARING_CASE_STATES
        or last is None
        or last.pk != hearing.pk
    ):
        return _not_now(
            _("This hearing is “%(status)s”, so it can no longer be adjourned.")
            % {"status": hearing.get_status_display()}
        )
    if is_part_hearing(hearing):
        # The case already has an agreement and stays where it is: move this hearing instead.
        return _not_now(_("This hearing is for the remaining companies only: to continue it later, reschedule it."))
    return None


# --- The acta ---------------------------------------------------------------------------------------


@_action(READ_ACTA)
def _read_acta(user: User, hearing: Hearing) -> Refusal | None:
    if not reads_as_office(user) and acta_side(user, hearing) is None:
        return _not_you(_("Only the parties to the hearing, its conciliator and the office read its acta."))
    acta = acta_of(hearing)
    if acta is None or not acta.is_ready:
        return _not_now(_("The acta is not ready yet. You will be told when it is."))
    return None


@_action(CONFIRM_ACTA)
def _confirm_acta(user: User, hearing: Hearing) -> Refusal | None:
    side = acta_side(user, hearing)
    if side is None:
        return _not_you(_("Only the parties to the hearing and its conciliator can confirm its acta."))
    acta = acta_of(hearing)
    if acta is None or not acta.is_ready:
        return _not_now(_("The acta is not ready yet. You will be told when it is."))
    previous = next((c for c in acta.confirmations.all() if c.user_id == user.pk), None)
    if side != Party.COMPANY:
        if previous is not None:
            return _not_now(_("You already confirmed this acta on %(date)s.") % {"date": _when(previous.confirmed_at)})
        return None
    # A company binds itself only through a validated power, in every case.
    bound = list(parts_bound_by(user, hearing.complaint))
    if not bound:
        return _not_now(
            _(
                "Your power to act for the company has not been validated yet: the office must validate "
                "it before you can confirm the acta in the company's name."
            )
        )
    if not acta_parts_to_confirm(user, hearing, acta, bound):
        if previous is not None:
            return _not_now(_("You already confirmed this acta on %(date)s.") % {"date": _when(previous.confirmed_at)})
        return _not_now(_("Every company you can bind has already confirmed this acta."))
    return None


def acta_parts_to_confirm(
    user: User, hearing: Hearing, acta: Acta, bound: list[CaseCompany] | None = None
) -> list[CaseCompany]:
    """The companies a representative still confirms the acta for: those they bind (a validated
    power) that agreed at the hearing — every one they bind when none of them agreed, or in a case of
    one company — less those already confirmed (by them, or by anyone for this exact document)."""
    if bound is None:
        bound = list(parts_bound_by(user, hearing.complaint))
    agreeing = {o.part_id for o in part_outcomes_of(hearing) if o.outcome == Outcome.AGREEMENT}
    targets = [part for part in bound if part.pk in agreeing] or bound
    done = {
        c.part_id
        for c in acta.confirmations.all()
        if c.party == Party.COMPANY and (c.user_id == user.pk or c.sha256 == acta.sha256)
    }
    return [part for part in targets if part.pk not in done]


# --- Approval (homologación) ------------------------------------------------------------------------


@_action(APPROVE_AGREEMENT)
def _approve_agreement(user: User, case: Complaint) -> Refusal | None:
    # Homologation is the authority's act (a signed disposición): the director, or an officer or
    # supervisor the director delegated it to (User.may_homologate, hearings/services/disposition.py).
    if not (user.role == Role.DIRECTOR or (is_office(user) and user.may_homologate)):
        return _not_you(_("Only the director or a delegate of the director can homologate an agreement."))
    if case.status != State.AGREEMENT:
        return _not_now(
            _("Only an agreement awaiting approval can be approved; this case is “%(state)s”.")
            % {"state": _state(case)}
        )
    waiting = companies_not_yet_heard(case)
    if waiting:
        return _not_now(
            _(
                "The agreements of this case are homologated together once every company has been heard; "
                "still to be heard: %(companies)s."
            )
            % {"companies": ", ".join(waiting)}
        )
    agreement = agreement_of(case)
    if agreement is None:
        if accepted_offer(case) is None:
            return _not_now(_("This case has no accepted offer or hearing agreement to approve."))
        return None
    missing = approval_blocked_by(case)
    if missing:
        return _not_now(
            _("Both parties must confirm the acta before the agreement is approved. Still to confirm: %(missing)s.")
            % {"missing": ", ".join(_side_label(side) for side in missing)}
        )
    return None


# --- Absences ---------------------------------------------------------------------------------------


@_action(JUSTIFY_ABSENCE)
def _justify_absence(user: User, hearing: Hearing) -> Refusal | None:
    if is_mixed(hearing):
        return _justify_part_absence(user, hearing)
    absent = ABSENT_PARTY.get(hearing.outcome)
    if absent is None:
        return _not_you(_("Nobody was recorded absent from this hearing."))
    if acta_side(user, hearing) != absent:
        return _not_you(_("Only the party recorded absent can justify the absence."))
    earlier = [j for j in hearing.justifications.all() if j.party == absent and j.decision != Decision.REJECTED]
    if any(j.decision == Decision.ACCEPTED for j in earlier):
        return _not_now(_("The justification of this absence was already accepted."))
    if earlier:
        return _not_now(_("Your justification is awaiting the office's decision."))
    case = hearing.complaint
    last = latest_hearing(case)
    if case.status != hearing.outcome or last is None or last.pk != hearing.pk:
        return _not_now(
            _("This case has moved on (“%(state)s”): the absence can no longer be justified.") % {"state": _state(case)}
        )
    if case.justification_due_at is None or timezone.now() > case.justification_due_at:
        return _not_now(
            _("The deadline to justify the absence passed on %(date)s.")
            % {"date": _when(case.justification_due_at or hearing.starts_at)}
        )
    return None


def absent_parts_of(user: User, hearing: Hearing) -> list[CaseCompany]:
    """In a hearing that ended differently for each company: the companies recorded absent that
    the user represents."""
    mine = set(parts_represented_by(user, hearing.complaint).values_list("pk", flat=True))
    return [o.part for o in part_outcomes_of(hearing) if o.outcome == Outcome.COMPANY_ABSENT and o.part_id in mine]


def part_to_justify(user: User, hearing: Hearing) -> CaseCompany | None:
    """The absent company the user may justify now (the first, if they represent several)."""
    return next(
        (part for part in absent_parts_of(user, hearing) if _part_justification_refusal(part, hearing) is None), None
    )


def _part_justification_refusal(part: CaseCompany, hearing: Hearing) -> Refusal | None:
    earlier = [j for j in hearing.justifications.all() if j.part_id == part.pk and j.decision != Decision.REJECTED]
    if any(j.decision == Decision.ACCEPTED for j in earlier):
        return _not_now(_("The justification of this absence was already accepted."))
    if earlier:
        return _not_now(_("Your justification is awaiting the office's decision."))
    if part.status != PartStatus.ABSENT:
        return _not_now(
            _("The part of %(company)s has moved on (“%(status)s”): the absence can no longer be justified.")
            % {"company": part.display_name, "status": part.get_status_display()}
        )
    if part.justification_due_at is None or timezone.now() > part.justification_due_at:
        return _not_now(
            _("The deadline to justify the absence passed on %(date)s.")
            % {"date": _when(part.justification_due_at or hearing.starts_at)}
        )
    return None


def _justify_part_absence(user: User, hearing: Hearing) -> Refusal | None:
    if not any(o.outcome == Outcome.COMPANY_ABSENT for o in part_outcomes_of(hearing)):
        return _not_you(_("Nobody was recorded absent from this hearing."))
    parts = absent_parts_of(user, hearing)
    if not parts:
        return _not_you(_("Only a representative of a company recorded absent can justify its absence."))
    refusals = [_part_justification_refusal(part, hearing) for part in parts]
    if all(refusal is not None for refusal in refusals):
        return refusals[0]
    return None


@_action(DECIDE_JUSTIFICATION)
def _decide_justification(user: User, justification: AbsenceJustification) -> Refusal | None:
    if not is_office(user):
        return _not_you(_("Only the office decides on a justification."))
    if justification.decision != Decision.PENDING:
        return _not_now(_("This justification was already decided."))
    if justification.part_id is not None:
        part = justification.part
        assert part is not None
        if part.status != PartStatus.ABSENT:
            return _not_now(
                _("The part of %(company)s has moved on (“%(status)s”): the justification can no longer be decided.")
                % {"company": part.display_name, "status": part.get_status_display()}
            )
        return None
    case = justification.hearing.complaint
    if case.status != justification.hearing.outcome:
        return _not_now(
            _("This case has moved on (“%(state)s”): the justification can no longer be decided.")
            % {"state": _state(case)}
        )
    return None


@_action(READ_JUSTIFICATION_FILE)
def _read_justification_file(user: User, justification: AbsenceJustification) -> Refusal | None:
    """The supporting document: for the office, the conciliator and the side that filed it."""
    if not (is_office(user) or acta_side(user, justification.hearing) in (justification.party, Party.CONCILIATOR)):
        return _not_you(_("Only the office, the conciliator and the side that filed it read this document."))
    if not justification.file:
        return _not_now(_("This justification has no supporting document."))
    return None


# --- The agreement's follow-up -----------------------------------------------------------------------


@_action(ANSWER_COMPLIANCE)
def _answer_compliance(user: User, case: Complaint) -> Refusal | None:
    if not is_office(user) and not consumer_side(user, case):
        return _not_you(_("Only the consumer or the office can say whether the agreement was honoured."))
    if case.status != State.AGREEMENT_APPROVED:
        return _not_now(
            _("Compliance is followed once the office approves the agreement; this case is “%(state)s”.")
            % {"state": _state(case)}
        )
    return None


@_action(UPLOAD_COMPLIANCE_PROOF)
def _upload_compliance_proof(user: User, obj: Complaint | CaseCompany) -> Refusal | None:
    """Asked of a case: for the companies the person represents in it (the page); of a part: for that
    company alone (the API, whose key acts for one company). Each company proves its own agreement."""
    part, case = (obj, obj.complaint) if isinstance(obj, CaseCompany) else (None, obj)
    if not represents_case(user, case):
        return _not_you(_("Only a representative of the company can upload proof of compliance."))
    if agreement_of(case) is None or case.status not in (State.AGREEMENT, State.AGREEMENT_APPROVED):
        return _not_now(_("Proof of compliance can be uploaded while an agreement is being followed."))
    mine = list(parts_represented_by(user, case))
    if part is not None:
        if part.pk not in {p.pk for p in mine}:
            return _not_you(_("Only a representative of the company can upload proof of compliance."))
        mine = [part]
    if compliance_agreement_for(case, mine) is None:
        return _not_now(_("Your company has no agreement to prove in this case."))
    return None


def agreement_is_of(agreement: Agreement, part: CaseCompany) -> bool:
    """An agreement recorded before cases named several companies has no part: it is the lead
    company's (the only one such a case has)."""
    return agreement.part_id == part.pk or (agreement.part_id is None and part.position == 1)


def compliance_agreement_for(case: Complaint, parts: list[CaseCompany]) -> Agreement | None:
    """The agreement whose compliance the company of one of `parts` proves (the first of them that
    has one): never another company's."""
    agreements = agreements_of(case)
    return next((a for part in parts for a in agreements if agreement_is_of(a, part)), None)


@_action(READ_COMPLIANCE_PROOF)
def _read_compliance_proof(user: User, proof: ComplianceProof) -> Refusal | None:
    """Everyone the case file is open to (the consumer, the company, the office, its conciliators)."""
    case = proof.agreement.complaint
    if not (
        reads_as_office(user)
        or user.pk == case.consumer_id
        or represents_case(user, case)
        or any(h.conciliator_id == user.pk and h.status != Hearing.Status.CANCELLED for h in case.hearings.all())
    ):
        return _not_you(_("Only the parties to the case and the office read its proof of compliance."))
    return None


# --- Referral ---------------------------------------------------------------------------------------


@_action(REFER_CASE)
def _refer_case(user: User, case: Complaint) -> Refusal | None:
    """From every state the `refer` transition leaves: after a hearing without agreement; after the
    company's absence once its right to justify it has run out (DOMAIN.md) — the beat job refers
    those by itself, the office may be quicker; an admitted case whose company never set up its
    electronic domicile, so it cannot be served."""
    if not is_office(user):
        return _not_you(_("Only the office can refer a case to the legal department."))
    waiting = [
        p
        for p in case.parts.all()
        if p.status == PartStatus.ABSENT
        and p.justification_due_at is not None
        and timezone.now() <= p.justification_due_at
    ]
    if waiting and case.justification_due_at is None:
        # A company absent on its own (a hearing that ended differently for each company).
        return _not_now(
            _("%(company)s may still justify its absence until %(date)s; refer the case after that.")
            % {"company": waiting[0].display_name, "date": _when(waiting[0].justification_due_at)}
        )
    if case.status == State.COMPANY_ABSENT:
        last = latest_hearing(case)
        justifications = list(last.justifications.all()) if last else []
        if any(j.party == Party.COMPANY and j.decision == Decision.PENDING for j in justifications):
            return _not_now(_("The company justified its absence: decide on the justification first."))
        if any(j.party == Party.COMPANY and j.decision == Decision.ACCEPTED for j in justifications):
            return _not_now(_("The company's absence was excused: schedule the new hearing."))
        if case.justification_due_at is not None and timezone.now() <= case.justification_due_at:
            return _not_now(
                _("The company may still justify its absence until %(date)s; refer the case after that.")
                % {"date": _when(case.justification_due_at)}
            )
        return None
    # The others the `refer` transition leaves from (docs/workflow.md): no agreement, a breached
    # agreement, and a case admitted whose company never set up its electronic domicile.
    if not can_proceed(case.refer):
        return _not_now(
            _("Case %(number)s is “%(state)s”: it cannot be referred to the legal department.")
            % {"number": case, "state": _state(case)}
        )
    return None


may_schedule_hearing = HEARING_RULES[SCHEDULE_HEARING]
may_reschedule_hearing = HEARING_RULES[RESCHEDULE_HEARING]
may_cancel_hearing = HEARING_RULES[CANCEL_HEARING]
may_adjourn_hearing = HEARING_RULES[ADJOURN_HEARING]
may_enter_room = HEARING_RULES[ENTER_ROOM]
may_manage_room = HEARING_RULES[MANAGE_ROOM]
may_invite_guest = HEARING_RULES[INVITE_GUEST]
may_open_console = HEARING_RULES[OPEN_CONSOLE]
may_record_outcome = HEARING_RULES[RECORD_OUTCOME]
may_read_acta = HEARING_RULES[READ_ACTA]
may_confirm_acta = HEARING_RULES[CONFIRM_ACTA]
may_approve_agreement = HEARING_RULES[APPROVE_AGREEMENT]
may_justify_absence = HEARING_RULES[JUSTIFY_ABSENCE]
may_decide_justification = HEARING_RULES[DECIDE_JUSTIFICATION]
may_read_justification_file = HEARING_RULES[READ_JUSTIFICATION_FILE]
may_answer_compliance = HEARING_RULES[ANSWER_COMPLIANCE]
may_upload_compliance_proof = HEARING_RULES[UPLOAD_COMPLIANCE_PROOF]
may_read_compliance_proof = HEARING_RULES[READ_COMPLIANCE_PROOF]
may_refer_case = HEARING_RULES[REFER_CASE]


# --- Conciliators are people: leave over booked hearings, and the reassignment (hearings/services/reassign.py) ---

REASSIGN_HEARING = "reassign_hearing"
ENTER_LEAVE = "enter_leave"


@_action(REASSIGN_HEARING)
def _reassign_hearing(user: User, hearing: Hearing) -> Refusal | None:
    """Another conciliator, same time: the office, for a hearing still to be held that has not begun."""
    if not is_office(user):
        return _not_you(_("Only the office can give a hearing to another conciliator."))
    if hearing.status != Hearing.Status.SCHEDULED:
        return _not_now(
            _("This hearing is “%(status)s”, so it can no longer be given to another conciliator.")
            % {"status": hearing.get_status_display()}
        )
    if hearing.starts_at <= timezone.now():
        return _not_now(_("This hearing has already begun: it can no longer be given to another conciliator."))
    return None


@_action(ENTER_LEAVE)
def _enter_leave(user: User, profile: object) -> Refusal | None:
    """A day off or a leave in a conciliator's calendar: the supervisor, who manages the calendars."""
    if user.role != Role.SUPERVISOR:
        return _not_you(_("Only a supervisor enters a conciliator's days off and leave."))
    return None


may_reassign_hearing = HEARING_RULES[REASSIGN_HEARING]
may_enter_leave = HEARING_RULES[ENTER_LEAVE]
