"""The office refers a case to the legal department."""

from django.db import transaction

from complaints.models import Complaint
from complaints.services import complaint_transition, lock_case
from parties.models import User

from .. import policy
from .shared import notify_referred


def case_refer(*, complaint: Complaint, by: User, reason: str = "") -> Complaint:
    """The office refers the case to the legal department (e.g. after a hearing without agreement)."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.REFER_CASE, by, case)
        move = complaint_transition(complaint=case, transition="refer", by=by, reason=reason.strip())
        notify_referred(move)
    return move.case
