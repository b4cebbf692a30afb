"""Inputs no page accepts, refused before any view sees them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils import translation

from api.errors import nul_bytes_response

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
        if _has_nul(request):
            if request.path_info.startswith("/api/v1/"):
                return nul_bytes_response()  # the companies' API answers in its own JSON
            html = render_to_string("errors/bad_input.html", {"LANGUAGE_CODE": translation.get_language()})
            return HttpResponseBadRequest(html)
        return self.get_response(request)
