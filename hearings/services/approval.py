"""The office's approval of an agreement (homologación)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from complaints.models import Complaint
from complaints.services import complaint_transition, lock_case, notify_case_parties
from complaints.services.parts import parts_of
from parties.models import User

from .. import policy
from ..models import Acta, Agreement
from .shared import on_record, record_text


def agreement_approve(*, complaint: Complaint, by: User) -> Agreement:
    """The office approves the agreement (in a case of several companies, each company's at once).
    One reached at a hearing needs the acta confirmed by the consumer and each agreeing company;
    one reached by accepting an offer gets its Agreement from that offer, so that the follow-up is
    the same for both."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.APPROVE_AGREEMENT, by, case)
        # Every agreement of the case at once (one per agreeing company in a case of several).
        agreements = policy.agreements_of(case) or [_agreement_from_offer(case)]
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
        notify_case_parties(
            case,
            "case_update",
            key=f"agreement:{agreement.pk}:approved",
            context={"update": "agreement_approved", "compliance_due": due},
        )
    return agreement


def _agreement_from_offer(case: Complaint) -> Agreement:
    offer = policy.accepted_offer(case)
    assert offer is not None  # the rule asked for one
    return Agreement.objects.create(
        complaint=case,
        part=offer.part if offer.part_id is not None else parts_of(case).first(),
        hearing=None,
        terms=offer.terms,
        amount=offer.amount,
        compliance_due=offer.fulfil_by,
    )
