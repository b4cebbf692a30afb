"""Two-step verification for staff: whether this session passed it, and enrolment counting as
passing it."""

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver
from django.http import HttpRequest


def session_passed_mfa(request: HttpRequest) -> bool:
    """This session's login (or a later step in it) included the second factor. allauth records
    each step of a login in the session; its code and recovery-code forms add one with method
    "mfa". A login that never went through allauth (the Django admin's own form, `client.login`)
    records none."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


@receiver(authenticator_added)
def _enrolment_passes_mfa(
    sender: type, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Setting up an authenticator app takes a code from it, after the password was asked again:
    the session has just shown the second factor, so staff go on without logging in again."""
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True)
