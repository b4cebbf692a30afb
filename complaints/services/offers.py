"""Before the hearing: the company answers in writing and makes offers; the consumer accepts,
rejects or counters. Who may do each, now, is decided in complaints/policy.py; these ask it under
the case's row lock."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import actions, policy
from complaints.errors import CaseError
from complaints.models import CompanyAnswer, Complaint, Offer, OfferStatus
from complaints.services import Move, _apply, _locked, _notify_parties, record_event
from parties.models import User


def company_answer(*, complaint: Complaint, by: User, text: str) -> CompanyAnswer:
    if not text.strip():
        raise CaseError(_("Write the company's answer."))
    with transaction.atomic():
        case = _locked(complaint)
        policy.ensure(policy.ANSWER_AS_COMPANY, by, case)
        answer = CompanyAnswer.objects.create(complaint=case, author=by, text=text)
        event = record_event(case=case, action=actions.COMPANY_ANSWERED.code, by=by, reason=text)
        _notify_parties(Move(case, event))
    return answer


def offer_make(*, complaint: Complaint, by: User, terms: str, fulfil_by: date, amount: Decimal | None) -> Offer:
    if fulfil_by <= timezone.localdate():
        raise CaseError(_("The date to fulfil the offer must be in the future."))
    with transaction.atomic():
        case = _locked(complaint)
        policy.ensure(policy.MAKE_OFFER, by, case)
        offer = Offer.objects.create(complaint=case, made_by=by, terms=terms, fulfil_by=fulfil_by, amount=amount)
        event = record_event(case=case, action=actions.OFFER_MADE.code, by=by, reason=offer_event_reason(offer))
        _notify_parties(Move(case, event), offer_text=terms, offer_amount=amount, fulfil_by=fulfil_by)
    return offer


def offer_event_reason(offer: Offer) -> str:
    """What the case event records of an offer: its facts in a form no language owns, e.g.
    "ARS 1234.50 · 2026-03-01 · <the terms>", not a sentence in the actor's language. The case
    page shows them in the reader's language (`selectors.offer_terms_in`, the inverse)."""
    amount = f"ARS {offer.amount:.2f} · " if offer.amount is not None else ""
    return f"{amount}{offer.fulfil_by.isoformat()} · {offer.terms}"


def _locked_answerable_offer(offer: Offer, by: User) -> tuple[Complaint, Offer]:
    case = _locked(offer.complaint)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    offer.complaint = case  # the rule reads the case as locked, not as the page saw it
    policy.ensure(policy.ANSWER_OFFER, by, offer)
    return case, offer


def offer_accept(*, offer: Offer, by: User) -> Complaint:
    """The consumer accepts: the case ends in an agreement without a hearing."""
    with transaction.atomic():
        case, offer = _locked_answerable_offer(offer, by)
        offer.status, offer.answered_at, offer.answered_by = OfferStatus.ACCEPTED, timezone.now(), by
        offer.save(update_fields=["status", "answered_at", "answered_by"])
        move = _apply(case, actions.ACCEPT_OFFER.code, by=by, reason=offer_event_reason(offer))
        _notify_parties(move, company=True, answer="accepted")
    return move.case


def offer_reject(*, offer: Offer, by: User, counter_terms: str = "", counter_amount: Decimal | None = None) -> Offer:
    """The consumer rejects, optionally with a counter-offer the company may take up in a new offer."""
    with transaction.atomic():
        case, offer = _locked_answerable_offer(offer, by)
        offer.status = OfferStatus.COUNTERED if counter_terms.strip() else OfferStatus.REJECTED
        offer.answered_at, offer.answered_by = timezone.now(), by
        offer.counter_terms, offer.counter_amount = counter_terms, counter_amount
        offer.save(update_fields=["status", "answered_at", "answered_by", "counter_terms", "counter_amount"])
        countered = offer.status == OfferStatus.COUNTERED
        action = actions.OFFER_COUNTERED if countered else actions.OFFER_REJECTED
        event = record_event(case=case, action=action.code, by=by, reason=counter_terms)
        _notify_parties(
            Move(case, event),
            consumer=False,
            company=True,
            answer="countered" if countered else "rejected",
            counter_text=counter_terms,
            counter_amount=counter_amount,
        )
    return offer
