"""Receivers for signals sent by the floor below (parties), which must not import notifications."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from notifications.services import notify_address
from parties.models import Invitation, User


def queue_invitation_email(sender: type, invitation: Invitation, **kwargs: object) -> None:
    """The invitation e-mail, once per invitation (the key is the invitation's id)."""
    existing_user = User.objects.filter(email__iexact=invitation.email).only("preferred_language").first()
    invited_by = invitation.invited_by
    with transaction.atomic():
        notify_address(
            email=invitation.email,
            event="company_invitation",
            context={
                "company_name": invitation.company.legal_name,
                "accept_url": settings.SITE_URL + reverse("invitation_accept", args=[invitation.token]),
                "invited_by": invited_by.display_name if invited_by else "",
                "expires_at": invitation.expires_at,
                "is_admin": invitation.is_admin,
            },
            idempotency_key=f"invitation:{invitation.pk}",
            language=existing_user.preferred_language if existing_user else None,
        )
