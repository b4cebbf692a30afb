"""Referral out of competence: a case outside the office's territory is sent to the competent
authority (complaints/competence.py), and the consumer is told where and why. The case closes as
referred out; its record stays whole and exportable."""

from django.db import transaction
from django.utils.translation import gettext as _

from complaints import actions
from complaints.competence import NATIONAL_WEBSITE, authority
from complaints.errors import CaseError
from complaints.models import Complaint
from complaints.services import _apply, _notify_parties
from parties.models import User


def complaint_refer_out(*, complaint: Complaint, by: User, authority_code: str, reason: str) -> Complaint:
    """Refer a submitted case to `authority_code`. The FSM (transition `refer_out`, office only)
    decides under the case's lock whether the move is still possible and whether `by` may make it."""
    target = authority(authority_code)
    if target is None:
        raise CaseError(_("Choose the authority the case is referred to."))
    reason = reason.strip()
    if not reason:
        raise CaseError(_("Say why the office is not competent: the consumer reads it."))
    with transaction.atomic():
        move = _apply(
            complaint,
            actions.REFER_OUT.code,
            by=by,
            reason=f"{target.name}. {reason}",
            referred_out_to=target.code,
        )
        _notify_parties(
            move,
            authority_name=target.name,
            authority_website=target.website or NATIONAL_WEBSITE,
            reason=reason,
        )
    return move.case
