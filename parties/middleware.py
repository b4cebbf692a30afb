from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from parties.mfa import session_passed_mfa

# Pages a staff member without MFA may still reach: enrolment itself, logout, the language switch.
_OPEN_URL_NAMES = {"account_logout", "account_reauthenticate", "set_language", "javascript-catalog"}
# Pages any staff session may reach, enrolled or not, second factor given or not (a subset of the above).
_ALWAYS_OPEN_URL_NAMES = {"account_logout", "set_language", "javascript-catalog"}


class StaffMFARequiredMiddleware:
    """Staff must use two-step verification: a staff member without an authenticator app is sent
    to enrol before anything else, and a staff session that got in with the password alone is
    logged out and sent to log in again, where allauth asks for the code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        """Runs once Django has resolved the address (request.resolver_match), just before the view:
        an address that names no page never gets here, and the URL is not resolved a second time."""
        url_name = self._guarded_url_name(request)
        if url_name is None or url_name in _ALWAYS_OPEN_URL_NAMES:
            return None  # open whether or not the second factor was set up or given: nothing to ask
        if not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
            if url_name.startswith("mfa_") or url_name in _OPEN_URL_NAMES:
                return None
            messages.warning(
                request, _("Staff accounts must set up two-step verification with an authenticator app first.")
            )
            return redirect("mfa_activate_totp")
        # Enrolled: the authenticator pages too are closed to a password-only session, or it could
        # read the recovery codes or swap the authenticator for its own.
        if session_passed_mfa(request):
            return None
        logout(request)
        messages.warning(request, _("Log in again with your password and the code from your authenticator app."))
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")

    def _guarded_url_name(self, request: HttpRequest) -> str | None:
        """The URL name of a page that needs the staff check, or None when it does not apply."""
        user = request.user
        if not settings.MFA_REQUIRED_FOR_STAFF or not user.is_authenticated:
            return None
        if not (user.has_staff_role or user.is_staff):
            return None
        if request.path_info.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return None
        match = request.resolver_match
        return None if match is None else match.url_name or ""
