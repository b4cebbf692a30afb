"""Writes on parties: profiles, companies, representatives and invitations, staff roles.
Each function is keyword-only, atomic, and raises a domain error with a message a person can read."""

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parties.models import STAFF_ROLES, Company, ConciliatorProfile, Invitation, Representation, Role, User
from parties.signals import invitation_created


class PartiesError(Exception):
    """A refused action on parties; its message is shown to the person as it is."""


class InvitationError(PartiesError):
    pass


def company_create(*, cuit: str, legal_name: str, by: User, **fields: str) -> Company:
    if Company.objects.filter(cuit=cuit).exists():
        raise PartiesError(_("A company with this CUIT is already registered."))
    try:
        with transaction.atomic():
            return Company.objects.create(cuit=cuit, legal_name=legal_name, created_by=by, **fields)
    except IntegrityError:
        raise PartiesError(_("A company with this CUIT is already registered.")) from None


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
