"""Every successful read of a case document by a signed-in person leaves a row in the access log
(Ley 25.326: staff reads of a case file are processing of personal data, and so are the parties').

One place, no view edited: after the response, if the request was a GET answered 2xx and its URL
name is declared in privacy/watched.py, one INSERT records who, what, which case, from where."""

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from privacy.services import access_log_record
from privacy.watched import WATCHED


def client_ip(request: HttpRequest) -> str | None:
    """The client's address the way allauth's rate limits see it (ALLAUTH_TRUSTED_PROXY_COUNT)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return None


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method == "GET" and 200 <= response.status_code < 300:
            match = request.resolver_match
            if match is not None and match.url_name in WATCHED:
                self._record(request, match.url_name, match.kwargs.get("pk"))
        return response

    def _record(self, request: HttpRequest, url_name: str, pk: object) -> None:
        user = request.user
        if not user.is_authenticated or not isinstance(pk, int):
            return
        access_log_record(
            user=user,  # our User, signed in
            url_name=url_name,
            object_id=pk,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
