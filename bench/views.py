"""The yardsticks filing is measured against: the least a Django view that writes can do, anonymous and
signed in."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# bench/load.py creates it in the filing database before the server starts.
TABLE = "bench_insert"
CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """One INSERT in its own transaction (autocommit), through the whole middleware stack."""
    return _insert()


@require_POST
@login_required
def signed_in_insert(request: HttpRequest) -> HttpResponse:
    """The same INSERT as a signed-in person's form POST: the session and the user are read and the CSRF
    token is checked, as for the filing POST. The least any signed-in write can cost here."""
    return _insert()


def _insert() -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (at) VALUES (now())")
    return HttpResponse(status=204)
