"""Absences: the absent side justifies, the office decides, and an absence not justified in time has
its consequence (swept from beat by `act_on_expired_justifications`).

A justification still awaiting the office's decision stops the clock — it was filed in time, so the
consequence waits for the decision, never for the calendar.
"""

from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.records import record_text
from complaints.services import CaseError, Move, complaint_transition, lock_case, notify_case_parties, record_event
from complaints.services.parts import part_move
from complaints.states import State
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import AbsenceJustification, Hearing
from .shared import (
    BATCH,
    Party,
    checked_upload,
    lock_hearing,
    notify_referred,
    stored_name,
)


def absence_justify(*, hearing: Hearing, by: User, text: str, file: UploadedFile | None = None) -> AbsenceJustification:
    """The absent side explains why, before the deadline; the office then decides."""
    text = text.strip()
    if not text:
        raise HearingError(_("Explain why you could not attend the hearing."))
    content_type = checked_upload(file) if file is not None else None
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.JUSTIFY_ABSENCE, by, locked)
        part = None
        if policy.is_mixed(locked):
            # A hearing that ended differently for each company: the absent company justifies itself.
            part = policy.part_to_justify(by, locked)
            assert part is not None  # the rule asked for one
            absent: str = Party.COMPANY
        else:
            absent = policy.ABSENT_PARTY[locked.outcome]
        justification = AbsenceJustification(hearing=locked, party=absent, part=part, text=text, submitted_by=by)
        if file is not None and content_type is not None:
            justification.file.save(stored_name(content_type), file, save=False)
        try:
            justification.save()
        except Exception:
            if justification.file:
                justification.file.delete(save=False)
            raise
        record_event(
            case=case,
            action="absence_justified",
            by=by,
            reason=f"{part.display_name}: {text}" if part is not None else text,
        )
    return justification


def absence_decide(
    *, justification: AbsenceJustification, by: User, accept: bool, reason: str = ""
) -> AbsenceJustification:
    """The office accepts (company: a new hearing can be scheduled; consumer: the case is reactivated)
    or rejects (the consequence at once: company → referred; consumer → deemed withdrawn)."""
    reason = reason.strip()
    case_id = Hearing.objects.filter(pk=justification.hearing_id).values_list("complaint_id", flat=True).get()
    with transaction.atomic():
        case = lock_case(case_id)
        hearing = lock_hearing(justification.hearing_id)
        hearing.complaint = case
        locked = AbsenceJustification.objects.select_for_update().get(pk=justification.pk)
        locked.hearing = hearing
        policy.ensure(policy.DECIDE_JUSTIFICATION, by, locked)
        if not accept and not reason:
            raise HearingError(_("Say why the justification is not accepted."))
        locked.decision = AbsenceJustification.Decision.ACCEPTED if accept else AbsenceJustification.Decision.REJECTED
        locked.decision_reason, locked.decided_by, locked.decided_at = reason, by, timezone.now()
        locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        if locked.part_id is not None:
            _decide_for_part(locked, case, by, accept=accept, reason=reason)
            return locked
        company = locked.party == Party.COMPANY
        if accept and company:
            # The case stays "company absent" until the office schedules the new hearing (that move
            # is schedule_hearing); without a deadline the beat job leaves it alone.
            record_event(case=case, action="absence_accepted", by=by, reason=reason)
            case.justification_due_at = None
            case.save(update_fields=["justification_due_at", "updated_at"])
            notify_case_parties(
                case, "case_update", key=f"justification:{locked.pk}:decided", context={"update": "absence_accepted"}
            )
        elif accept:
            complaint_transition(
                complaint=case, transition="reactivate", by=by, reason=reason, justification_due_at=None
            )
            notify_case_parties(
                case, "case_update", key=f"justification:{locked.pk}:decided", context={"update": "absence_reactivated"}
            )
        else:
            why = record_text(
                gettext_noop("The justification of the absence was not accepted: %(reason)s"), reason=reason
            )
            move = complaint_transition(
                complaint=case,
                transition="refer" if company else "deem_withdrawn",
                by=by,
                reason=why,
                justification_due_at=None,
            )
            _notify_consequence(move, company=company)
    return locked


def _decide_for_part(
    justification: AbsenceJustification, case: Complaint, by: User, *, accept: bool, reason: str
) -> None:
    """One company's absence (a hearing that ended differently for each): accepted, its part is served
    again, ready for a new hearing; rejected, its part alone is referred."""
    assert justification.part_id is not None
    part = CaseCompany.objects.select_for_update().get(pk=justification.part_id)
    part.complaint = case
    if accept:
        part.status, part.justification_due_at = PartStatus.SERVED, None
        part.save(update_fields=["status", "justification_due_at"])
        record_event(case=case, action="part_resumed", by=by, reason=f"{part.display_name}. {reason}".strip())
        notify_case_parties(
            case,
            "case_update",
            key=f"justification:{justification.pk}:decided",
            context={"update": "absence_accepted"},
        )
        return
    why = record_text(gettext_noop("The justification of the absence was not accepted: %(reason)s"), reason=reason)
    part_move(part, PartStatus.REFERRED, by=by, reason=why, justification_due_at=None)
    notify_case_parties(
        case,
        "complaint_referred",
        key=f"justification:{justification.pk}:decided",
        context={"reason": f"{part.display_name}: {why}"},
    )


def act_on_expired_part_absences(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat, for cases of several companies whose hearing ended differently for each: a company
    absent that did not justify in time is referred on its own (the case concludes once every part
    has ended). A part with a justification awaiting the office's decision waits for it. (An absence
    of every company is the case's own deadline: `act_on_expired_justifications`.)"""
    now = now or timezone.now()
    pending = AbsenceJustification.objects.filter(part=OuterRef("pk"), decision=AbsenceJustification.Decision.PENDING)
    due = (
        CaseCompany.objects.filter(
            status=PartStatus.ABSENT, justification_due_at__lt=now, complaint__justification_due_at__isnull=True
        )
        .exclude(Exists(pending))
        .order_by("justification_due_at", "pk")
        .values_list("pk", "complaint_id")
    )
    done = 0
    for pk, case_id in list(due[:limit]):
        try:
            with transaction.atomic():
                case = lock_case(case_id)
                part = CaseCompany.objects.select_for_update().get(pk=pk)
                # Re-read under the lock: a justification may have arrived at the last minute.
                if (
                    part.status != PartStatus.ABSENT
                    or part.justification_due_at is None
                    or part.justification_due_at >= now
                    or AbsenceJustification.objects.filter(
                        part=part, decision=AbsenceJustification.Decision.PENDING
                    ).exists()
                ):
                    continue
                part.complaint = case
                why = record_text(gettext_noop("The company did not justify its absence from the hearing in time."))
                part_move(part, PartStatus.REFERRED, by=None, reason=why, justification_due_at=None)
                notify_case_parties(
                    case,
                    "complaint_referred",
                    key=f"part:{part.pk}:absence-expired",
                    context={"reason": f"{part.display_name}: {why}"},
                )
            done += 1
        except CaseError:
            continue  # it moved meanwhile: nothing to do
    return done


def _notify_consequence(move: Move, *, company: bool) -> None:
    if company:
        notify_referred(move)
    else:
        notify_case_parties(
            move.case, "complaint_withdrawn", key=f"case-event:{move.event.pk}", context={"reason": move.event.reason}
        )


def act_on_expired_justifications(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: an absence not justified in time has its consequence — the company's case is referred
    (with a fine, by the legal department), the consumer's complaint is deemed withdrawn. A case
    with a justification awaiting the office's decision is left for that decision."""
    now = now or timezone.now()
    pending = AbsenceJustification.objects.filter(
        hearing__complaint=OuterRef("pk"), decision=AbsenceJustification.Decision.PENDING
    )
    due = (
        Complaint.objects.filter(status__in=[State.COMPANY_ABSENT, State.CONSUMER_ABSENT], justification_due_at__lt=now)
        .exclude(Exists(pending))
        .order_by("justification_due_at")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(due[:limit]):
        try:
            with transaction.atomic():
                case = lock_case(pk)
                # Re-read under the lock: a justification may have arrived at the last minute.
                if case.justification_due_at is None or case.justification_due_at >= now:
                    continue
                if AbsenceJustification.objects.filter(
                    hearing__complaint=case, decision=AbsenceJustification.Decision.PENDING
                ).exists():
                    continue
                company = case.status == State.COMPANY_ABSENT
                reason = record_text(
                    gettext_noop("The company did not justify its absence from the hearing in time.")
                    if company
                    else gettext_noop("The consumer did not justify their absence from the hearing in time.")
                )
                move = complaint_transition(
                    complaint=case,
                    transition="refer" if company else "deem_withdrawn",
                    by=None,
                    reason=reason,
                    justification_due_at=None,
                )
                _notify_consequence(move, company=company)
            done += 1
        except CaseError:
            continue  # it moved meanwhile: nothing to do
    return done
