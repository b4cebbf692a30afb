"""Who may see which hearing, and who is a party to it (every hearings view starts here); and the
case file's hearings panel, read in a fixed number of queries with what the viewer may do."""

import copy
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from complaints.models import CaseCompany, Complaint, Offer, OfferStatus
from complaints.selectors import complaints_visible_to
from complaints.states import OFFICE_ROLES, State
from parties.models import Role, User

from . import policy
from .models import (
    AbsenceJustification,
    Acta,
    ActaConfirmation,
    Agreement,
    Attendance,
    ComplianceProof,
    Hearing,
    PartOutcome,
)


def hearings_visible_to(user: User) -> QuerySet[Hearing]:
    """Hearings of the cases the user may see (conciliators: the hearings they hold).

    The office and the director see every case but others' drafts (complaints_visible_to), and a
    hearing is only ever scheduled on a served case: they see every hearing. Saying so spares the
    database a lookup of the case behind each hearing on every list and count (the office's list
    counted its upcoming hearings in 100 ms at a million cases, 2 ms without)."""
    hearings = Hearing.objects.select_related("complaint", "conciliator")
    if user.role == Role.CONCILIATOR:
        return hearings.filter(conciliator=user)
    if user.role in OFFICE_ROLES or user.role == Role.DIRECTOR:
        return hearings
    return hearings.filter(complaint__in=complaints_visible_to(user).values("pk"))


def party_of(hearing: Hearing, user: User) -> str | None:
    """Which side of this hearing the user is on, or None: only parties enter the room."""
    return policy.side_of(user, hearing)


is_office = policy.is_office


def current_hearing(complaint_id: int) -> Hearing | None:
    """The case's hearing still to be held, if any."""
    return (
        Hearing.objects.filter(complaint_id=complaint_id, status=Hearing.Status.SCHEDULED)
        .select_related("conciliator")
        .order_by("-starts_at")
        .first()
    )


def attendance_summary(hearing: Hearing) -> list[dict]:
    """Per person: their side, first join and last leave, and every record (for the case file).

    Reads the rows once; a manual record replaces what the browser/server said for that person."""
    people: dict[str, dict] = {}
    for row in hearing.attendance.all():
        key = f"u{row.user_id}" if row.user_id else f"n{row.display_name}"
        person = people.setdefault(
            key,
            {
                "user_id": row.user_id,
                "name": row.display_name,
                "party": row.party,
                "party_label": row.get_party_display(),
                "joined_at": None,
                "left_at": None,
                "records": [],
                "corrected": False,
            },
        )
        person["records"].append(row)
        if row.source == Attendance.Source.MANUAL:
            if not person["corrected"]:  # the first manual record wipes the automatic figures
                person["joined_at"] = person["left_at"] = None
            person["corrected"] = True
        elif person["corrected"]:
            continue
        if row.kind == Attendance.Kind.JOINED and person["joined_at"] is None:
            person["joined_at"] = row.at
        if row.kind == Attendance.Kind.LEFT:
            person["left_at"] = row.at
    order = {Attendance.Party.CONCILIATOR: 0, Attendance.Party.CONSUMER: 1, Attendance.Party.COMPANY: 2}
    return sorted(people.values(), key=lambda p: (order.get(p["party"], 3), p["joined_at"] is None))


def attended(hearing: Hearing, party: str) -> bool:
    """Whether that side was in the room, by evidence a party cannot make up: the video server's
    events or the conciliator's record. A browser's own report is shown, but proves nothing."""
    return (
        hearing.attendance.filter(party=party, kind=Attendance.Kind.JOINED)
        .exclude(source=Attendance.Source.CLIENT)
        .exists()
    )


# --- The case file's hearings panel --------------------------------------------------------------------


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
    can_reschedule: bool = False
    can_cancel: bool = False
    can_read_acta: bool = False
    can_confirm_acta: bool = False
    can_justify: bool = False
    # Per justification of this hearing: may the viewer decide it / read its supporting document.
    can_decide: dict[int, bool] = field(default_factory=dict)
    can_read_file: dict[int, bool] = field(default_factory=dict)
    acta_missing: list[str] = field(default_factory=list)
    # A hearing of several companies: how it ended for each.
    part_outcomes: list[PartOutcome] = field(default_factory=list)

    @property
    def can_move(self) -> bool:
        return self.can_reschedule or self.can_cancel

    @property
    def pending_justifications(self) -> list[AbsenceJustification]:
        return [j for j in self.justifications if j.decision == AbsenceJustification.Decision.PENDING]


@dataclass
class HearingsPanel:
    rows: list[HearingRow]
    agreement: Agreement | None
    # Every agreement, one per agreeing company (the first is `agreement`).
    agreements: list[Agreement]
    proofs: list[ComplianceProof]
    accepted_offer: Offer | None
    is_office: bool
    is_consumer: bool
    is_company_side: bool
    can_schedule: bool
    can_approve: bool
    approval_pending: bool  # awaiting approval, held back by the acta's confirmations
    approval_blocked_by: list[str]
    can_answer_compliance: bool
    can_upload_proof: bool
    can_refer: bool
    justification_due_at: datetime | None


# What the case page has already read onto the case and the panel takes as it is: the companies (lead
# first, with their company: complaints/views/case_file.py) and every offer (the panel wants the
# accepted one, and asks policy.accepted_offer, which picks it out of them).
READ_BY_THE_PAGE = ("parts", "offers")


def _panel_case(case: Complaint) -> Complaint:
    """The case with its hearings and agreement read once: hearings (+ conciliator, acta, who approved
    it), attendance, acta confirmations (+ who), recordings, justifications, part outcomes, the
    agreements, their proofs (+ who uploaded); its companies and offers too, unless the page read them
    already (READ_BY_THE_PAGE). The company a justification, a part outcome or an agreement speaks for
    is taken from the case's companies, not joined into each read again. Only what the panel shows is
    joined (not who filed or decided a justification, nor who recorded an outcome): fewer columns for
    the ORM to write out and read back on every case page. A copy: the page's own `case` keeps its
    relations as the page read them."""
    read = getattr(case, "_prefetched_objects_cache", {})
    reused = {name: read[name] for name in READ_BY_THE_PAGE if name in read}
    panel_case = copy.copy(case)
    panel_case._prefetched_objects_cache = reused  # type: ignore[attr-defined]
    panel_case._state = copy.copy(case._state)
    panel_case._state.fields_cache = dict(case._state.fields_cache)
    panel_case._state.fields_cache.pop("agreements", None)
    lookups: list[str | Prefetch] = [
        Prefetch(
            "hearings",
            queryset=Hearing.objects.select_related("conciliator", "acta", "acta__approved_by")
            .prefetch_related(
                Prefetch("attendance", queryset=Attendance.objects.order_by("at", "pk")),
                Prefetch("acta__confirmations", queryset=ActaConfirmation.objects.select_related("user")),
                "recordings",
                "justifications",
                "part_outcomes",
            )
            .order_by("starts_at", "pk"),
        ),
        Prefetch("agreements", queryset=Agreement.objects.prefetch_related("proofs__uploaded_by")),
    ]
    if "parts" not in reused:
        lookups.append(
            Prefetch("parts", queryset=CaseCompany.objects.select_related("company").order_by("position", "pk"))
        )
    # An accepted offer may be what the office approves.
    if case.status == State.AGREEMENT and "offers" not in reused:
        lookups.append(Prefetch("offers", queryset=Offer.objects.filter(status=OfferStatus.ACCEPTED)))
    prefetch_related_objects([panel_case], *lookups)
    _attach_parts(panel_case)
    return panel_case


def _attach_parts(case: Complaint) -> None:
    """Each justification, part outcome and agreement of the case with the company part it speaks
    for, from the case's companies as read (each with its company, for its name)."""
    parts = {part.pk: part for part in case.parts.all()}
    rows: list[AbsenceJustification | PartOutcome | Agreement] = list(case.agreements.all())
    for hearing in case.hearings.all():
        rows += [*hearing.justifications.all(), *hearing.part_outcomes.all()]
    for row in rows:
        if row.part_id in parts:
            row.part = parts[row.part_id]


def case_hearings_panel(case: Complaint, user: User) -> HearingsPanel:
    """Everything the case file shows about a case's hearings and what the viewer may do, each offer
    asked of its rule in hearings/policy.py with the objects already read — in a fixed number of
    queries whatever the number of hearings."""

    case = _panel_case(case)
    # Known already when the case page asked it (complaints/views/case_file.py); else asked here, once.
    company = policy.represents_case(user, case)
    with policy.company_side_known(user, case, company):
        rows = [_row(hearing, user) for hearing in case.hearings.all()]
        agreement = policy.agreement_of(case)
        awaiting_approval = policy.is_office(user) and case.status == State.AGREEMENT
        return HearingsPanel(
            rows=rows,
            agreement=agreement,
            agreements=policy.agreements_of(case),
            proofs=[proof for each in policy.agreements_of(case) for proof in each.proofs.all()],
            accepted_offer=policy.accepted_offer(case)
            if agreement is None and case.status == State.AGREEMENT
            else None,
            is_office=policy.is_office(user),
            is_consumer=user.pk == case.consumer_id,
            is_company_side=company,
            can_schedule=policy.may_schedule_hearing(user, case),
            can_approve=policy.may_approve_agreement(user, case),
            approval_pending=awaiting_approval,
            approval_blocked_by=policy.approval_blocked_by(case) if awaiting_approval else [],
            can_answer_compliance=policy.may_answer_compliance(user, case),
            can_upload_proof=policy.may_upload_compliance_proof(user, case),
            can_refer=policy.may_refer_case(user, case),
            justification_due_at=case.justification_due_at,
        )


def _row(hearing: Hearing, user: User) -> HearingRow:

    acta = policy.acta_of(hearing)
    justifications = list(hearing.justifications.all())
    return HearingRow(
        hearing=hearing,
        attendance=attendance_summary(hearing),
        acta=acta,
        confirmations=list(acta.confirmations.all()) if acta else [],
        recordings=list(hearing.recordings.all()),
        justifications=justifications,
        viewer_side=policy.side_of(user, hearing),
        can_enter_room=policy.may_enter_room(user, hearing),
        can_run_console=policy.may_open_console(user, hearing),
        can_reschedule=policy.may_reschedule_hearing(user, hearing),
        can_cancel=policy.may_cancel_hearing(user, hearing),
        can_read_acta=policy.may_read_acta(user, hearing),
        can_confirm_acta=policy.may_confirm_acta(user, hearing),
        can_justify=policy.may_justify_absence(user, hearing),
        can_decide={j.pk: policy.may_decide_justification(user, j) for j in justifications},
        can_read_file={j.pk: policy.may_read_justification_file(user, j) for j in justifications},
        acta_missing=policy.acta_missing_confirmations(acta, hearing) if acta else [],
        part_outcomes=policy.part_outcomes_of(hearing),
    )
