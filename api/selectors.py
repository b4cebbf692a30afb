"""What an API key may read: its company's served cases, and their hearings and evidence.

The rule is the pages' (complaints.selectors.complaints_visible_to) narrowed to the key's company's
served parts, written from the company's parts (the partial index `casecompany_served`: company,
newest case first, WHERE notified_at IS NOT NULL) so that the biggest company's list is an index
scan. tests/api/test_cases.py proves it equals `complaints_visible_to(user)` narrowed to the company
on a mixed data set. A stranger's id is a 404, the same as a missing one."""

from django.db.models import QuerySet
from django.http import Http404

from complaints.models import CaseCompany, Complaint, Evidence
from complaints.selectors import evidence_for, parts_seen_by_their_company
from hearings.models import Hearing
from hearings.selectors import hearings_visible_to

from .auth import KeyContext


def served_parts_for_key(context: KeyContext) -> QuerySet[CaseCompany]:
    """The key's company's parts that its representative may see, one per case (a company is named
    once per case), on the `casecompany_served` index."""
    return CaseCompany.objects.filter(parts_seen_by_their_company(), company_id=context.company.pk)


def cases_for_key(context: KeyContext) -> QuerySet[Complaint]:
    """The company's served cases the key's person may see (what the pages show them of this company)."""
    return Complaint.objects.filter(pk__in=served_parts_for_key(context).values("complaint_id"))


def case_for_key(context: KeyContext, pk: int) -> Complaint:
    case = cases_for_key(context).select_related("company").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def part_for_key(context: KeyContext, case: Complaint) -> CaseCompany:
    """The key's company's part in this case (a case it may see)."""
    part = served_parts_for_key(context).select_related("company", "assignee").filter(complaint_id=case.pk).first()
    if part is None:
        raise Http404
    part.complaint = case
    return part


def hearings_for_key(context: KeyContext) -> QuerySet[Hearing]:
    """The hearings of the company's cases (hearings_visible_to, narrowed to them)."""
    return hearings_visible_to(context.user).filter(
        complaint_id__in=served_parts_for_key(context).values("complaint_id")
    )


def hearing_for_key(context: KeyContext, pk: int) -> Hearing:
    hearing = hearings_for_key(context).filter(pk=pk).first()
    if hearing is None:
        raise Http404
    return hearing


def evidence_for_key(context: KeyContext, pk: int) -> Evidence:
    """A file of one of the company's cases (the page's complaints.selectors.evidence_for, narrowed)."""
    evidence = evidence_for(context.user, pk)  # the page's rule first, then narrowed to the company
    if not cases_for_key(context).filter(pk=evidence.complaint_id).exists():
        raise Http404
    return evidence
