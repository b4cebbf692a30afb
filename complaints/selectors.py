"""Reads on cases. Every view, export and download starts from `complaints_visible_to`."""

from django.db.models import Q, QuerySet
from django.http import Http404

from complaints.models import CaseEvent, Complaint, Evidence
from complaints.states import OFFICE_ROLES, VISIBLE_TO_COMPANY_STATES, State
from parties.models import Role, User


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    """consumer: their own · representative: their companies', once served · conciliator: cases
    with a hearing assigned to them · officer and supervisor: all but others' drafts · others: none."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    if user.role == Role.CONSUMER:
        return Complaint.objects.filter(consumer=user)
    if user.role == Role.REPRESENTATIVE:
        return Complaint.objects.filter(
            company__representations__user=user,
            company__representations__revoked_at__isnull=True,
            status__in=VISIBLE_TO_COMPANY_STATES,
        )
    if user.role == Role.CONCILIATOR:
        # The hearings floor adds `Hearing.complaint` (related_name "hearings"); the lookup is by name.
        if "hearings" in {rel.name for rel in Complaint._meta.related_objects}:
            return Complaint.objects.filter(**{"hearings__conciliator": user}).distinct()
        return Complaint.objects.none()
    if user.role in OFFICE_ROLES:
        return Complaint.objects.filter(~Q(status=State.DRAFT) | Q(filed_by=user))
    return Complaint.objects.none()


def complaint_for(user: User, pk: int) -> Complaint:
    """The case if the user may see it; a 404 that says nothing otherwise."""
    case = complaints_visible_to(user).select_related("company", "consumer", "filed_by").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def evidence_for(user: User, pk: int) -> Evidence:
    evidence = Evidence.objects.filter(pk=pk, complaint__in=complaints_visible_to(user)).first()
    if evidence is None:
        raise Http404
    return evidence


def case_events_intact(case: Complaint) -> bool:
    """True when every event's hash matches its content and the one before it."""
    previous = ""
    for event in CaseEvent.objects.filter(complaint=case).order_by("created_at", "pk"):
        if event.previous_hash != previous or event.compute_hash() != event.hash:
            return False
        previous = event.hash
    return True
