"""Around every operation of the company API (installed with `api.add_decorator(..., mode="view")`,
so it wraps authentication too): the company's audit log of its machine access — one ApiCall row
per call made with a valid key, whatever its answer (a refusal after authentication included), and
per call made with a key whose secret is right but that no longer works (revoked, its creator gone:
a 401); a call with an unknown key has no company to log it to — and the `Idempotent-Replayed` header."""

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from privacy.middleware import client_ip

from .errors import describe
from .models import ApiCall

PATH_MAX = 300
IDEMPOTENCY_KEY_MAX = 200


def record_call(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(run)
    def recorded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = run(request, *args, **kwargs)
        except Exception as exc:
            # What the caller gets: Django answers some itself (e.g. a SuspiciousOperation is a 400).
            error = describe(exc)
            _log(request, error.status if error is not None else 500)
            raise
        if getattr(request, "idempotent_replayed", False):
            response["Idempotent-Replayed"] = "true"
        _log(request, response.status_code)
        return response

    return recorded


def _log(request: HttpRequest, status: int) -> None:
    # The key that authenticated the call; else one whose secret matched but that no longer
    # qualifies (a refused call of the company's, api/auth.py); an unknown key is no company's.
    context = getattr(request, "api_key_context", None)
    key = context.key if context is not None else getattr(request, "api_key_called", None)
    if key is None:
        return
    ApiCall.objects.create(
        company_id=key.company_id,
        key_id=key.pk,
        method=(request.META.get("REQUEST_METHOD") or request.method or "")[:8],
        path=request.get_full_path()[:PATH_MAX],
        status=status,
        idempotency_key=request.headers.get("Idempotency-Key", "")[:IDEMPOTENCY_KEY_MAX],
        ip=client_ip(request),
    )
