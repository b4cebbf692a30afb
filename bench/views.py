"""The yardstick filing is measured against: the least a Django view that writes can do."""

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
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (at) VALUES (now())")
    return HttpResponse(status=204)
