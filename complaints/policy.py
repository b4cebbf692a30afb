"""May this person do this to this case (or offer), now? The moves before the hearing — the
company's written answer, its offer, the consumer's answer to it — each decided by one predicate,
asked by the service under its row lock, by the view and by the case page's flags.

The same shape as hearings/policy.py:

    if not may_make_offer(user, case): ...                # a yes/no (the page)
    refusal = why_not(MAKE_OFFER, user, case)             # what the person reads (the view)
    ensure(MAKE_OFFER, user, case)                        # services: raise CaseError

A refusal is `forbidden` when it is about who the person is (the view answers 403) and not when it
is about the moment (the view shows it as a message). Strangers never get here: the views load the
case or offer through `complaints_visible_to` first (a 404).

The rules read only the objects they are given, and their relations through `.all()`: the page
prefetches the case's offers once, a service reads them fresh under its lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db.models import OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from complaints.errors import CaseError
from complaints.models import CaseCompany, Complaint, Offer, OfferStatus, PartStatus
from complaints.representation import parts_represented_by, speaks_for_consumer
from complaints.states import OFFICE_ROLES, State, represents
from parties.models import Company, PowerStatus, Representation, Role, User
from parties.policy import Policy, Refusal, not_now, not_you

# While the case is open for conciliation — served, before or between hearings — the company
# answers in writing and makes offers.
COMPANY_SIDE_STATES = (State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.ADJOURNED)

# The actions.
ANSWER_AS_COMPANY = "answer_as_company"
MAKE_OFFER = "make_offer"
ANSWER_OFFER = "answer_offer"  # accept, or reject (with or without a counter-offer)


POLICY = Policy(CaseError)
COMPLAINT_RULES = POLICY.rules
_action = POLICY.action
why_not = POLICY.why_not
allowed = POLICY.allowed
ensure = POLICY.ensure
_not_you, _not_now = not_you, not_now
_CHECKS = POLICY._checks


# --- Asked once per page: whether the person represents a company of the case ------------------------

_COMPANY_SIDE = "_policy_company_side"


@contextmanager
def company_side_known(user: User, case: Complaint, value: bool) -> Iterator[None]:
    """While a page (or the API) asks the rules about one case, whether `user` represents one of its
    companies is known: asked once, not once by every rule of every panel. Forgotten afterwards (a
    representation may be revoked); an inner block, e.g. the hearings panel within the case page,
    leaves the outer one's answer as it found it. Shared with hearings/policy.py."""
    previous = getattr(user, _COMPANY_SIDE, None)
    setattr(user, _COMPANY_SIDE, (case.pk, value))
    try:
        yield
    finally:
        if previous is None:
            delattr(user, _COMPANY_SIDE)
        else:
            setattr(user, _COMPANY_SIDE, previous)


def represents_case(user: User, case: Complaint) -> bool:
    """`complaints.states.represents`, answered from `company_side_known` when the page knows it."""
    known = getattr(user, _COMPANY_SIDE, None)
    if known is not None and known[0] == case.pk:
        return bool(known[1])
    return represents(user, case)


def pending_offer_of(case: Complaint) -> Offer | None:
    """The first offer awaiting the consumer's answer (at most one per company: a constraint of the
    table); `pending_offers_of` lists them all, `pending_offer_of_part` one company's."""
    return next((offer for offer in case.offers.all() if offer.status == OfferStatus.PENDING), None)


def pending_offers_of(case: Complaint) -> list[Offer]:
    return [offer for offer in case.offers.all() if offer.status == OfferStatus.PENDING]


def offer_is_of(offer: Offer, part: CaseCompany) -> bool:
    """An offer made before cases named several companies has no part: it is the lead company's."""
    return offer.part_id == part.pk or (offer.part_id is None and part.position == 1)


def pending_offer_of_part(case: Complaint, part: CaseCompany) -> Offer | None:
    return next((offer for offer in pending_offers_of(case) if offer_is_of(offer, part)), None)


# --- The power to bind a company ---------------------------------------------------------------------

# A company's part may still answer and offer before its outcome (an agreement, none, an absence).
OFFERING_PART_STATUSES = (PartStatus.NAMED, PartStatus.SERVED)


def power_is_current(representation: Representation) -> bool:
    """This representation's power binds its company today: validated by the office and not expired.
    The rule `power_refusal` explains when it fails; `company_recipient_pairs(binding=True)`
    (complaints/services/assignment.py) reads it of the representations it has loaded anyway.
    (`Representation.objects.binding()` is its SQL form, for queries.)"""
    if representation.power_status != PowerStatus.VALIDATED:
        return False
    until = representation.power_valid_until
    return until is None or until >= timezone.localdate()


def power_refusal(user: User, part: CaseCompany) -> Refusal | None:
    """Why this representative may not bind the company of `part` (make an offer, agree, confirm
    an acta), in words that say how to fix it; None when their power is validated and current.
    Asked by complaints/policy.py and hearings/policy.py alike."""
    representation = (
        Representation.objects.active().filter(user_id=user.pk, company_id=part.company_id).order_by("-pk").first()
        if part.company_id
        else None
    )
    if representation is None:
        return _not_you(_("Only a representative of the company can do this."))
    if power_is_current(representation):
        return None
    company = part.display_name
    if representation.power_status == PowerStatus.VALIDATED:
        until = representation.power_valid_until
        assert until is not None  # validated and not current: it expired
        return _not_now(
            _(
                "Your power to act for %(company)s expired on %(date)s. Upload a current one on the company's "
                "page; once the office validates it you can make offers and sign agreements."
            )
            % {"company": company, "date": until.strftime("%d/%m/%Y")}
        )
    if representation.power_status == PowerStatus.REJECTED:
        return _not_now(
            _(
                "The office rejected your power to act for %(company)s: %(reason)s Upload a new one on the "
                "company's page; once the office validates it you can make offers and sign agreements."
            )
            % {"company": company, "reason": representation.power_rejection_reason or "—"}
        )
    if representation.power_document:
        return _not_now(
            _(
                "Your power to act for %(company)s is awaiting the office's validation. Until then you can read "
                "the case and answer in writing, but not make offers or sign agreements."
            )
            % {"company": company}
        )
    return _not_now(
        _(
            "To make offers or sign agreements for %(company)s, upload your power (poder or statute) on the "
            "company's page. The office validates it; until then you can read the case and answer in writing."
        )
        % {"company": company}
    )


# --- The company ------------------------------------------------------------------------------------


def _company_side_now(user: User, case: Complaint) -> Refusal | None:
    if not represents_case(user, case):
        return _not_you(_("Only a representative of the company can do this."))
    if case.status not in COMPANY_SIDE_STATES:
        return _not_now(_("The company can answer only while the case is open for conciliation."))
    return None


@_action(ANSWER_AS_COMPANY)
def _answer_as_company(user: User, case: Complaint) -> Refusal | None:
    return _company_side_now(user, case)


def _make_offer_for(user: User, part: CaseCompany) -> Refusal | None:
    case = part.complaint
    refusal = _company_side_now(user, case)
    if refusal is not None:
        return refusal
    refusal = power_refusal(user, part)
    if refusal is not None:
        return refusal
    if part.status not in OFFERING_PART_STATUSES:
        return _not_now(
            _("The part of %(company)s in this case is “%(status)s”: it can no longer make offers.")
            % {"company": part.display_name, "status": part.get_status_display()}
        )
    if pending_offer_of_part(case, part) is not None:
        return _not_now(_("There is already an offer awaiting the consumer's answer."))
    return None


@_action(MAKE_OFFER)
def _make_offer(user: User, obj: Complaint | CaseCompany) -> Refusal | None:
    """For one company's part; asked of a case, for any of the parts the person represents (the
    first refusal is the one they read)."""
    if isinstance(obj, CaseCompany):
        return _make_offer_for(user, obj)
    parts = parts_acting_for(user, obj)
    if not parts:
        return _company_side_now(user, obj) or _not_you(_("Only a representative of the company can do this."))
    refusals = [_make_offer_for(user, part) for part in parts]
    if any(refusal is None for refusal in refusals):
        return None
    return refusals[0]


def parts_acting_for(user: User, case: Complaint) -> list[CaseCompany]:
    """The case's companies this person represents, each with the case attached (the rules read it)."""
    if user is None or user.pk is None:
        return []
    parts = list(parts_represented_by(user, case).select_related("company"))
    for part in parts:
        part.complaint = case
    return parts


# --- The consumer -----------------------------------------------------------------------------------


@_action(ANSWER_OFFER)
def _answer_offer(user: User, offer: Offer) -> Refusal | None:
    case = offer.complaint
    if not speaks_for_consumer(user, case):
        return _not_you(_("Only the consumer who filed the complaint, or their representative, can answer the offer."))
    if offer.status == OfferStatus.LAPSED:
        return _not_now(_("This offer lapsed: the case moved on before it was answered."))
    if offer.status != OfferStatus.PENDING:
        return _not_now(_("This offer was already answered."))
    part = offer.part
    if part is not None and part.status not in OFFERING_PART_STATUSES:
        return _not_now(
            _("The part of %(company)s in this case is “%(status)s”: its offer can no longer be answered.")
            % {"company": part.display_name, "status": part.get_status_display()}
        )
    # Accepting ends the case in an agreement: the FSM says from which states that is still possible.
    if not can_proceed(case.accept_offer):
        return _not_now(
            _("This case is “%(state)s”: the offer can no longer be answered.") % {"state": case.get_status_display()}
        )
    return None


may_answer_as_company = COMPLAINT_RULES[ANSWER_AS_COMPANY]
may_make_offer = COMPLAINT_RULES[MAKE_OFFER]
may_answer_offer = COMPLAINT_RULES[ANSWER_OFFER]


# --- The admission queue's allocation (complaints/services/allocation.py) --------------------------

ASSIGN_ADMISSION = "assign_admission"  # the supervisor gives a complaint awaiting review to an officer
TAKE_ADMISSION = "take_admission"  # an officer takes the next unassigned complaint for themselves


@_action(ASSIGN_ADMISSION)
def _assign_admission(user: User, case: Complaint) -> Refusal | None:
    if user.role != Role.SUPERVISOR:
        return _not_you(_("Only a supervisor assigns complaints to officers."))
    if case.status != State.SUBMITTED:
        return _not_now(
            _("Complaint %(number)s is “%(state)s”: only a complaint awaiting review is assigned.")
            % {"number": case, "state": case.get_status_display()}
        )
    return None


@_action(TAKE_ADMISSION)
def _take_admission(user: User, case: Complaint) -> Refusal | None:
    if user.role not in OFFICE_ROLES:
        return _not_you(_("Only the admission office reviews complaints."))
    if case.status != State.SUBMITTED:
        return _not_now(
            _("Complaint %(number)s is “%(state)s”: only a complaint awaiting review is assigned.")
            % {"number": case, "state": case.get_status_display()}
        )
    if case.assigned_officer_id is not None and case.assigned_officer_id != user.pk:
        holder = case.assigned_officer
        # One who can no longer review it (deactivated, or out of the office) holds it no more.
        if holder is not None and holder.is_active and holder.role in OFFICE_ROLES:
            return _not_now(_("Another officer already took complaint %(number)s.") % {"number": case})
    return None


may_assign_admission = COMPLAINT_RULES[ASSIGN_ADMISSION]
may_take_admission = COMPLAINT_RULES[TAKE_ADMISSION]


# --- Duplicates at admission (complaints/duplicates.py flags, complaints/services/duplicates.py
# decides). Asked of the flagged complaint, with `duplicate_of` (the earlier case) loaded; the rules
# read both cases' companies and evidence through `.all()`.

JOIN_DUPLICATE = "join_duplicate"  # close this complaint into the earlier one
REJECT_DUPLICATE = "reject_duplicate"  # reject it as a duplicate, the earlier one as it is
DISMISS_DUPLICATE = "dismiss_duplicate"  # not a duplicate: clear the flag

# The earlier case can take what is joined into it only while nobody has been served with it yet:
# what a company was served with must not change under it.
JOINABLE_STATES = (State.SUBMITTED, State.OBSERVED, State.ADMITTED)


def _duplicate_decision(user: User, case: Complaint) -> Refusal | None:
    if user.role not in OFFICE_ROLES:
        return _not_you(_("Only the admission office decides whether a complaint is a duplicate."))
    if case.status != State.SUBMITTED:
        return _not_now(
            _("This complaint is “%(state)s”: whether it is a duplicate is decided only while it awaits admission.")
            % {"state": case.get_status_display()}
        )
    if case.duplicate_of_id is None:
        return _not_now(_("This complaint is not flagged as a possible duplicate: someone may have decided already."))
    return None


def _part_key(part: CaseCompany) -> tuple[str, object]:
    return ("company", part.company_id) if part.company_id else ("cuit", part.cuit)


def companies_only_here(case: Complaint, original: Complaint) -> list[str]:
    """The companies this complaint names that the earlier case does not: closing it into that case
    would drop the claim against them."""
    named_there = {_part_key(part) for part in original.parts.all()}
    return [part.display_name for part in case.parts.all() if _part_key(part) not in named_there]


def _same_claim(user: User, case: Complaint) -> Refusal | None:
    """What join and reject-as-duplicate both need: the earlier case open, and naming every company
    this one names."""
    refusal = _duplicate_decision(user, case)
    if refusal is not None:
        return refusal
    original = case.duplicate_of
    assert original is not None  # the flag is set (checked above)
    if original.is_closed:
        return _not_now(
            _(
                "%(number)s is closed (“%(state)s”), so this complaint is a new filing, not a duplicate of an "
                "open case: say it is not a duplicate and decide on it as usual."
            )
            % {"number": original.number, "state": original.get_status_display()}
        )
    missing = companies_only_here(case, original)
    if missing:
        return _not_now(
            _(
                "This complaint also names %(companies)s, which %(number)s does not: closing it would drop the "
                "claim against them. Say it is not a duplicate and decide on it as usual."
            )
            % {"companies": ", ".join(missing), "number": original.number}
        )
    return None


@_action(JOIN_DUPLICATE)
def _join_duplicate(user: User, case: Complaint) -> Refusal | None:
    refusal = _same_claim(user, case)
    if refusal is not None:
        return refusal
    original = case.duplicate_of
    assert original is not None  # checked above
    served = original.status not in JOINABLE_STATES or any(
        part.notified_at is not None for part in original.parts.all()
    )
    if served:
        return _not_now(
            _(
                "%(number)s was already served on a company (“%(state)s”): its file cannot take new facts or "
                "evidence. Reject this complaint as its duplicate, or say it is not one."
            )
            % {"number": original.number, "state": original.get_status_display()}
        )
    files = len(original.evidence.all()) + len(case.evidence.all())
    if files > settings.EVIDENCE_MAX_FILES:
        return _not_now(
            _(
                "Joined, %(number)s would hold %(files)s evidence files; a case holds up to %(limit)s. Reject this "
                "complaint as its duplicate, or say it is not one."
            )
            % {"number": original.number, "files": files, "limit": settings.EVIDENCE_MAX_FILES}
        )
    return None


@_action(REJECT_DUPLICATE)
def _reject_duplicate(user: User, case: Complaint) -> Refusal | None:
    return _same_claim(user, case)


@_action(DISMISS_DUPLICATE)
def _dismiss_duplicate(user: User, case: Complaint) -> Refusal | None:
    return _duplicate_decision(user, case)


may_join_duplicate = COMPLAINT_RULES[JOIN_DUPLICATE]
may_reject_duplicate = COMPLAINT_RULES[REJECT_DUPLICATE]
may_dismiss_duplicate = COMPLAINT_RULES[DISMISS_DUPLICATE]


# --- The company's own handling of its cases (complaints/services/assignment.py) -------------------
# Asked of a company's part in a case (the page's row, the service under the part's lock) or of the
# company itself (a bulk action over a selection, the rules page: asked once, not per row).

ASSIGN_CASE = "assign_case"  # an administrator of the company gives a served case to a representative
ACKNOWLEDGE_CASE = "acknowledge_case"  # any representative of the company: "we received this case"
MANAGE_ASSIGNMENT_RULES = "manage_assignment_rules"  # an administrator edits the company's rules


def _company_id_of(obj: Company | CaseCompany) -> int | None:
    return obj.pk if isinstance(obj, Company) else obj.company_id


def _representation_of(user: User, company_id: int | None) -> Representation | None:
    if company_id is None:
        return None
    return Representation.objects.active().filter(user_id=user.pk, company_id=company_id).first()


def _served_or_refuse(obj: Company | CaseCompany) -> Refusal | None:
    if isinstance(obj, CaseCompany) and obj.notified_at is None:
        return _not_now(_("This case has not been served on the company yet."))
    return None


def _company_admin(user: User, obj: Company | CaseCompany) -> Refusal | None:
    representation = _representation_of(user, _company_id_of(obj))
    if representation is None or not representation.is_admin:
        return _not_you(_("Only an administrator of the company can do this."))
    return None


@_action(ASSIGN_CASE)
def _assign_case(user: User, obj: Company | CaseCompany) -> Refusal | None:
    return _company_admin(user, obj) or _served_or_refuse(obj)


@_action(ACKNOWLEDGE_CASE)
def _acknowledge_case(user: User, obj: Company | CaseCompany) -> Refusal | None:
    if _representation_of(user, _company_id_of(obj)) is None:
        return _not_you(_("Only a representative of the company can do this."))
    return _served_or_refuse(obj)


@_action(MANAGE_ASSIGNMENT_RULES)
def _manage_assignment_rules(user: User, company: Company) -> Refusal | None:
    return _company_admin(user, company)


may_assign_case = COMPLAINT_RULES[ASSIGN_CASE]
may_acknowledge_case = COMPLAINT_RULES[ACKNOWLEDGE_CASE]
may_manage_assignment_rules = COMPLAINT_RULES[MANAGE_ASSIGNMENT_RULES]


def assignable_representatives(company: Company | int | OuterRef) -> QuerySet[User]:
    """Who a case or a rule of `company` may be given to: its active representatives with an active
    account. The assignment form's choices and the services' check (`assignee_refusal`) alike; with
    an OuterRef, a subquery (the desk's "no longer represents the company" beside an assignee)."""
    company_id = company.pk if isinstance(company, Company) else company
    return (
        User.objects.filter(
            is_active=True, representations__company_id=company_id, representations__revoked_at__isnull=True
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def assignee_refusal(assignee: User, company: Company | int) -> Refusal | None:
    """Why `assignee` cannot be given the company's cases, or None: they must be one of its active
    representatives (a representative of another company, or one whose representation was revoked,
    is refused)."""
    if assignable_representatives(company).filter(pk=assignee.pk).exists():
        return None
    return _not_now(
        _("%(name)s is not an active representative of the company: choose one of its representatives.")
        % {"name": assignee.display_name}
    )
