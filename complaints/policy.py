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

from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from complaints.errors import CaseError
from complaints.models import CaseCompany, Complaint, Offer, OfferStatus, PartStatus
from complaints.representation import parts_represented_by, speaks_for_consumer
from complaints.states import State, represents
from parties.models import PowerStatus, Representation, User
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
    company = part.display_name
    if representation.power_status == PowerStatus.VALIDATED:
        until = representation.power_valid_until
        if until is None or until >= timezone.localdate():
            return None
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
    if not represents(user, case):
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
