"""What the admission panel's "possible duplicate" box reads: `{% load duplicates %}`.

- ``{% duplicate_review case user as review %}``: the earlier case the complaint may duplicate, how
  alike they are and why (facts, product, purchase date, amount), each side's companies, and which
  of the three decisions the person may take now, with the reason when one is refused (the rules of
  complaints/policy.py, the same the views and services ask); None if not flagged.

The flag is computed after the submission commits (complaints/services/duplicates.py). If that did
not happen (the broker was down), the panel computes it now: a complaint awaiting admission that is
not flagged is compared once more when the office opens it, and flagged if it matches.
"""

from dataclasses import dataclass

from django import template

from complaints import policy
from complaints.duplicates import Comparison, best_match, compare
from complaints.forms.duplicates import DuplicateDismissForm, DuplicateJoinForm, DuplicateRejectForm
from complaints.models import CaseCompany, Complaint
from complaints.services.duplicates import duplicate_flag
from complaints.states import OFFICE_ROLES, State
from parties.models import User
from parties.policy import Refusal

register = template.Library()


@dataclass(frozen=True)
class DuplicateReview:
    case: Complaint
    original: Complaint
    comparison: Comparison
    sides: list[tuple[Complaint, list[CaseCompany]]]  # this complaint, then the earlier one
    can_join: bool
    join_refusal: Refusal | None
    can_reject: bool
    reject_refusal: Refusal | None
    can_dismiss: bool
    join_form: DuplicateJoinForm
    reject_form: DuplicateRejectForm
    dismiss_form: DuplicateDismissForm


def _flag_if_missing(case: Complaint, user: User) -> None:
    if case.duplicate_of_id is not None or case.status != State.SUBMITTED or user.role not in OFFICE_ROLES:
        return
    if best_match(case) is None:
        return
    case.duplicate_of_id = getattr(duplicate_flag(case_id=case.pk), "pk", None)


@register.simple_tag
def duplicate_review(case: Complaint, user: User) -> DuplicateReview | None:
    _flag_if_missing(case, user)
    if case.duplicate_of_id is None:
        return None
    original = Complaint.objects.get(pk=case.duplicate_of_id)
    case.duplicate_of = original
    parts = list(
        CaseCompany.objects.filter(complaint_id__in=[case.pk, original.pk])
        .select_related("company")
        .order_by("complaint_id", "position", "pk")
    )
    join_refusal = policy.why_not(policy.JOIN_DUPLICATE, user, case)
    reject_refusal = policy.why_not(policy.REJECT_DUPLICATE, user, case)
    return DuplicateReview(
        case=case,
        original=original,
        comparison=compare(case, original),
        sides=[(side, [part for part in parts if part.complaint_id == side.pk]) for side in (case, original)],
        can_join=join_refusal is None,
        join_refusal=join_refusal,
        can_reject=reject_refusal is None,
        reject_refusal=reject_refusal,
        can_dismiss=policy.allowed(policy.DISMISS_DUPLICATE, user, case),
        join_form=DuplicateJoinForm(auto_id="duplicate-join-%s"),
        reject_form=DuplicateRejectForm(auto_id="duplicate-reject-%s"),
        dismiss_form=DuplicateDismissForm(auto_id="duplicate-dismiss-%s"),
    )
