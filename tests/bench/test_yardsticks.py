"""The bench's two yardsticks (bench/views.py), served only under bench/urls.py: the bare insert takes
anyone's POST; the signed-in one costs what any signed-in form POST costs (the session and the user
read, the CSRF token checked) before its one INSERT."""

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.views import CREATE_TABLE, TABLE


@pytest.fixture
def bench_urls(settings, db):
    settings.ROOT_URLCONF = "bench.urls"
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)


def rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0]


def signed_in(user) -> tuple[Client, str]:
    """A browser signed in as `user`, with a CSRF cookie, and the token its form would carry."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    request = HttpRequest()
    token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client, token


def test_the_bare_insert_takes_anyone_s_post(bench_urls):
    response = Client(enforce_csrf_checks=True).post("/bench/insert/")

    assert response.status_code == 204
    assert rows() == 1


def test_the_signed_in_insert_reads_the_session_and_the_user_and_checks_the_token(bench_urls, consumer):
    client, token = signed_in(consumer)

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/bench/signed-in-insert/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 204
    assert rows() == 1
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert '"django_session"' in tables and '"parties_user"' in tables


def test_the_signed_in_insert_refuses_a_post_without_the_token(bench_urls, consumer):
    client, _token = signed_in(consumer)

    assert client.post("/bench/signed-in-insert/").status_code == 403
    assert rows() == 0


def test_the_signed_in_insert_sends_someone_signed_out_to_log_in(bench_urls):
    response = Client().post("/bench/signed-in-insert/")

    assert response.status_code == 302
    assert rows() == 0
