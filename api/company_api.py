"""The companies' API, /api/v1/: a company's served cases, their timelines, evidence and hearings,
and the moves a company makes on them (answer, offer, counter-offer, acta, compliance proof).

django-ninja (already the public API's library, reporting/api.py): typed operations whose pydantic
schemas are the OpenAPI document, served at /api/v1/openapi.json with its reference page at
/api/v1/docs from the app's own static files (no CDN, no inline script: the project's CSP).

Authentication by API key (api/auth.py), every call logged (api/middleware.py), errors with stable
codes in the caller's language (api/errors.py), idempotency keys on POSTs (api/idempotency.py),
reads scoped by api/selectors.py — the pages' scoping function, narrowed to the key's company."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from . import errors
from .auth import API_AUTH
from .idempotency import DEFAULT_HOURS
from .middleware import record_call
from .routers import actions, cases, hearings

DESCRIPTION = """
The API of the consumer-defense office for the companies that receive complaints: the company's
cases once it was served, their record, their evidence and hearings, and the company's moves on them.
Every write goes through the same rules as the pages, leaves the same record and sends the same notices.

- **Authentication**: an API key a company administrator creates (Company → API keys), sent as
  `Authorization: Bearer ck_…` (or `X-Api-Key: ck_…`). A key acts for the person who created it,
  within its scopes (`read`, `answer`, `offer`), and stops working when it is revoked or that person
  no longer represents the company (if they are invited again later, they create a new key).
- **Scope**: a key sees only its company's served cases; another company's id answers 404, exactly as
  a missing one.
- **Errors**: every error is `{"code": "…", "message": "…"}`; the code is stable
  (`invalid_key`, `scope_missing`, `not_found`, `validation_error`, `case_rule`, `rate_limited`,
  `idempotency_key_reused`, `idempotency_in_progress`, `file_rejected`, `request_too_large`,
  `method_not_allowed`), the message follows `Accept-Language` (Spanish by default, or English).
- **Rate limit**: a number of calls per key and minute; beyond it, 429 with `Retry-After`.
- **Idempotency**: send an `Idempotency-Key` header on a POST; a retry with the same key and the same
  request returns the first answer (header `Idempotent-Replayed: true`) and does nothing twice.
  A key is remembered for {idempotency_hours} hours; after that it is forgotten and the same key
  starts a new request.
- **Pages**: lists are pages of at most 100 items, newest first; pass back `next_cursor` as `cursor`.
""".replace("{idempotency_hours}", str(getattr(settings, "API_IDEMPOTENCY_HOURS", DEFAULT_HOURS)))


class LocalSwagger(Swagger):
    """Swagger UI from the app's static files, on a page with no inline script (CSP)."""

    template = "api/docs.html"


def read_only(view: Callable) -> Callable:
    """The document and its reference page answer GET (and HEAD); any other method a 405, in the API's
    JSON (config.middleware.ApiMethodNotAllowedMiddleware) — never the document, nor a CSRF page."""
    return csrf_exempt(require_safe(view))


api = NinjaAPI(
    urls_namespace="company_api",
    title="Concilia: the companies' API",
    description=DESCRIPTION,
    version="1",
    auth=API_AUTH,
    docs=LocalSwagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="docs",
    openapi_url="openapi.json",
    docs_decorator=read_only,
)
errors.install(api)
api.add_decorator(record_call, mode="view")

api.add_router("/cases", cases.router)
api.add_router("/evidence", cases.evidence_router)
api.add_router("/hearings", hearings.router)
api.add_router("", actions.router)


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """A path under /api/v1/ that names no operation (or an id that is not a number)."""
    return api.create_response(request, errors.not_found().body(), status=404)
