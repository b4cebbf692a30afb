"""Assisted filing: an officer files a complaint for a citizen who came in person, phoned, chatted or
wrote on WhatsApp. The citizen gets (or keeps) a consumer account so they can follow the case."""

import secrets
from dataclasses import dataclass

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Channel, Complaint
from complaints.services.filing import complaint_start_draft
from parties.models import ConsumerProfile, Role, User


class AssistedFilingError(Exception):
    """A refused assisted filing; the message is shown to the officer as it is."""


@dataclass(frozen=True)
class CitizenDetails:
    email: str
    first_name: str
    last_name: str
    dni: str
    phone: str
    street_address: str
    city: str
    province: str
    # A citizen without e-mail: reached by phone, with the consent recorded at the desk.
    no_email: bool = False
    sms_consent: bool = False
    whatsapp_consent: bool = False


@dataclass(frozen=True)
class AssistedFiling:
    complaint: Complaint
    citizen: User
    account_created: bool


def assisted_filing_start(*, by: User, channel: str, citizen: CitizenDetails, request: HttpRequest) -> AssistedFiling:
    """Find or create the citizen's consumer account and start a draft filed by the officer.

    A new account has no usable password and an unverified address; after commit the citizen is
    sent allauth's password-setting e-mail (the reset flow), which proves the address when used.
    `request` is only for that e-mail: allauth builds the link from it."""
    if channel == Channel.WEB or channel not in Channel.values:
        raise AssistedFilingError(_("Choose how the citizen contacted the office."))
    with transaction.atomic():
        if citizen.no_email:
            user, created = _citizen_without_email(citizen)
            case = complaint_start_draft(consumer=user, filed_by=by, channel=channel)
            return AssistedFiling(complaint=case, citizen=user, account_created=created)
        user, created = _citizen_account(citizen)
        case = complaint_start_draft(consumer=user, filed_by=by, channel=channel)
        if created:
            email = user.email
            transaction.on_commit(lambda: _send_account_invitation(request=request, email=email))
    return AssistedFiling(complaint=case, citizen=user, account_created=created)


def _citizen_account(citizen: CitizenDetails) -> tuple[User, bool]:
    email = citizen.email.strip().lower()
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
        user = address.user if address else None
    if user is not None:
        if not user.may_act_as_consumer:
            raise AssistedFilingError(
                _(
                    "The address %(email)s belongs to an account that is not a consumer's. "
                    "Use the citizen's own address."
                )
                % {"email": email}
            )
        if not ConsumerProfile.objects.filter(user=user).exists():
            _create_profile(user, citizen)
            if not (user.first_name or user.last_name):
                user.first_name, user.last_name = citizen.first_name, citizen.last_name
                user.save(update_fields=["first_name", "last_name"])
        return user, False
    user = User(
        email=email,
        first_name=citizen.first_name.strip(),
        last_name=citizen.last_name.strip(),
        role=Role.CONSUMER,
    )
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    _create_profile(user, citizen)
    return user, True


def _create_profile(user: User, citizen: CitizenDetails) -> ConsumerProfile:
    now = timezone.now()
    return ConsumerProfile.objects.create(
        user=user,
        dni=citizen.dni,
        phone=citizen.phone,
        street_address=citizen.street_address.strip(),
        city=citizen.city.strip(),
        province=citizen.province,
        sms_consent_at=now if citizen.sms_consent else None,
        whatsapp_consent_at=now if citizen.whatsapp_consent else None,
    )


# Reserved by RFC 2606: nothing is ever delivered there, and the outbox never writes to it.
NO_EMAIL_DOMAIN = "concilia.invalid"


def placeholder_email() -> str:
    return f"sin-correo+{secrets.token_hex(8)}@{NO_EMAIL_DOMAIN}"


def _citizen_without_email(citizen: CitizenDetails) -> tuple[User, bool]:
    """The account of a citizen who has no e-mail address: reached by SMS and/or WhatsApp (at least
    one consent is required), signed in only through the desk. The address is a placeholder, never
    written to and never verified. A citizen who comes back (the same DNI, also without e-mail)
    keeps their account; their consents are brought up to date."""
    if not (citizen.sms_consent or citizen.whatsapp_consent):
        raise AssistedFilingError(_("Record the citizen's consent to be notified by SMS or WhatsApp."))
    if not citizen.phone:
        raise AssistedFilingError(_("Enter the citizen's phone: they are notified on it."))
    profile = (
        ConsumerProfile.objects.select_for_update()
        .filter(dni=citizen.dni, user__has_no_email=True)
        .select_related("user")
        .first()
    )
    if profile is not None:
        now = timezone.now()
        profile.phone = citizen.phone
        profile.sms_consent_at = (profile.sms_consent_at or now) if citizen.sms_consent else None
        profile.whatsapp_consent_at = (profile.whatsapp_consent_at or now) if citizen.whatsapp_consent else None
        profile.save(update_fields=["phone", "sms_consent_at", "whatsapp_consent_at", "updated_at"])
        return profile.user, False
    user = User(
        email=placeholder_email(),
        first_name=citizen.first_name.strip(),
        last_name=citizen.last_name.strip(),
        role=Role.CONSUMER,
        has_no_email=True,
    )
    user.set_unusable_password()
    user.save()
    _create_profile(user, citizen)
    return user, True


def _send_account_invitation(*, request: HttpRequest, email: str) -> None:
    """allauth's password-reset e-mail doubles as the invitation: its link lets the citizen choose a
    password. It goes through the account adapter, hence through the outbox when that is configured."""
    form = ResetPasswordForm(data={"email": email})
    # allauth reads the request from its context (set by its middleware); this may run after the
    # response (on commit, in a worker), so set it explicitly.
    with request_context(request):
        if form.is_valid():
            form.save(request)
