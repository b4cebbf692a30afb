"""Reporting reads from the replica (config/routers.py), for real: two connections, two sessions.

How the replica exists in a test. With DATABASE_REPLICA_URL set, config/settings.py adds the alias
"replica" with TEST["MIRROR"] = "default": Django's test runner points it at the test database,
but it stays a *second connection* (django/test/utils.py `setup_databases` only copies the NAME;
django/test/testcases.py opens a separate atomic block on each alias). So in an ordinary
transaction-wrapped test the replica cannot see the rows the test wrote, exactly like a real
replica cannot see an uncommitted transaction. These tests are therefore transactional
(`transaction=True`: every write commits, the tables are flushed after each test) and read through
the replica connection what the default connection committed.

The full suite runs without DATABASE_REPLICA_URL (the other reporting tests are wrapped in a
transaction the replica could not see into), so the `replica` fixture below adds the alias for the
length of one test exactly as config/settings.py builds it: the default's settings with
TEST["MIRROR"] = "default". When the run does set DATABASE_REPLICA_URL, the configured alias is
used as it is (`test_settings_build_the_replica_alias_from_the_url` checks what settings.py makes
of the variable)."""

import copy
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import CaseCompany, Complaint
from config.routers import REPLICA, ReportingReplicaRouter, read_database, reads_from_replica, replica_reads
from parties.models import Company, Sector
from reporting.models import CaseFact, CompanyFigure, SectorFigure

ROOT = Path(__file__).resolve().parents[2]

# Transactional: the replica's own connection sees only what the default connection committed.
pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def _replica_alias() -> Iterator[None]:
    """The "replica" alias for this module: the one DATABASE_REPLICA_URL configured, or else one added
    as config/settings.py adds it (a mirror of the test database, through a connection of its own).
    Module-scoped, so it exists before each test's database access is set up (Django refuses an
    alias a test names but the settings lack), and is gone before the next module."""
    added = REPLICA not in connections.settings
    if added:
        replica_settings = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
        replica_settings["TEST"] = {**replica_settings.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
        connections.settings[REPLICA] = replica_settings
    yield
    # Django's teardown closes the default's pool, not a mirror's: close it here, or the test database
    # cannot be dropped while the replica's pooled sessions hold it.
    connection = connections[REPLICA]
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL's wrapper only
    if added:
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(transactional_db) -> BaseDatabaseWrapper:
    return connections[REPLICA]


@pytest.fixture
def without_replica() -> Iterator[None]:
    """No "replica" alias, as when DATABASE_REPLICA_URL is unset (the alias is hidden for the test)."""
    hidden = connections.settings.pop(REPLICA)
    yield
    connections.settings[REPLICA] = hidden


@pytest.fixture
def companies(transactional_db) -> list[Company]:
    """Two companies, committed (the replica connection sees only committed rows)."""
    return [
        Company.objects.create(cuit="30710000014", legal_name="Electrodomésticos del Sur S.A.", sector=Sector.RETAIL),
        Company.objects.create(
            cuit="30710000022", legal_name="Conectar Telecomunicaciones S.A.", sector=Sector.TELECOM
        ),
    ]


# --- Tiny views: each does what a reporting view does, and says where its reads went. ------------------


@reads_from_replica
def report_view(request: HttpRequest) -> JsonResponse:
    names = list(Company.objects.order_by("legal_name").values_list("legal_name", flat=True))
    return JsonResponse({"names": names, "count": Company.objects.count(), "read_from": read_database()})


@reads_from_replica
def report_view_that_writes(request: HttpRequest) -> HttpResponse:
    Company.objects.create(cuit="30500010912", legal_name="Banco del Plata S.A.", sector=Sector.BANKING)
    return HttpResponse("ok")


def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(Company.objects.count()))


def _chunks() -> Iterator[str]:
    """A streamed file reads as it is sent: one query per chunk, after the view has returned."""
    for company in Company.objects.order_by("pk").iterator(chunk_size=1):
        yield f"{company.cuit},{read_database()}\n"
    yield f"total,{Company.objects.count()}\n"


@reads_from_replica
def streamed_report(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_chunks(), content_type="text/csv")


def stream_replica_only_in_the_view(request: HttpRequest) -> StreamingHttpResponse:
    """The naive way, for contrast: the replica is chosen while the view runs, not while it streams."""
    with replica_reads():
        return StreamingHttpResponse(_chunks(), content_type="text/csv")


def _tables(queries: list[dict[str, str]]) -> str:
    return " ".join(query["sql"] for query in queries)


@contextmanager
def captured(replica: BaseDatabaseWrapper) -> Iterator[tuple[CaptureQueriesContext, CaptureQueriesContext]]:
    """The queries on the default connection and on the replica's, side by side."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        CaptureQueriesContext(replica) as on_replica,
    ):
        yield on_default, on_replica


def chunks_of(response: StreamingHttpResponse) -> Iterator[bytes]:
    assert not response.is_async
    return cast(Iterator[bytes], response.streaming_content)


# --- Without DATABASE_REPLICA_URL: one database for everything -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_replica_every_read_goes_to_default(without_replica, companies) -> None:
    assert "replica" not in settings.DATABASES
    with replica_reads():
        assert read_database() == DEFAULT_DB_ALIAS
        assert Company.objects.all().db == DEFAULT_DB_ALIAS
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default:
        response = report_view(RequestFactory().get("/"))
    body = json.loads(response.content)
    assert body == {"names": [c.legal_name for c in sorted(companies, key=lambda c: c.legal_name)], "count": 2,
                    "read_from": "default"}  # fmt: skip
    assert len(on_default) == 2


# --- With a replica -----------------------------------------------------------------------------------


def test_a_decorated_view_reads_only_from_the_replica(replica, companies) -> None:
    with captured(replica) as (on_default, on_replica):
        response = report_view(RequestFactory().get("/"))
    body = json.loads(response.content)
    # The replica saw what the default connection committed.
    assert body["count"] == 2
    assert body["names"] == ["Conectar Telecomunicaciones S.A.", "Electrodomésticos del Sur S.A."]
    assert body["read_from"] == REPLICA
    assert len(on_replica) == 2
    assert "parties_company" in _tables(on_replica.captured_queries)
    assert on_default.captured_queries == []


def test_the_replica_is_a_connection_of_its_own(replica, companies) -> None:
    """Not the default's connection under another name: it has its own database session."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_database()")
        default_pid, default_name = cursor.fetchone()
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_database()")
        replica_pid, replica_name = cursor.fetchone()
    assert replica_pid != default_pid
    assert replica_name == default_name  # the test database, which the mirror reads


def test_outside_a_reporting_view_reads_stay_on_default(replica, companies) -> None:
    with captured(replica) as (on_default, on_replica):
        response = plain_view(RequestFactory().get("/"))
    assert response.content == b"2"
    assert len(on_default) == 1
    assert on_replica.captured_queries == []
    assert read_database() == DEFAULT_DB_ALIAS
    assert Company.objects.all().db == DEFAULT_DB_ALIAS


def test_writes_inside_a_reporting_view_go_to_default(replica, companies) -> None:
    with captured(replica) as (on_default, on_replica):
        report_view_that_writes(RequestFactory().get("/"))
    assert any(query["sql"].startswith("INSERT") for query in on_default.captured_queries)
    assert not any(query["sql"].startswith("INSERT") for query in on_replica.captured_queries)
    assert Company.objects.filter(legal_name="Banco del Plata S.A.").exists()


def test_the_context_ends_with_the_view_even_when_it_raises(replica, companies) -> None:
    @reads_from_replica
    def failing(request: HttpRequest) -> HttpResponse:
        assert read_database() == REPLICA
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing(RequestFactory().get("/"))
    assert read_database() == DEFAULT_DB_ALIAS


def test_a_streamed_response_keeps_reading_from_the_replica_while_it_is_sent(replica, companies) -> None:
    response = streamed_report(RequestFactory().get("/"))
    assert read_database() == DEFAULT_DB_ALIAS  # the view has returned
    with captured(replica) as (on_default, on_replica):
        body = b"".join(chunks_of(response)).decode()
    assert body.splitlines() == [f"{companies[0].cuit},replica", f"{companies[1].cuit},replica", "total,2"]
    assert on_default.captured_queries == []
    assert "parties_company" in _tables(on_replica.captured_queries)
    assert read_database() == DEFAULT_DB_ALIAS


def test_between_two_chunks_the_server_is_not_left_on_the_replica(replica, companies) -> None:
    """The replica is chosen while a chunk is made, not while the server writes it out: whatever runs
    between two chunks (the server, a signal) reads and writes where it would anyway."""
    response = streamed_report(RequestFactory().get("/"))
    chunks = iter(chunks_of(response))
    assert next(chunks) == f"{companies[0].cuit},replica\n".encode()
    assert read_database() == DEFAULT_DB_ALIAS
    with CaptureQueriesContext(replica) as on_replica:
        assert Company.objects.count() == 2
    assert on_replica.captured_queries == []
    assert b"".join(chunks).decode().splitlines() == [f"{companies[1].cuit},replica", "total,2"]
    response.close()
    assert read_database() == DEFAULT_DB_ALIAS


def test_a_stream_closed_early_leaves_no_replica_behind(replica, companies) -> None:
    response = streamed_report(RequestFactory().get("/"))
    chunks = iter(chunks_of(response))
    next(chunks)
    response.close()  # the client went away
    assert read_database() == DEFAULT_DB_ALIAS


def test_choosing_the_replica_only_inside_the_view_would_stream_from_default(replica, companies) -> None:
    """Why the decorator wraps the iterator: the rows of a streamed file are read after the view returns."""
    response = stream_replica_only_in_the_view(RequestFactory().get("/"))
    with captured(replica) as (on_default, on_replica):
        body = b"".join(chunks_of(response)).decode()
    assert f"{companies[0].cuit},default" in body
    assert on_replica.captured_queries == []
    assert len(on_default) >= 2


def test_an_async_streamed_response_reads_from_the_replica(replica, companies) -> None:
    from asgiref.sync import async_to_sync, sync_to_async

    async def chunks() -> AsyncIterator[str]:
        yield await sync_to_async(lambda: f"{read_database()},{Company.objects.count()}")()

    @reads_from_replica
    def view(request: HttpRequest) -> StreamingHttpResponse:
        return StreamingHttpResponse(chunks())

    response = view(RequestFactory().get("/"))
    assert response.is_async

    async def receive() -> list[bytes]:
        return [part async for part in response.streaming_content]  # type: ignore[union-attr]

    # A server runs the stream in its own thread: no event loop runs there (in this test's thread one
    # may, e.g. Playwright's from the browser tests). async_to_sync brings the sync parts back to it.
    seen: dict[str, object] = {}

    def serve() -> None:
        try:
            with CaptureQueriesContext(connections[REPLICA]) as on_replica:
                seen["parts"] = async_to_sync(receive)()
            seen["replica_queries"] = len(on_replica)
        finally:
            connections.close_all()

    server = threading.Thread(target=serve)
    server.start()
    server.join()
    assert seen["parts"] and b"".join(seen["parts"]) == b"replica,2"  # type: ignore[arg-type]
    assert seen["replica_queries"] == 1
    assert read_database() == DEFAULT_DB_ALIAS


@pytest.mark.django_db  # no query here: no need to flush the tables after it
def test_the_router_never_migrates_the_replica_and_relates_across_aliases() -> None:
    assert REPLICA in connections.settings
    router = ReportingReplicaRouter()
    assert router.allow_migrate(REPLICA, "reporting") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "reporting") is True
    assert router.db_for_write(Company) is None
    with replica_reads():
        assert router.db_for_write(Company) is None
        assert router.db_for_read(Company) == REPLICA
    assert router.db_for_read(Company) is None


# --- The real reporting pages -------------------------------------------------------------------------

PAST_MONTH = date(2026, 3, 1)


@pytest.fixture
def published(companies, consumer) -> Company:
    """The summary rows the refresh writes, committed: a published company with its sector's figures,
    and one of its parts closed in a past month (for the open-data file)."""
    company = companies[1]
    # Verified by the office (its electronic domicile set up): it may be named (reporting/publication.py).
    Company.objects.filter(pk=company.pk).update(electronic_domicile_set_at=timezone.now())
    CompanyFigure.objects.create(
        company=company,
        sector=company.sector,
        window_start=date(2025, 3, 1),
        window_end=date(2026, 3, 31),
        received=120,
        closed=80,
        answered_share=0.8,
        agreement_rate=0.6,
        published=True,
        refreshed_at=timezone.now(),
    )
    SectorFigure.objects.create(
        sector=company.sector,
        window_start=date(2025, 3, 1),
        window_end=date(2026, 3, 31),
        companies=3,
        received=400,
        closed=300,
        refreshed_at=timezone.now(),
    )
    case = Complaint.objects.create(consumer=consumer, company=company)
    part = CaseCompany.objects.create(complaint=case, company=company, cuit=company.cuit, name=company.legal_name)
    CaseFact.objects.create(
        part=part,
        complaint=case,
        company=company,
        filed_on=PAST_MONTH.replace(day=2),
        filed_month=PAST_MONTH,
        closed_on=PAST_MONTH.replace(day=20),
        closed_month=PAST_MONTH,
        province="CABA",
        channel="web",
        sector=company.sector,
        status="withdrawn",
        closed=True,
        refreshed_at=timezone.now(),
    )
    return company


def _reporting_reads(queries: list[dict[str, str]]) -> list[str]:
    return [query["sql"] for query in queries if "reporting_" in query["sql"]]


def _assert_reporting_read_the_replica(on_default: CaptureQueriesContext, on_replica: CaptureQueriesContext) -> None:
    """The summary tables were read on the replica and never on default. Default keeps only what runs
    outside the view (the session, the logged-in user, the second-factor check)."""
    assert _reporting_reads(on_replica.captured_queries)
    assert _reporting_reads(on_default.captured_queries) == []
    assert not any(
        query["sql"].lstrip().startswith(("INSERT", "UPDATE", "DELETE")) for query in on_replica.captured_queries
    )


def test_the_dashboard_reads_the_replica(replica, published, supervisor, client_for) -> None:
    client = client_for(supervisor)
    with captured(replica) as (on_default, on_replica):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    _assert_reporting_read_the_replica(on_default, on_replica)


def test_a_companys_own_figures_read_the_replica(replica, published, representative, client_for) -> None:
    client = client_for(representative)
    with captured(replica) as (on_default, on_replica):
        response = client.get(reverse("company_figures"))
    assert response.status_code == 200
    _assert_reporting_read_the_replica(on_default, on_replica)


def test_the_public_pages_read_the_replica(replica, published, client) -> None:
    for url, names_it in (
        (reverse("transparency"), False),
        (reverse("transparency") + "?q=Conectar", True),
        (reverse("transparency_company", args=[published.cuit]), True),
        (reverse("transparency_sector", args=[published.sector]), True),
    ):
        with captured(replica) as (on_default, on_replica):
            response = client.get(url)
        assert response.status_code == 200, url
        assert (published.legal_name in response.content.decode()) is names_it, url
        _assert_reporting_read_the_replica(on_default, on_replica)
        assert on_default.captured_queries == [], url  # no session, no user: nothing else to read


def test_the_open_data_file_streams_from_the_replica(replica, published, client) -> None:
    url = reverse("open_data_file", kwargs={"year": PAST_MONTH.year, "month": PAST_MONTH.month, "fmt": "csv"})
    with captured(replica) as (on_default, on_replica):
        response = client.get(url)
        assert isinstance(response, StreamingHttpResponse)
        lines = b"".join(chunks_of(response)).decode().splitlines()
    assert response.status_code == 200
    assert len(lines) == 2  # the header and the one closed part
    _assert_reporting_read_the_replica(on_default, on_replica)
    assert on_default.captured_queries == []


# --- What config/settings.py makes of DATABASE_REPLICA_URL ----------------------------------------------


def _settings_databases(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({a: {'ENGINE': d['ENGINE'], 'NAME': d['NAME'], 'HOST': d['HOST'], "
        "'TEST': d.get('TEST', {}), 'POOL': 'pool' in d.get('OPTIONS', {})} for a, d in settings.DATABASES.items()}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    if "DATABASE_REPLICA_URL" not in env:
        environment.pop("DATABASE_REPLICA_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_settings_build_the_replica_alias_from_the_url() -> None:
    databases = _settings_databases(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/concilia_primary",
        DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/concilia_copy",
    )
    assert databases["replica"]["ENGINE"] == "config.postgresql"
    assert databases["replica"]["NAME"] == "concilia_copy"
    assert databases["replica"]["HOST"] == "replica.internal"
    assert databases["replica"]["TEST"]["MIRROR"] == "default"
    assert databases["default"]["TEST"]["MIRROR"] is None
    assert databases["replica"]["POOL"] == databases["default"]["POOL"]
    without = _settings_databases(DATABASE_URL="postgres://postgres@127.0.0.1:5432/concilia_primary")
    assert list(without) == ["default"]
