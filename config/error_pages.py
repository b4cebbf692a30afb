"""The pages a person sees when the site itself fails: a branded 500 and, when the database cannot be
reached, a 503 "we are back in a moment" with Retry-After.

Both render without a RequestContext: no context processor runs (the navigation and the inbox count
query the database, which may be the very thing that is down), and nothing here touches the ORM.
The language is the reader's: LocaleMiddleware's choice, or, when the failure came before it ran,
the same choice made again from the cookie and Accept-Language."""

import logging
import sys

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.utils import translation
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

# Long enough for a PostgreSQL restart or a failover; short enough that nobody gives up.
RETRY_AFTER_SECONDS = 30


# PostgreSQL's own words for "the server went away": class 08 (connection exception) and the
# shutdown states. Other OperationalErrors (a statement timeout, a deadlock, a full disk) are faults
# to see in the error log, not a moment to wait out.
_OUTAGE_SQLSTATES = ("57P01", "57P02", "57P03")


def is_database_outage(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (restart, failover, a pool that
    could not hand out a connection in time): a moment later the same request will work."""
    if isinstance(exc, InterfaceError):
        return True  # Django's word for a connection that is already closed
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, PoolTimeout):
        return True
    if not isinstance(cause, psycopg.Error):
        return False  # SQLite ("database is locked") and anything else: a fault, not an outage
    sqlstate = cause.sqlstate
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES


def _language_of(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)


def _render(request: HttpRequest, template_name: str, status: int) -> HttpResponse:
    with translation.override(_language_of(request)):
        language = translation.get_language()
        body = loader.get_template(template_name).render({"LANGUAGE_CODE": language})
    response = HttpResponse(body, status=status)
    response["Content-Language"] = language
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    response = _render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Django calls it inside its `except` block, so the exception is still at hand: a
    database outage raised outside a view (the session or the login in a middleware) still gets
    the 503 page rather than the generic error."""
    if is_database_outage(sys.exc_info()[1]):
        return database_unavailable(request)
    return _render(request, "500.html", status=500)


class DatabaseUnavailableMiddleware:
    """Turns a view that failed because the database is unreachable into a 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        logger.warning("Database unavailable while serving %s", request.path, exc_info=exception)
        return database_unavailable(request)
