"""Cache-Control for pages with personal data: nothing a signed-in person is shown may be kept by the
browser's disk cache, its back/forward history or a proxy (a shared computer at a library or an
office is the case in mind)."""

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None:
        return False
    try:
        return bool(user.is_authenticated)
    except DatabaseError:
        # The session could not be read (the database is down): we cannot tell, so we do not let it be kept.
        return True


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in person. Sits below
    AuthenticationMiddleware; static files never reach it (WhiteNoise answers them above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if _signed_in(request):
            patch_cache_control(response, no_store=True, private=True)
        return response
