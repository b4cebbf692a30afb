"""The agreement's follow-up: the consumer is asked once the deadline comes (beat), says whether it
was honoured (or the office does), and the company files proof of compliance. An agreement paid in
instalments is asked about each instalment as it falls due: a missed one is a breach (the breach
path below), and once every one is paid the agreement is complied with (the confirm path)."""

from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.records import on_record, record_text
from complaints.representation import parts_represented_by
from complaints.services import case_url, complaint_transition, lock_case, notify_case_parties, record_event
from complaints.services.parts import is_multi_company, part_move
from complaints.states import State
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import Agreement, ComplianceProof, Instalment
from .shared import BATCH, checked_upload, notify_referred, stored_name


def ask_consumers_about_compliance(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: once an approved agreement's deadline has come, ask the consumer whether it was honoured.
    Each agreement is asked once (compliance_asked_at; the outbox key makes a re-run send nothing).
    An agreement in instalments is asked about each instalment instead (ask_about_instalments)."""
    now = now or timezone.now()
    due = (
        Agreement.objects.filter(
            compliance_asked_at__isnull=True,
            compliance_due__lte=timezone.localdate(now),
            complaint__status=State.AGREEMENT_APPROVED,
        )
        .exclude(Exists(Instalment.objects.filter(agreement=OuterRef("pk"))))
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
    return done + ask_about_instalments(now, limit=limit)


def ask_about_instalments(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: ask the consumer about each instalment of an approved agreement once it falls due, once
    (asked_at, under the instalment's lock; the outbox key makes a re-run send nothing)."""
    now = now or timezone.now()
    due = (
        Instalment.objects.filter(
            asked_at__isnull=True,
            due_date__lte=timezone.localdate(now),
            agreement__complaint__status=State.AGREEMENT_APPROVED,
        )
        .order_by("due_date", "pk")
        .values_list("pk", "agreement__complaint_id")
    )
    done = 0
    for pk, case_id in list(due[:limit]):
        with transaction.atomic():
            case = lock_case(case_id)
            instalment = Instalment.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=pk)
            if instalment.asked_at is not None or case.status != State.AGREEMENT_APPROVED:
                continue
            instalment.asked_at = now
            instalment.save(update_fields=["asked_at"])
            agreement = instalment.agreement
            if agreement.compliance_asked_at is None:  # the follow-up has begun (the consumer's home lists it)
                Agreement.objects.filter(pk=agreement.pk).update(compliance_asked_at=now)
            count = agreement.instalments.count()
            label = record_text(
                gettext_noop("Instalment %(number)s of %(count)s, %(amount)s, due %(date)s."),
                number=instalment.number,
                count=count,
                amount=f"ARS {instalment.amount:.2f}",
                date=on_record(instalment.due_date),
            )
            record_event(case=case, action="instalment_asked", by=None, reason=label)
            notify_case_parties(
                case,
                "compliance_due",
                key=f"instalment:{instalment.pk}:due",
                company=False,
                context={
                    "compliance_due": instalment.due_date,
                    "terms": f"{label}\n{agreement.terms}",
                    "case_url": case_url(case),
                },
            )
        done += 1
    return done


def instalment_confirm_paid(*, instalment: Instalment, by: User) -> Instalment:
    """The consumer (or the office) confirms an instalment was paid. The last one paid confirms
    the agreement's compliance (its company's part, in a case of several)."""
    with transaction.atomic():
        case = lock_case(instalment.agreement.complaint_id)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        locked = (
            Instalment.objects.select_for_update(of=("self",)).select_related("agreement__part").get(pk=instalment.pk)
        )
        if locked.paid_confirmed_at is not None or locked.reported_missed_at is not None:
            raise HearingError(_("This instalment was already answered."))
        _check_open(case, locked.agreement)
        locked.paid_confirmed_at, locked.paid_confirmed_by = timezone.now(), by
        locked.save(update_fields=["paid_confirmed_at", "paid_confirmed_by"])
        record_event(
            case=case,
            action="instalment_paid",
            by=by,
            reason=record_text(gettext_noop("Instalment %(number)s paid."), number=locked.number),
        )
        unpaid = locked.agreement.instalments.filter(paid_confirmed_at__isnull=True).exists()
        if not unpaid:
            compliance_confirm(complaint=case, by=by, agreement=locked.agreement)
    return locked


def instalment_report_missed(*, instalment: Instalment, by: User, details: str) -> Instalment:
    """The consumer (or the office) reports an instalment that fell due unpaid: a breach of the
    agreement, referred as any breach (compliance_report_breach)."""
    details = details.strip()
    if not details:
        raise HearingError(_("Say what the company did not pay."))
    with transaction.atomic():
        case = lock_case(instalment.agreement.complaint_id)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        locked = (
            Instalment.objects.select_for_update(of=("self",)).select_related("agreement__part").get(pk=instalment.pk)
        )
        if locked.paid_confirmed_at is not None or locked.reported_missed_at is not None:
            raise HearingError(_("This instalment was already answered."))
        if locked.due_date > timezone.localdate():
            raise HearingError(_("This instalment is not due yet."))
        _check_open(case, locked.agreement)
        locked.reported_missed_at = timezone.now()
        locked.save(update_fields=["reported_missed_at"])
        why = record_text(
            gettext_noop("Instalment %(number)s, due %(date)s, was not paid."),
            number=locked.number,
            date=on_record(locked.due_date),
        )
        compliance_report_breach(complaint=case, by=by, details=f"{why} {details}", agreement=locked.agreement)
    return locked


def _check_open(case: Complaint, agreement: Agreement) -> None:
    """In a case of several companies, the instalment's company's part must still be followed."""
    if is_multi_company(case) and (agreement.part is None or agreement.part.status != PartStatus.AGREEMENT):
        raise HearingError(_("This company's agreement is no longer being followed."))


def instalment_proof_upload(*, instalment: Instalment, by: User, upload: UploadedFile) -> Instalment:
    """A representative of the company that owes the instalment files proof of its payment (the same
    checks as any proof of compliance). A later upload replaces the earlier one."""
    content_type = checked_upload(upload)
    with transaction.atomic():
        case = lock_case(instalment.agreement.complaint_id)
        policy.ensure(policy.UPLOAD_COMPLIANCE_PROOF, by, case)
        locked = Instalment.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=instalment.pk)
        mine = set(parts_represented_by(by, case).values_list("pk", flat=True))
        if locked.agreement.part_id is not None and locked.agreement.part_id not in mine:
            raise HearingError(
                _("Only a representative of the company that owes this instalment can upload its proof.")
            )
        previous = locked.proof.name if locked.proof else ""
        locked.proof.save(stored_name(content_type), upload, save=False)
        locked.proof_original_name, locked.proof_content_type = upload.name or "", content_type
        locked.proof_uploaded_at, locked.proof_uploaded_by = timezone.now(), by
        try:
            locked.save(
                update_fields=[
                    "proof",
                    "proof_original_name",
                    "proof_content_type",
                    "proof_uploaded_at",
                    "proof_uploaded_by",
                ]
            )
        except Exception:
            locked.proof.delete(save=False)
            raise
        record_event(
            case=case,
            action="instalment_proof_uploaded",
            by=by,
            reason=f"{locked.number} · {locked.proof_original_name}",
        )
    if previous:
        locked.proof.storage.delete(previous)
    return locked


def _open_agreement(case: Complaint, agreement: Agreement | None) -> Agreement | None:
    """In a case of several companies: the agreement answered for (its company's part still open).
    None in a case of one company: the case itself moves, as always."""
    if not is_multi_company(case):
        return None
    open_ones = [a for a in policy.agreements_of(case) if a.part is not None and a.part.status == PartStatus.AGREEMENT]
    if agreement is None and len(open_ones) == 1:
        return open_ones[0]
    chosen = next((a for a in open_ones if agreement is not None and a.pk == agreement.pk), None)
    if chosen is None:
        raise HearingError(_("Choose which company's agreement you are answering for."))
    return chosen


def compliance_confirm(*, complaint: Complaint, by: User, agreement: Agreement | None = None) -> Complaint:
    """The agreement was honoured: the case is closed as complied. In a case of several companies,
    `agreement` names the company's: its part ends as complied, and the case concludes once every
    company's part has ended."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        chosen = _open_agreement(case, agreement)
        if chosen is not None:
            assert chosen.part is not None
            chosen.part.complaint = case
            part_move(
                chosen.part,
                PartStatus.COMPLIED,
                by=by,
                reason=record_text(gettext_noop("The company complied with the agreement.")),
            )
            notify_case_parties(
                case,
                "case_update",
                key=f"agreement:{chosen.pk}:complied",
                context={"update": "compliance_confirmed"},
            )
            case.refresh_from_db()
            return case
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


def compliance_report_breach(
    *, complaint: Complaint, by: User, details: str, agreement: Agreement | None = None
) -> Complaint:
    """The agreement was not honoured: breached, then referred by the system at once (breaching an
    agreement is itself an infraction, Ley 24.240 art. 46). In a case of several companies only
    that company's part is referred (the case concludes once every part has ended)."""
    details = details.strip()
    if not details:
        raise HearingError(_("Say what the company did not do."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        policy.ensure(policy.ANSWER_COMPLIANCE, by, case)
        chosen = _open_agreement(case, agreement)
        if chosen is not None:
            assert chosen.part is not None
            chosen.part.complaint = case
            why = record_text(gettext_noop("The agreement was breached (Ley 24.240, art. 46)."))
            part_move(chosen.part, PartStatus.REFERRED, by=by, reason=f"{why} {details}")
            notify_case_parties(
                case,
                "complaint_referred",
                key=f"agreement:{chosen.pk}:breached",
                context={"reason": f"{chosen.part.display_name}: {why} {details}"},
            )
            case.refresh_from_db()
            return case
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


def compliance_proof_upload(
    *, complaint: Complaint, by: User, upload: UploadedFile, note: str = "", part: CaseCompany | None = None
) -> ComplianceProof:
    """A representative of the company files proof that it paid or delivered, on their company's
    agreement: `part`'s when they act for one company of the case (the API's key), otherwise the
    first of the companies they represent in it that has one (the page). Never another company's."""
    content_type = checked_upload(upload)
    with transaction.atomic():
        case = lock_case(complaint.pk)
        if part is not None:
            part = CaseCompany.objects.select_related("company").get(pk=part.pk, complaint_id=case.pk)
            part.complaint = case
        policy.ensure(policy.UPLOAD_COMPLIANCE_PROOF, by, part or case)
        mine = [part] if part is not None else list(parts_represented_by(by, case))
        agreement = policy.compliance_agreement_for(case, mine)
        if agreement is None:  # the rule refused it already
            raise HearingError(_("Your company has no agreement to prove in this case."))
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
