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

from django.utils.translation import gettext as _
from django_fsm import can_proceed

from complaints.errors import CaseError
from complaints.models import Complaint, Offer, OfferStatus
from complaints.states import State, represents
from parties.models import User
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
    """The offer awaiting the consumer's answer (at most one: a constraint of the table)."""
    return next((offer for offer in case.offers.all() if offer.status == OfferStatus.PENDING), None)


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


@_action(MAKE_OFFER)
def _make_offer(user: User, case: Complaint) -> Refusal | None:
    refusal = _company_side_now(user, case)
    if refusal is not None:
        return refusal
    if pending_offer_of(case) is not None:
        return _not_now(_("There is already an offer awaiting the consumer's answer."))
    return None


# --- The consumer -----------------------------------------------------------------------------------


@_action(ANSWER_OFFER)
def _answer_offer(user: User, offer: Offer) -> Refusal | None:
    case = offer.complaint
    if user.pk != case.consumer_id:
        return _not_you(_("Only the consumer who filed the complaint can answer the offer."))
    if offer.status == OfferStatus.LAPSED:
        return _not_now(_("This offer lapsed: the case moved on before it was answered."))
    if offer.status != OfferStatus.PENDING:
        return _not_now(_("This offer was already answered."))
    # Accepting ends the case in an agreement: the FSM says from which states that is still possible.
    if not can_proceed(case.accept_offer):
        return _not_now(
            _("This case is “%(state)s”: the offer can no longer be answered.") % {"state": case.get_status_display()}
        )
    return None


may_answer_as_company = COMPLAINT_RULES[ANSWER_AS_COMPANY]
may_make_offer = COMPLAINT_RULES[MAKE_OFFER]
may_answer_offer = COMPLAINT_RULES[ANSWER_OFFER]
