"""Writes on parties: profiles, companies, representatives and invitations, staff roles.
Each function is keyword-only, atomic, and raises a domain error with a message a person can read."""

import hashlib
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parties.models import (
    STAFF_ROLES,
    Company,
    ConciliatorProfile,
    Invitation,
    PowerStatus,
    Representation,
    Role,
    User,
)
from parties.signals import invitation_created


class PartiesError(Exception):
    """A refused action on parties; its message is shown to the person as it is."""


class InvitationError(PartiesError):
    pass


def power_replaced_message() -> str:
    """Why a decision on a power is refused when its PDF changed after the officer opened it."""
    return _(
        "The representative uploaded another document after you opened this power. Open the new PDF and decide again."
    )


def company_create(*, cuit: str, legal_name: str, by: User, **fields: str) -> Company:
    if Company.objects.filter(cuit=cuit).exists():
        raise PartiesError(_("A company with this CUIT is already registered."))
    try:
        with transaction.atomic():
            return Company.objects.create(cuit=cuit, legal_name=legal_name, created_by=by, **fields)
    except IntegrityError:
        raise PartiesError(_("A company with this CUIT is already registered.")) from None


def company_set_sector(*, company: Company, sector: str, by: User) -> Company:
    """Classify a company: its public figures are compared with this sector's."""
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        company.sector = sector
        company.save(update_fields=["sector"])
    return company


def company_set_electronic_domicile(*, company: Company, email: str, by: User) -> Company:
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        company.electronic_domicile = email.lower()
        company.electronic_domicile_set_at = timezone.now()
        company.save(update_fields=["electronic_domicile", "electronic_domicile_set_at"])
    return company


def invitation_create(*, company: Company, email: str, is_admin: bool, by: User) -> Invitation:
    email = email.lower()
    if Representation.objects.active().filter(company=company, user__email__iexact=email).exists():
        raise InvitationError(_("%(email)s already represents this company.") % {"email": email})
    with transaction.atomic():
        # A fresh invitation replaces any earlier pending one to the same address.
        Invitation.objects.filter(
            company=company, email=email, accepted_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=timezone.now())
        invitation = Invitation.objects.create(company=company, email=email, is_admin=is_admin, invited_by=by)
        transaction.on_commit(lambda: invitation_created.send(sender=Invitation, invitation=invitation))
    return invitation


def invitation_cancel(*, invitation: Invitation, by: User) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is None and invitation.cancelled_at is None:
            invitation.cancelled_at = timezone.now()
            invitation.save(update_fields=["cancelled_at"])


def invitation_accept(*, invitation: Invitation, user: User) -> Representation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationError(_("This invitation has already been used."))
        if invitation.cancelled_at is not None:
            raise InvitationError(_("This invitation was cancelled. Ask the company for a new one."))
        if invitation.expires_at <= timezone.now():
            raise InvitationError(_("This invitation has expired. Ask the company for a new one."))
        if invitation.email.lower() != user.email.lower():
            raise InvitationError(
                _("This invitation was sent to %(email)s. Log in with that address to accept it.")
                % {"email": invitation.email}
            )
        if user.has_staff_role:
            raise InvitationError(_("Office staff cannot represent a company."))
        representation, _created = Representation.objects.get_or_create(
            user=user, company=invitation.company, revoked_at__isnull=True, defaults={"is_admin": invitation.is_admin}
        )
        if invitation.is_admin and not representation.is_admin:
            representation.is_admin = True
            representation.save(update_fields=["is_admin"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    # Roles add up: a consumer who now speaks for a company keeps their own complaints.
    user.forget_party_roles()
    return representation


def representation_revoke(*, representation: Representation, by: User) -> None:
    with transaction.atomic():
        representation = Representation.objects.select_for_update().get(pk=representation.pk)
        if representation.revoked_at is not None:
            return
        if representation.user_id == by.pk:
            raise PartiesError(_("You cannot revoke your own access. Ask another admin of the company."))
        representation.revoked_at = timezone.now()
        representation.revoked_by = by
        representation.save(update_fields=["revoked_at", "revoked_by"])


def staff_role_grant(*, user: User, role: str, by: User | AnonymousUser) -> User:
    if role not in STAFF_ROLES and role != Role.CONSUMER:
        raise PartiesError(_("Only office roles can be granted here."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.representations.active().exists():
            raise PartiesError(_("This person represents a company and cannot hold an office role."))
        user.role = role
        user.save(update_fields=["role"])
        if role == Role.CONCILIATOR:
            ConciliatorProfile.objects.get_or_create(user=user)
    return user


# --- Powers (poder, statute): what lets a representative bind the company -----------------------


def read_power_pdf(document: UploadedFile) -> str:
    """Check the upload is a PDF (by its content, never its name) within the size limit; return its
    SHA-256, which the record keeps."""
    if not document.size:
        raise PartiesError(_("The file is empty. Upload the power as a PDF."))
    if document.size > settings.EVIDENCE_MAX_BYTES:
        raise PartiesError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(document.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    document.seek(0)
    if not document.read(5).startswith(b"%PDF-"):
        raise PartiesError(_("The power must be a PDF file (whatever its name says)."))
    document.seek(0)
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    document.seek(0)
    return digest.hexdigest()


def power_upload(
    *, representation: Representation, by: User, kind: str, document: UploadedFile, valid_until: date | None = None
) -> Representation:
    """The representative uploads their power; it awaits the office's validation (a new upload
    replaces a rejected or expired one, and must be validated again)."""
    sha256 = read_power_pdf(document)
    if valid_until is not None and valid_until < timezone.localdate():
        raise PartiesError(_("This power has already expired. Upload one that is still in force."))
    with transaction.atomic():
        representation = Representation.objects.select_for_update().get(pk=representation.pk)
        if representation.revoked_at is not None or representation.user_id != by.pk:
            raise PartiesError(_("Only the representative can upload their own power."))
        representation.power_kind = kind
        representation.power_document.save(f"{sha256[:16]}.pdf", document, save=False)
        representation.power_sha256 = sha256
        representation.power_valid_until = valid_until
        representation.power_status = PowerStatus.PENDING
        representation.power_decided_by = None
        representation.power_decided_at = None
        representation.power_rejection_reason = ""
        representation.save(
            update_fields=[
                "power_kind",
                "power_document",
                "power_sha256",
                "power_valid_until",
                "power_status",
                "power_decided_by",
                "power_decided_at",
                "power_rejection_reason",
            ]
        )
    return representation


def power_decide(
    *, representation: Representation, by: User, validate: bool, reason: str = "", seen_sha256: str = ""
) -> Representation:
    """The office validates or rejects an uploaded power; the representative is told.

    `seen_sha256`: the SHA-256 of the PDF the officer opened (the decision form's hidden field). If
    the representative replaced the file since, the decision is refused: it would be about a
    document nobody at the office read."""
    if by.role not in (Role.OFFICER, Role.SUPERVISOR):
        raise PartiesError(_("Only the office validates powers."))
    if not validate and not reason.strip():
        raise PartiesError(_("Say why the power is rejected, so the representative can fix it."))
    with transaction.atomic():
        representation = (
            Representation.objects.select_for_update(of=("self",))
            .select_related("company", "user")
            .get(pk=representation.pk)
        )
        if representation.revoked_at is not None:
            raise PartiesError(_("This person no longer represents the company."))
        if not representation.power_document:
            raise PartiesError(_("No power was uploaded yet."))
        if representation.power_status != PowerStatus.PENDING:
            raise PartiesError(_("This power was already decided."))
        if seen_sha256 and seen_sha256 != representation.power_sha256:
            raise PartiesError(power_replaced_message())
        representation.power_status = PowerStatus.VALIDATED if validate else PowerStatus.REJECTED
        representation.power_decided_by = by
        representation.power_decided_at = timezone.now()
        representation.power_rejection_reason = "" if validate else reason.strip()
        representation.save(
            update_fields=["power_status", "power_decided_by", "power_decided_at", "power_rejection_reason"]
        )
        from notifications.services import notify  # notifications depends on parties, not the reverse

        site = settings.SITE_URL.rstrip("/")
        notify(
            recipient=representation.user,
            event="power_decided",
            context={
                "company_name": representation.company.legal_name,
                "decision": representation.power_status,
                "reason": representation.power_rejection_reason,
                "company_url": site + reverse("company_detail", args=[representation.company_id]),
            },
            # Each decision is told: a second rejection of the same PDF too (after it was sent again).
            idempotency_key=(
                f"power:{representation.pk}:{representation.power_sha256}:{representation.power_status}"
                f":{representation.power_decided_at.timestamp()}"
            ),
        )
    return representation
