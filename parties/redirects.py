"""Where to send a person after a form: the `next` they came with, if it stays on this site."""

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "home", *, field: str = "next") -> str:
    """The `next` URL from the form or the query string when it is a path on this host (or a full
    URL of this host and scheme); otherwise `default`, a URL name or path. Anything else, e.g.
    `https://evil.example/`, `//evil.example/`, `/\\evil.example` or a bare word, falls back: a bare
    word would be read by `redirect()` as a view name."""
    candidate = (request.POST.get(field) or request.GET.get(field) or "").strip()
    if candidate and _is_local(request, candidate):
        return candidate
    return resolve_url(default)


def _is_local(request: HttpRequest, url: str) -> bool:
    if not url.startswith("/") and "://" not in url:
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
