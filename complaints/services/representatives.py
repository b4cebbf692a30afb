"""The consumer's representative in a case (apoderado/a or patrocinio letrado): named by the
consumer or the office with the power, validated or rejected by an officer, revocable at any time by
the consumer or the office. Each move takes the case's row lock, records its event and tells the
consumer and the person named."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import actions
from complaints.errors import CaseError
from complaints.models import Complaint, ConsumerRepresentative
from complaints.services import case_url, lock_case, record_event
from complaints.states import OFFICE_ROLES
from notifications.services import notify
from parties.models import PowerStatus, Role, User
from parties.services import PartiesError, power_replaced_message, read_power_pdf

DECIDERS = (Role.OFFICER, Role.SUPERVISOR)


def may_name_consumer_rep(user: User, case: Complaint) -> bool:
    """The consumer who filed, or the office, while the case is open."""
    return (user.pk == case.consumer_id or user.role in OFFICE_ROLES) and not case.is_closed and bool(case.number)


def may_revoke_consumer_rep(user: User, rep: ConsumerRepresentative) -> bool:
    return rep.revoked_at is None and (user.pk == rep.complaint.consumer_id or user.role in OFFICE_ROLES)


def _tell(rep: ConsumerRepresentative, case: Complaint, update: str, key: str, reason: str = "") -> None:
    for recipient in (case.consumer, rep.user):
        notify(
            recipient=recipient,
            event="consumer_rep_update",
            context={
                "case_number": case.number,
                "case_url": case_url(case),
                "update": update,
                "representative_name": rep.user.display_name,
                "reason": reason,
            },
            idempotency_key=key,
            case_number=case.number or "",
        )


def consumer_rep_name(
    *, complaint: Complaint, by: User, email: str, kind: str, bar_registration: str = "", document: UploadedFile
) -> ConsumerRepresentative:
    """Name someone with an account on Concilia to represent the consumer; the power awaits the
    office's validation before they can act."""
    try:
        sha256 = read_power_pdf(document)
    except PartiesError as error:
        raise CaseError(str(error)) from None
    if kind == ConsumerRepresentative.Kind.LAWYER and not bar_registration.strip():
        raise CaseError(_("Enter the lawyer's bar registration (tomo y folio)."))
    person = User.objects.filter(email__iexact=email.strip()).first()
    if person is None:
        raise CaseError(
            _("No account uses %(email)s. Ask the person to sign up on Concilia first, then name them again.")
            % {"email": email}
        )
    with transaction.atomic():
        case = lock_case(complaint.pk)
        if not may_name_consumer_rep(by, case):
            raise CaseError(_("Only the consumer or the office can name a representative while the case is open."))
        if person.pk == case.consumer_id or person.has_staff_role:
            raise CaseError(_("This person cannot represent the consumer in this case."))
        if ConsumerRepresentative.objects.filter(complaint=case, user=person, revoked_at__isnull=True).exists():
            raise CaseError(_("%(name)s already represents the consumer in this case.") % {"name": person.display_name})
        rep = ConsumerRepresentative(
            complaint=case,
            user=person,
            kind=kind,
            bar_registration=bar_registration.strip(),
            power_sha256=sha256,
            named_by=by,
        )
        rep.power_document.save(f"{sha256[:16]}.pdf", document, save=False)
        rep.save()
        event = record_event(
            case=case,
            action=actions.CONSUMER_REP_NAMED.code,
            by=by,
            reason=f"{person.display_name} ({rep.get_kind_display()})",
        )
        _tell(rep, case, "named", f"case-event:{event.pk}")
    return rep


def consumer_rep_decide(
    *, rep: ConsumerRepresentative, by: User, validate: bool, reason: str = "", seen_sha256: str = ""
) -> ConsumerRepresentative:
    """The office validates or rejects the consumer's representative's power. `seen_sha256`: the
    SHA-256 of the PDF the officer opened; a different stored one refuses the decision. Each decision
    is told once (keyed by its case event)."""
    if by.role not in DECIDERS:
        raise CaseError(_("Only the office validates powers."))
    if not validate and not reason.strip():
        raise CaseError(_("Say why the power is rejected, so it can be fixed."))
    with transaction.atomic():
        case = lock_case(rep.complaint_id)
        rep = ConsumerRepresentative.objects.select_for_update(of=("self",)).select_related("user").get(pk=rep.pk)
        if rep.revoked_at is not None:
            raise CaseError(_("This representation was revoked."))
        if rep.power_status != PowerStatus.PENDING:
            raise CaseError(_("This power was already decided."))
        if seen_sha256 and seen_sha256 != rep.power_sha256:
            raise CaseError(power_replaced_message())
        rep.power_status = PowerStatus.VALIDATED if validate else PowerStatus.REJECTED
        rep.power_decided_by, rep.power_decided_at = by, timezone.now()
        rep.power_rejection_reason = "" if validate else reason.strip()
        rep.save(update_fields=["power_status", "power_decided_by", "power_decided_at", "power_rejection_reason"])
        action = actions.CONSUMER_REP_VALIDATED if validate else actions.CONSUMER_REP_REJECTED
        event = record_event(
            case=case,
            action=action.code,
            by=by,
            reason=f"{rep.user.display_name}. {rep.power_rejection_reason}".strip(),
        )
        _tell(rep, case, "validated" if validate else "rejected", f"case-event:{event.pk}", rep.power_rejection_reason)
    return rep


def consumer_rep_revoke(*, rep: ConsumerRepresentative, by: User) -> ConsumerRepresentative:
    with transaction.atomic():
        case = lock_case(rep.complaint_id)
        rep = ConsumerRepresentative.objects.select_for_update(of=("self",)).select_related("user").get(pk=rep.pk)
        rep.complaint = case
        if not may_revoke_consumer_rep(by, rep):
            raise CaseError(_("Only the consumer or the office can revoke this representation."))
        rep.revoked_at, rep.revoked_by = timezone.now(), by
        rep.save(update_fields=["revoked_at", "revoked_by"])
        event = record_event(case=case, action=actions.CONSUMER_REP_REVOKED.code, by=by, reason=rep.user.display_name)
        _tell(rep, case, "revoked", f"case-event:{event.pk}")
    return rep
