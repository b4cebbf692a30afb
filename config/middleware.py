"""Inputs no page accepts, refused before any view sees them; and, for the companies' API (/api/v1/),
the refusals Django or django-ninja make before the API's own handlers, answered in the API's JSON."""

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils import translation

from api.errors import defer_request_error, method_not_allowed_response, nul_bytes_response

API_PATH = "/api/v1/"
# The JSON APIs (django-ninja) whose GET operations also answer HEAD: the companies' and the public one.
HEAD_AS_GET_PATHS = (API_PATH, "/api/publica/v1/")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(request: HttpRequest) -> bool:
    """A NUL character in the address, the query string or posted form fields (names or values).
    No text anyone types contains one, and PostgreSQL refuses it in a query ("A string literal
    cannot contain NUL"), which would otherwise surface as a 500 in every search box."""
    if "\x00" in request.path_info:
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        try:
            sources.append(request.POST)
        except MultiPartParserError:
            return False  # a malformed body: the view's own reading of it answers that
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for source in sources
        for key, values in source.lists()
    )


class RejectNulBytesMiddleware:
    """Answer 400 with a page that says what is wrong, for a NUL byte anywhere in the form input.
    Refusing (rather than stripping) keeps what is stored exactly what was sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            has_nul = _has_nul(request)
        except SuspiciousOperation as error:  # Django's limits: too many files or fields, too much data
            if not request.path_info.startswith(API_PATH):
                raise  # Django answers a page's with its 400 page
            # The companies' API answers it in its JSON once it knows the key (and logs the call).
            defer_request_error(request, error)
            return self.get_response(request)
        if has_nul:
            if request.path_info.startswith(API_PATH):
                return nul_bytes_response()  # the companies' API answers in its own JSON
            html = render_to_string("errors/bad_input.html", {"LANGUAGE_CODE": translation.get_language()})
            return HttpResponseBadRequest(html)
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """The JSON APIs' HTTP methods, which django-ninja leaves to Django:

    - HEAD is answered as GET without its body (headers and Content-Length included), in the companies'
      API (/api/v1/) and the public one (/api/publica/v1/): django-ninja routes by method and knows
      only the operation's own (GET), so it would answer 405.
    - In the companies' API, a wrong method (405) is answered in the API's own JSON, like its other
      errors (django-ninja answers it in plain text, before any of the API's handlers); GET there is
      also HEAD in the Allow header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        head = request.method == "HEAD" and request.path_info.startswith(HEAD_AS_GET_PATHS)
        if head:
            # The view runs as for GET (the key, the rate limit and the call's record included);
            # request.META["REQUEST_METHOD"] still says HEAD.
            request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            if head:
                request.method = "HEAD"
        if (
            response.status_code == 405
            and request.path_info.startswith(API_PATH)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
            if "GET" in allowed and "HEAD" not in allowed:
                allowed.append("HEAD")
            response = method_not_allowed_response(request.method or "", allowed)
        return _without_body(response) if head else response


def _without_body(response: HttpResponseBase) -> HttpResponseBase:
    """A HEAD answer: the GET's status and headers (Content-Length included, set by CommonMiddleware
    or FileResponse), no body. A file is never read: the server's close() of the response closes it."""
    if isinstance(response, StreamingHttpResponse):  # FileResponse too
        response.streaming_content = iter(())
    elif isinstance(response, HttpResponse):
        response.content = b""
    return response
