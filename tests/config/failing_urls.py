"""The site's URLs plus three views that fail, for tests/config/test_error_pages.py. The error
handlers are the site's own (imported from config.urls, as Django reads them from the root URLconf)."""

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def broken(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug")


def database_down(request: HttpRequest) -> HttpResponse:
    # As Django raises it: its OperationalError, caused by the driver's.
    message = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    raise OperationalError(message) from psycopg.OperationalError(message)


def statement_timeout(request: HttpRequest) -> HttpResponse:
    message = "canceling statement due to statement timeout"
    raise OperationalError(message) from psycopg.errors.QueryCanceled(message)


def connection_lost(request: HttpRequest) -> HttpResponse:
    raise InterfaceError("connection already closed")


urlpatterns = [
    path("_test/broken/", broken),
    path("_test/database-down/", database_down),
    path("_test/connection-lost/", connection_lost),
    path("_test/statement-timeout/", statement_timeout),
    *site_urlpatterns,
]
