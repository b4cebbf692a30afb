from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

# Pages a staff member without MFA may still reach: enrolment itself, logout, the language switch.
_OPEN_URL_NAMES = {"account_logout", "account_reauthenticate", "set_language", "javascript-catalog"}


class StaffMFARequiredMiddleware:
    """Sends a staff member who has not enrolled an authenticator app to enrol before anything else."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_enrol(request):
            messages.warning(
                request, _("Staff accounts must set up two-step verification with an authenticator app first.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_enrol(self, request: HttpRequest) -> bool:
        user = request.user
        if not settings.MFA_REQUIRED_FOR_STAFF or not user.is_authenticated:
            return False
        if not (user.has_staff_role or user.is_staff):  # type: ignore[union-attr]
            return False
        if request.path_info.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return False
        try:
            url_name = resolve(request.path_info).url_name or ""
        except Resolver404:
            return False
        if url_name.startswith("mfa_") or url_name in _OPEN_URL_NAMES:
            return False
        return not is_mfa_enabled(user, [Authenticator.Type.TOTP])
