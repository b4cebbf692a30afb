"""The company API's errors: one body for all of them, a stable code a program reads and a message a
person reads, in the caller's language (Accept-Language, through Django's LocaleMiddleware):

    {"code": "not_found", "message": "…"}                 (+ "errors": [...] for validation_error)

Raise `ApiError(status, code, message)` anywhere inside an operation; the domain's own refusals
(complaints.errors.CaseError, hearings.errors.HearingError) are 409 `case_rule` with the domain's
message; Http404 and DoesNotExist are 404 `not_found` with the same body for a stranger's id as for
a missing one. Django's own limits on reading a request (settings.DATA_UPLOAD_MAX_*) are 413
`request_too_large` for too much data, 400 `validation_error` for too many files or fields.
`install(api)` registers the handlers on the NinjaAPI; `error_responses(...)` gives
an operation's documented error responses for its `response={...}`."""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as ParameterError

from complaints.errors import CaseError

# The stable codes (a program reads these; never reword one).
INVALID_KEY = "invalid_key"
SCOPE_MISSING = "scope_missing"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
VALIDATION_ERROR = "validation_error"
CASE_RULE = "case_rule"
RATE_LIMITED = "rate_limited"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
FILE_REJECTED = "file_rejected"
REQUEST_TOO_LARGE = "request_too_large"
METHOD_NOT_ALLOWED = "method_not_allowed"


class ApiError(Exception):
    """An answer other than success, raised anywhere inside an operation."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    @classmethod
    def from_body(cls, status: int, body: Mapping[str, Any]) -> "ApiError":
        """The error again from its stored body (an idempotent replay)."""
        return cls(status, str(body.get("code", "")), str(body.get("message", "")), errors=body.get("errors"))


# --- The documented shapes -------------------------------------------------------------------------


class FieldProblem(Schema):
    field: str = Field(..., description="Where the problem is, e.g. `query.limit` or `body.amount`")
    message: str = Field(..., description="What is wrong with it, in the caller's language")


class ErrorOut(Schema):
    code: str = Field(..., description="A stable code, e.g. `not_found`, `scope_missing`, `case_rule`")
    message: str = Field(..., description="What happened, in the caller's language (Accept-Language)")
    errors: list[FieldProblem] | None = Field(None, description="For `validation_error`: each invalid field")


_DESCRIPTIONS = {
    400: "Invalid input (`validation_error`), or an upload refused (`file_rejected`)",
    401: "Missing, unknown, revoked or no longer valid API key (`invalid_key`)",
    403: "The key lacks the scope this operation needs (`scope_missing`)",
    404: "No such object among the company's cases (`not_found`): the same for another company's id",
    405: "This path does not take this HTTP method (`method_not_allowed`); see the Allow header",
    409: "A rule of the case refuses it now (`case_rule`), or the same Idempotency-Key is still running "
    "(`idempotency_in_progress`)",
    413: "The request's data besides its files is too large (`request_too_large`)",
    422: "The Idempotency-Key was used before for a different request (`idempotency_key_reused`)",
    429: "Too many calls with this key this minute (`rate_limited`); see the Retry-After header",
}

# What every authenticated operation may answer.
COMMON_ERRORS = (400, 401, 403, 404, 429)


def error_responses(*extra: int) -> dict[int, type[ErrorOut]]:
    """`response={200: X, **error_responses()}`: the common errors (400, 401, 403, 404, 429) and
    `extra` ones (e.g. 409, 422 for a POST)."""
    return {status: ErrorOut for status in sorted({*COMMON_ERRORS, *extra})}


def error_descriptions() -> dict[int, str]:
    return dict(_DESCRIPTIONS)


# --- From an exception to (status, body) ---------------------------------------------------------


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND, gettext("Not found among your company's cases."))


def invalid_key() -> ApiError:
    return ApiError(
        401,
        INVALID_KEY,
        gettext(
            "The API key is missing, unknown or no longer valid. Send it as “Authorization: Bearer ck_…”; "
            "your company's administrator can create a new one."
        ),
    )


def _field_name(location: Any) -> str:
    return ".".join(str(part) for part in location or ())


def _validation_error(error: ParameterError) -> ApiError:
    problems = []
    for item in error.errors:
        field = _field_name(item.get("loc"))
        if item.get("type") == "missing":
            message = gettext("This field is required.")
        else:
            # pydantic's own words are English: kept as the detail, after a sentence in the caller's language.
            message = gettext("This value is not valid: %(detail)s") % {"detail": item.get("msg", "")}
        problems.append({"field": field, "message": message})
    return ApiError(400, VALIDATION_ERROR, gettext("Some of the data sent is not valid."), errors=problems)


def describe(exc: Exception) -> ApiError | None:
    """The API's answer to an exception raised in an operation, or None for a bug (a 500)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AuthenticationError):
        return invalid_key()
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return not_found()
    if isinstance(exc, CaseError):
        return ApiError(409, CASE_RULE, str(exc))
    if isinstance(exc, ParameterError):
        return _validation_error(exc)
    if isinstance(exc, RawPostDataException):
        # A form (multipart) sent to an operation that reads a JSON body: the form was read first.
        return ApiError(
            400, VALIDATION_ERROR, gettext("This operation takes a JSON body (Content-Type: application/json).")
        )
    if isinstance(exc, DjangoValidationError):
        return ApiError(
            400,
            VALIDATION_ERROR,
            " ".join(exc.messages),
            errors=[{"field": field, "message": " ".join(messages)} for field, messages in _error_dict(exc).items()],
        )
    if isinstance(exc, PermissionDenied):
        return ApiError(403, FORBIDDEN, str(exc) or gettext("You may not do this."))
    if isinstance(exc, SuspiciousOperation):
        return _request_refused(exc)
    if isinstance(exc, HttpError) and exc.status_code < 500:
        return ApiError(exc.status_code, VALIDATION_ERROR if exc.status_code == 400 else NOT_FOUND, str(exc))
    return None


def _request_refused(exc: SuspiciousOperation) -> ApiError:
    """Django's own limits on a request (settings.DATA_UPLOAD_MAX_*), met while reading it."""
    if isinstance(exc, RequestDataTooBig):
        return ApiError(
            413,
            REQUEST_TOO_LARGE,
            gettext("The request is too large: at most %(size)s of data besides its files.")
            % {"size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace("\xa0", " ")},
        )
    if isinstance(exc, TooManyFilesSent):
        message = gettext("The request holds too many files: at most %(count)s.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    elif isinstance(exc, TooManyFieldsSent):
        message = gettext("The request holds too many fields: at most %(count)s.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    else:
        message = gettext("The request could not be read.")
    return ApiError(400, VALIDATION_ERROR, message)


def _error_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {}


def install(api: NinjaAPI) -> None:
    """Every error the operations can meet, answered with the one body."""

    def handle(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        error = describe(exc) if isinstance(exc, Exception) else None
        if error is None:
            raise exc
        if isinstance(exc, SuspiciousOperation):  # logged as Django logs the ones it answers itself
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
        response = api.create_response(request, error.body(), status=error.status)
        for name, value in error.headers.items():
            response[name] = value
        return response

    for kind in (
        ApiError,
        AuthenticationError,
        Http404,
        ObjectDoesNotExist,
        CaseError,
        ParameterError,
        DjangoValidationError,
        PermissionDenied,
        HttpError,
        RawPostDataException,
        SuspiciousOperation,
    ):
        api.add_exception_handler(kind, handle)


class ManagementError(Exception):
    """A refused change to a company's API keys or webhooks (api/services/); its message is shown to
    the person as it is."""


def nul_bytes_response() -> HttpResponse:
    """The API's answer to a NUL character in a form field (config.middleware.RejectNulBytesMiddleware
    refuses those before any view: for /api/v1/ it answers this rather than the site's HTML page)."""
    error = ApiError(400, VALIDATION_ERROR, gettext("The request holds a NUL character, which no field accepts."))
    return JsonResponse(error.body(), status=400)


# --- Refusals met before an operation runs (config/middleware.py) -----------------------------------

_DEFERRED = "_api_deferred_request_error"


def defer_request_error(request: HttpRequest, exc: SuspiciousOperation) -> None:
    """A request Django refused to read (too many files or fields, too much data), met by a middleware
    before the API: kept for the API to answer once it knows whose call it is — a 401 for an unknown
    key, otherwise this error in the API's body, in the company's log (`raise_deferred_request_error`)."""
    setattr(request, _DEFERRED, exc)


def raise_deferred_request_error(request: HttpRequest) -> None:
    """Called once the key is known (api/auth.py): the request's body could not be read."""
    exc = getattr(request, _DEFERRED, None)
    if exc is not None:
        raise exc


def method_not_allowed_response(method: str, allowed: Iterable[str]) -> HttpResponse:
    """The API's 405 (django-ninja answers a wrong method in plain text, with no handler to change it)."""
    methods = sorted(allowed)
    error = ApiError(
        405,
        METHOD_NOT_ALLOWED,
        gettext("This address does not take %(method)s requests; it takes: %(allowed)s.")
        % {"method": method[:10], "allowed": ", ".join(methods)},
    )
    response = JsonResponse(error.body(), status=405)
    response["Allow"] = ", ".join(methods)
    return response
