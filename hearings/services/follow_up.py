"""The agreement's follow-up: the consumer is asked once the deadline comes (beat), says whether it
was honoured (or the office does), and the company files proof of compliance."""

from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import Complaint
from complaints.services import case_url, complaint_transition, lock_case, notify_case_parties, record_event
from complaints.states import State
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import Agreement, ComplianceProof
from .shared import BATCH, checked_upload, notify_referred, on_record, record_text, stored_name


def ask_consumers_about_compliance(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: once an approved agreement's deadline has come, ask the consumer whether it was honoured.
    Each agreement is asked once (compliance_asked_at; the outbox key makes a re-run send nothing)."""
    now = now or timezone.now()
    due = (
        Agreement.objects.filter(
            compliance_asked_at__isnull=True,
            compliance_due__lte=timezone.localdate(now),
            complaint__status=State.AGREEMENT_APPROVED,
        )
        .order_by("compliance_due", "pk")
        .values_list("pk", "complaint_id")
    )
    done = 0
    for pk, case_id in list(due[:limit]):
        with transaction.atomic():
            case = lock_case(case_id)
            agreement = Agreement.objects.select_for_update().get(pk=pk)
            if agreement.compliance_asked_at is not None or case.status != State.AGREEMENT_APPROVED:
                continue
            agreement.compliance_asked_at = now
            agreement.save(update_fields=["compliance_asked_at"])
            record_event(case=case, action="compliance_asked", by=None, reason=on_record(agreement.compliance_due))
            notify_case_parties(
                case,
                "compliance_due",
                key=f"agreement:{agreement.pk}:compliance-due",
                company=False,
                context={
                    "compliance_due": agreement.compliance_due,
                    "terms": agreement.terms,
                    "case_url": case_url(case, "compliance_answer"),
                },
            )
        done += 1
    return done


def compliance_confirm(*, complaint: Complaint, by: User) -> Complaint:
    """The agreement was honoured: the case is closed as complied."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        move = complaint_transition(
            complaint=case,
            transition="confirm_compliance",
            by=by,
            reason=record_text(gettext_noop("The company complied with the agreement.")),
        )
        notify_case_parties(
            move.case, "case_update", key=f"case-event:{move.event.pk}", context={"update": "compliance_confirmed"}
        )
    return move.case


def compliance_report_breach(*, complaint: Complaint, by: User, details: str) -> Complaint:
    """The agreement was not honoured: breached, then referred by the system at once (breaching an
    agreement is itself an infraction, Ley 24.240 art. 46)."""
    details = details.strip()
    if not details:
        raise HearingError(_("Say what the company did not do."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        breach = complaint_transition(complaint=case, transition="report_breach", by=by, reason=details)
        notify_case_parties(
            breach.case,
            "agreement_breached",
            key=f"case-event:{breach.event.pk}",
            consumer=False,
            context={"details": details, "reported_at": breach.event.created_at},
        )
        referral = complaint_transition(
            complaint=breach.case,
            transition="refer",
            by=None,
            reason=record_text(gettext_noop("The agreement was breached (Ley 24.240, art. 46).")),
        )
        notify_referred(referral)
    return referral.case


def compliance_proof_upload(*, complaint: Complaint, by: User, upload: UploadedFile, note: str = "") -> ComplianceProof:
    """A representative of the company files proof that it paid or delivered."""
    content_type = checked_upload(upload)
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.UPLOAD_COMPLIANCE_PROOF, by, case)
        agreement = policy.agreement_of(case)
        assert agreement is not None  # the rule asked for one
        proof = ComplianceProof(
            agreement=agreement,
            original_name=upload.name or "",
            content_type=content_type,
            size=upload.size or 0,
            note=note.strip(),
            uploaded_by=by,
        )
        proof.file.save(stored_name(content_type), upload, save=False)
        try:
            proof.save()
        except Exception:
            proof.file.delete(save=False)
            raise
        record_event(case=case, action="compliance_proof_uploaded", by=by, reason=proof.note or proof.original_name)
    return proof
