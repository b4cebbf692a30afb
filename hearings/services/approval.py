"""The homologation of an agreement: an act of the director or a delegate, which issues a signed
disposición (hearings/services/disposition.py) in the same transaction."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from complaints.instalments import from_json
from complaints.models import Complaint, OfferStatus, PartStatus
from complaints.records import on_record, record_text
from complaints.services import complaint_transition, lock_case, notify_case_parties
from complaints.services.parts import parts_of
from parties.models import User

from .. import policy
from ..models import Acta, Agreement
from .disposition import disposition_issue
from .instalments import add_instalments


def agreement_approve(*, complaint: Complaint, by: User) -> Agreement:
    """The director (or a delegate) homologates the agreement (in a case of several companies, each
    company's at once) by a disposición: numbered, rendered, hashed, sealed, and written into the
    case's chain, all in this transaction.
    One reached at a hearing needs the acta confirmed by the consumer and each agreeing company;
    one reached by accepting an offer gets its Agreement from that offer, so that the follow-up is
    the same for both."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.APPROVE_AGREEMENT, by, case)
        # Every agreement of the case at once (one per agreeing company in a case of several).
        agreements = policy.agreements_of(case)
        agreements += _agreements_from_offers(case, agreements) if agreements else [_agreement_from_offer(case)]
        agreement = agreements[0]
        actas = Acta.objects.filter(hearing_id__in={a.hearing_id for a in agreements if a.hearing_id is not None})
        due = min(a.compliance_due for a in agreements)
        complaint_transition(
            complaint=case,
            transition="approve_agreement",
            by=by,
            reason=record_text(gettext_noop("Compliance due by %(date)s."), date=on_record(due)),
        )
        for acta in actas:
            acta.approved_at, acta.approved_by = timezone.now(), by
            acta.save(update_fields=["approved_at", "approved_by"])
        disposition_issue(case=case, agreements=agreements, actas=list(actas), by=by)
        notify_case_parties(
            case,
            "case_update",
            key=f"agreement:{agreement.pk}:approved",
            context={"update": "agreement_approved", "compliance_due": due},
        )
    return agreement


def _agreements_from_offers(case: Complaint, reached: list[Agreement]) -> list[Agreement]:
    """In a case of several companies, those that agreed by accepting their offer before the hearing
    at which the others agreed: each gets its Agreement from its offer."""
    with_agreement = {a.part_id for a in reached}
    made = []
    for offer in case.offers.filter(status=OfferStatus.ACCEPTED, part__status=PartStatus.AGREEMENT).select_related(
        "part"
    ):
        if offer.part_id in with_agreement:
            continue
        with_agreement.add(offer.part_id)
        agreement = Agreement.objects.create(
            complaint=case,
            part=offer.part,
            hearing=None,
            terms=offer.terms,
            amount=offer.amount,
            compliance_due=offer.fulfil_by,
        )
        add_instalments(agreement, from_json(offer.instalments))  # none for an offer fulfilled at once
        made.append(agreement)
    return made


def _agreement_from_offer(case: Complaint) -> Agreement:
    offer = policy.accepted_offer(case)
    assert offer is not None  # the rule asked for one
    agreement = Agreement.objects.create(
        complaint=case,
        part=offer.part if offer.part_id is not None else parts_of(case).first(),
        hearing=None,
        terms=offer.terms,
        amount=offer.amount,
        compliance_due=offer.fulfil_by,
    )
    add_instalments(agreement, from_json(offer.instalments))  # none for an offer fulfilled at once
    return agreement
