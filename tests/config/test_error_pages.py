"""When the site fails, the reader gets a branded page in their language: a 500 for a bug, a 503
"we are back in a moment" with Retry-After when the database cannot be reached, wherever the
failure came from (a view, or a middleware reading the session)."""

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.failing_urls")]


def failing_client(language: str) -> Client:
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)


def test_a_bug_shows_the_branded_error_page_in_spanish():
    response = failing_client("es-AR").get("/_test/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="es-ar">' in page
    assert "Defensa del Consumidor" in page
    assert "Ir a la página de inicio" in page
    assert response["Content-Language"] == "es-ar"


def test_a_bug_shows_the_branded_error_page_in_english():
    response = failing_client("en").get("/_test/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Something went wrong on our side" in page
    assert "Go to the home page" in page
    assert "Server Error (500)" not in page  # not Django's bare page


def test_the_language_cookie_wins_over_the_browser(settings):
    client = failing_client("en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es-ar"

    response = client.get("/_test/broken/")

    assert '<html lang="es-ar">' in response.content.decode()


def test_the_error_page_does_not_touch_the_database(django_assert_num_queries, consumer):
    client = failing_client("en")
    client.force_login(consumer)

    # Only the session and the user are read (by the middleware that marks signed-in pages private);
    # the page itself runs no query: no navigation, no inbox count.
    with django_assert_num_queries(2):
        response = client.get("/_test/broken/")

    assert response.status_code == 500


def test_an_unreachable_database_shows_we_are_back_in_a_moment():
    response = failing_client("en").get("/_test/database-down/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "We are back in a moment" in page
    assert "Something went wrong" not in page


def test_a_lost_connection_is_an_outage_too():
    response = failing_client("en").get("/_test/connection-lost/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_a_statement_timeout_is_a_fault_not_an_outage():
    """Deadlocks, timeouts and a full disk are OperationalErrors too: they must reach the error log
    as the bugs they are, not hide behind "we are back in a moment"."""
    response = failing_client("en").get("/_test/statement-timeout/")

    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_outage_page_is_in_spanish_for_a_spanish_reader():
    response = failing_client("es-AR").get("/_test/database-down/")

    assert response.status_code == 503
    assert '<html lang="es-ar">' in response.content.decode()


def test_an_outage_met_by_a_middleware_still_gets_the_503(monkeypatch, consumer):
    """The session is read by a middleware before any view runs; the database failing there is an
    outage too, not a bug."""
    client = failing_client("en")
    client.force_login(consumer)

    def unreachable(self):
        message = "server closed the connection unexpectedly"
        raise OperationalError(message) from psycopg.OperationalError(message)

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", unreachable)
    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "We are back in a moment" in response.content.decode()


def test_the_error_pages_carry_the_security_headers():
    response = failing_client("en").get("/_test/broken/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
