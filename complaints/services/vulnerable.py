"""Hipervulnerable consumers (Res. SCI 139/2020) at the office: flagging or unflagging a case, and
the shorter admission-review target such a case gets."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from complaints import actions
from complaints.errors import CaseError
from complaints.models import Complaint
from complaints.services import lock_case, record_event
from complaints.states import OFFICE_ROLES, State
from complaints.vulnerability import CATEGORIES, label_for
from parties.business_days import deadline_after
from parties.models import User


def admission_review_days(case: Complaint) -> int:
    """The office's review target, in business days, for this case: shorter for a vulnerable consumer."""
    key = "ADMISSION_REVIEW_VULNERABLE" if case.vulnerable else "ADMISSION_REVIEW"
    return settings.DEADLINES[key]


def _check(case: Complaint, by: User) -> None:
    if by.role not in OFFICE_ROLES:
        raise CaseError(_("Only the office can change this."))
    if case.status == State.DRAFT or case.is_closed:
        raise CaseError(
            _("This case is “%(state)s”: the flag can no longer be changed.") % {"state": case.get_status_display()}
        )


def _retarget_review(case: Complaint) -> list[str]:
    """A case awaiting review gets the target its flag calls for, counted from its submission."""
    if case.status != State.SUBMITTED or case.submitted_at is None:
        return []
    case.review_due_at = deadline_after(case.submitted_at, admission_review_days(case))
    return ["review_due_at"]


def complaint_flag_vulnerable(*, complaint: Complaint, by: User, categories: list[str], note: str = "") -> Complaint:
    known = {code for code, _label in CATEGORIES}
    categories = [code for code in dict.fromkeys(categories) if code in known]
    if not categories:
        raise CaseError(_("Choose at least one category."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        _check(case, by)
        case.vulnerable = True
        case.vulnerable_categories = categories
        case.vulnerable_flagged_by = by
        fields = ["vulnerable", "vulnerable_categories", "vulnerable_flagged_by", "updated_at"]
        fields += _retarget_review(case)
        case.save(update_fields=fields)
        reason = ", ".join(label_for(code) for code in categories)
        record_event(
            case=case,
            action=actions.VULNERABLE_FLAGGED.code,
            by=by,
            reason=f"{reason}. {note.strip()}".strip(),
        )
    return case


def complaint_unflag_vulnerable(*, complaint: Complaint, by: User, note: str = "") -> Complaint:
    with transaction.atomic():
        case = lock_case(complaint.pk)
        _check(case, by)
        if not case.vulnerable:
            raise CaseError(_("This consumer is not flagged as hipervulnerable."))
        case.vulnerable = False
        case.vulnerable_categories = []
        case.vulnerable_flagged_by = None
        fields = ["vulnerable", "vulnerable_categories", "vulnerable_flagged_by", "updated_at"]
        fields += _retarget_review(case)
        case.save(update_fields=fields)
        record_event(case=case, action=actions.VULNERABLE_UNFLAGGED.code, by=by, reason=note.strip())
    return case
