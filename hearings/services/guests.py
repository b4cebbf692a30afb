"""Guests of a hearing: a companion, an interpreter or a sign-language interpreter the office or the
hearing's conciliator invites. A guest has no account: a personal link with a random key opens the
hearing's room (a token that never makes them moderator, hearings.jitsi.guest_token). The key is
shown once to whoever invited them and e-mailed to the guest when an address was given. The guest's
row keeps only its SHA-256, but the invitation e-mail in the outbox (notifications.Notification,
event "hearing_guest_invited") holds the link in its body until the retention job strips or deletes
it (NOTIFICATION_RETENTION_DAYS after it was sent): until then, a copy of the database can open the
room during the hearing's window, unless the office withdraws the link."""

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.services import lock_case, record_event
from notifications.services import notify_address
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..models import Hearing, HearingGuest
from .shared import lock_hearing

KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
KEY_MAX = 100  # a longer key in a URL is nobody's: not even hashed


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def guest_url(key: str) -> str:
    return settings.SITE_URL + reverse("hearing_guest_room", args=[key])


def _on_record(guest: HearingGuest) -> str:
    """The guest as the case's record names them, in the office's language whoever acted."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{guest.name} ({HearingGuest.Kind(guest.kind).label})"


def guest_invite(
    *, hearing: Hearing, by: User, kind: str, name: str, email: str = "", phone: str = ""
) -> tuple[HearingGuest, str]:
    """Invite a guest to a hearing still to be held: (the guest, the key of their link). The key is
    returned once and never stored; the guest is e-mailed the link when `email` is given."""
    name, email, phone = name.strip(), email.strip().lower(), phone.strip()
    if kind not in HearingGuest.Kind.values:
        raise HearingError(_("Choose whether the guest is a companion, an interpreter or a sign-language interpreter."))
    if not name:
        raise HearingError(_("Write the guest's full name."))
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        hearing = lock_hearing(hearing.pk)
        policy.ensure(policy.INVITE_GUEST, by, hearing)
        key = secrets.token_urlsafe(KEY_BYTES)
        guest = HearingGuest.objects.create(
            hearing=hearing,
            kind=kind,
            name=name[:200],
            email=email,
            phone=phone[:20],
            key_sha256=key_digest(key),
            invited_by=by,
        )
        record_event(case=case, action="guest_invited", by=by, reason=_on_record(guest))
        if email:
            notify_address(
                email=email,
                event="hearing_guest_invited",
                context={
                    "hearing_start": hearing.starts_at,
                    "guest_url": guest_url(key),
                    "guest_name": guest.name,
                    "guest_kind": HearingGuest.Kind(kind).label,
                },
                idempotency_key=f"hearing:{hearing.pk}:guest:{guest.pk}",
                case_number=case.number or "",
            )
    return guest, key


def guest_revoke(*, guest: HearingGuest, by: User) -> HearingGuest:
    """Withdraw a guest's invitation: their link opens nothing from now on (already revoked: no-op)."""
    with transaction.atomic():
        case = lock_case(guest.hearing.complaint_id)
        hearing = lock_hearing(guest.hearing_id)
        if by.pk != hearing.conciliator_id and not policy.is_office(by):
            raise HearingError(_("Only the office or the hearing's conciliator invite guests to it."))
        guest = HearingGuest.objects.select_for_update().get(pk=guest.pk)
        if guest.revoked_at is not None:
            return guest
        guest.revoked_at = timezone.now()
        guest.save(update_fields=["revoked_at"])
        record_event(case=case, action="guest_revoked", by=by, reason=_on_record(guest))
    return guest


def guest_for_key(key: str) -> HearingGuest | None:
    """The guest whose link this is, revoked or not (the page says why it does not open)."""
    if not key or len(key) > KEY_MAX:
        return None
    return (
        HearingGuest.objects.select_related("hearing", "hearing__complaint", "hearing__conciliator")
        .filter(key_sha256=key_digest(key))
        .first()
    )
