"""The case file's hearings panel and small helpers for hearing pages: `{% load hearing_tags %}`.

- ``{% case_hearings case request.user as panel %}``: everything the panel shows about a case's
  hearings (attendance, actas and confirmations, recordings, justifications, the agreement and its
  proofs) and what the viewer may do, read in a fixed number of queries whatever the number of
  hearings. The complaints floor includes the panel without importing hearings.
- ``{% hearing_status_badge hearing %}``: the coloured pill for a hearing's status.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django import template
from django.db.models import Prefetch
from django.utils import timezone

from complaints.models import Complaint, Offer, OfferStatus
from complaints.states import State, represents
from parties.models import User
from parties.templatetags.ui import status_badge

from ..models import (
    AbsenceJustification,
    Acta,
    ActaConfirmation,
    Agreement,
    Attendance,
    ComplianceProof,
    Hearing,
)
from ..selectors import attendance_summary
from ..services.outcome import ABSENT_PARTY, acta_missing_confirmations, is_office

register = template.Library()

Party = Attendance.Party
Decision = AbsenceJustification.Decision
# A hearing's status drawn with the colours of the case state it goes with.
STATUS_COLOURS: dict[str, str] = {
    Hearing.Status.SCHEDULED: "hearing_scheduled",
    Hearing.Status.HELD: "agreement_approved",
    Hearing.Status.ADJOURNED: "adjourned",
    Hearing.Status.CANCELLED: "withdrawn",
}
# Where the office schedules (again): served and waiting, after a cuarto intermedio without a date,
# after the company's absence was justified, after the consumer's case was reactivated.
SCHEDULABLE_STATES = (State.COMPANY_NOTIFIED, State.ADJOURNED, State.COMPANY_ABSENT)


@register.simple_tag
def hearing_status_badge(hearing: Hearing) -> str:
    return status_badge(STATUS_COLOURS.get(hearing.status, "draft"), hearing.get_status_display())


@dataclass
class HearingRow:
    hearing: Hearing
    attendance: list[dict]
    acta: Acta | None
    confirmations: list[ActaConfirmation]
    recordings: list
    justifications: list[AbsenceJustification]
    viewer_side: str | None
    can_enter_room: bool = False
    can_run_console: bool = False
    can_move: bool = False
    can_confirm_acta: bool = False
    can_justify: bool = False
    reads_all_files: bool = False  # the office and the conciliator read either side's documents
    acta_missing: list[str] = field(default_factory=list)

    @property
    def pending_justifications(self) -> list[AbsenceJustification]:
        return [j for j in self.justifications if j.decision == Decision.PENDING]


@dataclass
class HearingsPanel:
    rows: list[HearingRow]
    agreement: Agreement | None
    proofs: list[ComplianceProof]
    accepted_offer: Offer | None
    is_office: bool
    is_consumer: bool
    is_company_side: bool
    can_schedule: bool
    can_approve: bool
    approval_blocked_by: list[str]
    can_answer_compliance: bool
    can_upload_proof: bool
    can_refer: bool
    justification_due_at: datetime | None


def _hearings(case: Complaint) -> list[Hearing]:
    # One query per relation, whatever the number of hearings: hearings (+ conciliator and acta),
    # attendance, acta confirmations (+ who), recordings, justifications (+ who filed them).
    return list(
        Hearing.objects.filter(complaint=case)
        .select_related("conciliator", "acta", "acta__approved_by", "outcome_recorded_by")
        .prefetch_related(
            Prefetch("attendance", queryset=Attendance.objects.order_by("at", "pk")),
            Prefetch("acta__confirmations", queryset=ActaConfirmation.objects.select_related("user")),
            "recordings",
            Prefetch(
                "justifications",
                queryset=AbsenceJustification.objects.select_related("submitted_by", "decided_by"),
            ),
        )
        .order_by("starts_at", "pk")
    )


def _acta_of(hearing: Hearing) -> Acta | None:
    try:
        return hearing.acta
    except Acta.DoesNotExist:
        return None


def _side(hearing: Hearing, user: User, *, consumer: bool, company: bool) -> str | None:
    """Like selectors.party_of, without a query per hearing (`represents` was asked once)."""
    if user.pk == hearing.conciliator_id:
        return Party.CONCILIATOR
    if consumer:
        return Party.CONSUMER
    if company:
        return Party.COMPANY
    return None


@register.simple_tag
def case_hearings(case: Complaint, user: User) -> HearingsPanel:
    office = is_office(user)
    consumer = user.pk == case.consumer_id
    company = represents(user, case)
    now = timezone.now()
    rows = []
    for hearing in _hearings(case):
        acta = _acta_of(hearing)
        side = _side(hearing, user, consumer=consumer, company=company)
        justifications = list(hearing.justifications.all())
        confirmations = list(acta.confirmations.all()) if acta else []
        scheduled = hearing.status == Hearing.Status.SCHEDULED
        absent = ABSENT_PARTY.get(hearing.outcome)
        rows.append(
            HearingRow(
                hearing=hearing,
                attendance=attendance_summary(hearing),
                acta=acta,
                confirmations=confirmations,
                recordings=list(hearing.recordings.all()),
                justifications=justifications,
                viewer_side=side,
                can_enter_room=scheduled and side is not None,
                can_run_console=side == Party.CONCILIATOR or (office and scheduled),
                can_move=office and scheduled,
                can_confirm_acta=bool(acta and acta.is_ready)
                and side is not None
                and not any(c.user_id == user.pk for c in confirmations),
                can_justify=absent is not None
                and side == absent
                and case.status == hearing.outcome
                and case.justification_due_at is not None
                and now <= case.justification_due_at
                and not any(j.party == absent and j.decision != Decision.REJECTED for j in justifications),
                reads_all_files=office or side == Party.CONCILIATOR,
                acta_missing=acta_missing_confirmations(acta) if acta else [],
            )
        )
    agreement = Agreement.objects.filter(complaint=case).prefetch_related("proofs__uploaded_by").first()
    accepted_offer = None
    if agreement is None and case.status == State.AGREEMENT:
        accepted_offer = (
            Offer.objects.filter(complaint=case, status=OfferStatus.ACCEPTED).order_by("-answered_at", "-pk").first()
        )
    approval_blocked_by: list[str] = []
    if agreement is not None and agreement.hearing_id is not None:
        hearing_row = next((row for row in rows if row.hearing.pk == agreement.hearing_id), None)
        approval_blocked_by = acta_missing_confirmations(hearing_row.acta if hearing_row else None)
    any_scheduled = any(row.hearing.status == Hearing.Status.SCHEDULED for row in rows)
    absence_accepted = any(
        j.party == Party.COMPANY and j.decision == Decision.ACCEPTED for row in rows for j in row.justifications
    )
    return HearingsPanel(
        rows=rows,
        agreement=agreement,
        proofs=list(agreement.proofs.all()) if agreement else [],
        accepted_offer=accepted_offer,
        is_office=office,
        is_consumer=consumer,
        is_company_side=company,
        can_schedule=office
        and not any_scheduled
        and case.status in SCHEDULABLE_STATES
        and (case.status != State.COMPANY_ABSENT or absence_accepted),
        can_approve=office and case.status == State.AGREEMENT,
        approval_blocked_by=approval_blocked_by,
        can_answer_compliance=(consumer or office) and case.status == State.AGREEMENT_APPROVED,
        can_upload_proof=company
        and agreement is not None
        and case.status in (State.AGREEMENT, State.AGREEMENT_APPROVED),
        can_refer=office and case.status == State.NO_AGREEMENT,
        justification_due_at=case.justification_due_at,
    )


@register.filter
def party_label(party: str) -> str:
    try:
        return str(Party(party).label)
    except ValueError:
        return str(party)
