"""Time the pages that must stay fast at national volume, against the database bench/seed.py filled.

    DJANGO_ENV=test .venv/bin/python bench/run.py [--repeat 5] [--slow-ms 200] [--output bench/RESULTS.md]
    DJANGO_ENV=test .venv/bin/python bench/run.py --compare-paths   # pair rows == facts, every pair of filters

Each page is requested through Django's test Client, logged in (force_login) as the officer, the
conciliator or the representative of the company with the most cases, exactly as a browser would
get it: middleware, session, MFA check, template. One warm-up request, then `--repeat` timed ones
(at least REPORTING_REPEAT for the reporting pages of issue 14, whose target is a p95); the table
shows the median and 95th-percentile wall time, the number of SQL queries (CaptureQueriesContext, on
every database alias: the reporting pages read from "replica" when DATABASE_REPLICA_URL is set) and
how much of the time was SQL. A streamed download is timed twice: to its first rows (what a client
waits before data flows) and to its last byte. For every row slower than `--slow-ms`, the slowest queries
are run again under EXPLAIN (ANALYZE, BUFFERS) and their plans are appended to the results.

The database is DATABASE_URL (default postgres://postgres@127.0.0.1:5432/concilia_bench). DEBUG is
off unless the environment says otherwise, as in production.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concilia_bench")
os.environ.setdefault("DEBUG", "0")
warnings.filterwarnings("ignore", "No directory at")  # staticfiles/ exists only after collectstatic

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Max, Q, Sum  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints.models import CaseCompany, Complaint  # noqa: E402
from complaints.selectors import complaints_visible_to  # noqa: E402
from hearings.models import Hearing  # noqa: E402
from hearings.scheduling import propose_slots  # noqa: E402
from parties.models import Company, Representation, Role, User  # noqa: E402
from parties.paginator import LIST_CAP  # noqa: E402

PAGE_SIZE = 25
# Notes written by hand below this line of RESULTS.md (diagnoses, proposals) survive a new run.
NOTES_MARKER = "<!-- Notes below were written by hand; bench/run.py keeps them when it rewrites this file. -->"
EXPLAINED_PER_ROW = 2  # the slowest queries of a slow row get an EXPLAIN ANALYZE
REPORTING_REPEAT = 20  # the reporting rows' target is a p95: at least this many timed requests


@dataclass
class Result:
    what: str
    times_ms: list[float]
    queries: int
    sql_ms: float
    slowest: list[tuple[float, str]] = field(default_factory=list)
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95_ms(self) -> float:
        """The 95th percentile (inclusive method: with 20 timings, between the 19th and the 20th)."""
        if len(self.times_ms) < 2:
            return self.times_ms[0]
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[94]


@dataclass
class Scenario:
    what: str
    # A Page (or a Download) for a request, which bench/load.py replays under load; any other
    # callable (e.g. a selector timed on its own) is timed here only.
    run: Callable[[], Any]
    min_repeat: int = 0
    # Describes what the last run returned (e.g. how many rows a download held), for the table.
    note: Callable[[], str] | None = None


class Page:
    """A GET of one page, as one client sees it (its session: a user, or nobody; its headers: an API
    key). Calling it requests the page once; bench/load.py replays the same request with wrk."""

    def __init__(self, client: Client | Callable[[], Client], url: str, **params: object) -> None:
        self.path = f"{url}?{urlencode(params)}" if params else url
        # A factory is called on first use: a row that never runs creates nothing (e.g. no API key).
        self._client = client

    @functools.cached_property
    def client(self) -> Client:
        return self._client if isinstance(self._client, Client) else self._client()

    def headers(self) -> dict[str, str]:
        """The HTTP headers this client sends beyond the defaults: its cookies and its own headers."""
        headers = {
            name[5:].replace("_", "-").title(): str(value)
            for name, value in self.client.defaults.items()
            if name.startswith("HTTP_")
        }
        cookies = "; ".join(f"{morsel.key}={morsel.value}" for morsel in self.client.cookies.values())
        if cookies:
            headers["Cookie"] = cookies
        return headers

    def __call__(self) -> Any:
        response = self.client.get(self.path)
        if response.status_code != 200:
            raise SystemExit(f"GET {self.path} answered {response.status_code}")
        return response


class FiguresWorkedOut(Page):
    """The dashboard as the first request after a refresh gets it: the figures worked out, not the ones
    reporting/figures_cache.py keeps until the next refresh. Each call keys the cache anew (its LAYOUT,
    in this process), so nothing kept is found, whatever ran before. Timed here only: bench/load.py's
    server keeps the figures after the first request, so its dashboard rows time those."""

    def __call__(self) -> Any:
        from reporting import figures_cache

        figures_cache.LAYOUT = time.monotonic_ns()
        return super().__call__()


def page(client: Client | Callable[[], Client], url: str, **params: object) -> Page:
    return Page(client, url, **params)


FIRST_ROWS = 10  # "the first rows have arrived": this many lines read (a JSON file's first chunk is its metadata)


class Download(Page):
    """GET a streamed download and read it: until its first rows have arrived (then the client goes
    away), or to the end, counting its lines and bytes into `rows` (the last run's)."""

    def __init__(self, client: Client, url: str, *, first_rows_only: bool, rows: list[int]) -> None:
        super().__init__(client, url)
        self.first_rows_only = first_rows_only
        self.rows = rows

    def __call__(self) -> Any:
        response = self.client.get(self.path)
        if response.status_code != 200 or not isinstance(response, StreamingHttpResponse):
            raise SystemExit(f"GET {self.path} answered {response.status_code}, not a streamed file")
        chunks = iter(response.streaming_content)
        try:
            if self.first_rows_only:
                lines = 0
                while lines < FIRST_ROWS:
                    lines += next(chunks).count(b"\n")
            else:
                lines = size = 0
                for chunk in chunks:
                    lines += chunk.count(b"\n")
                    size += len(chunk)
                self.rows[:] = [lines, size]
        finally:
            response.close()
        return response


def streamed(client: Client, url: str, *, first_rows_only: bool, rows: list[int]) -> Download:
    return Download(client, url, first_rows_only=first_rows_only, rows=rows)


def measure(scenario: Scenario, repeat: int) -> Result:
    repeat = max(repeat, scenario.min_repeat)
    scenario.run()  # warm-up: caches, template loading, PostgreSQL's buffers
    times: list[float] = []
    sql_times: list[float] = []
    queries: list[tuple[float, str]] = []
    for _ in range(repeat):
        # Every alias: the reporting pages read from "replica" when DATABASE_REPLICA_URL is set.
        captures = [CaptureQueriesContext(connections[alias]) for alias in connections]
        for capture in captures:
            capture.__enter__()
        try:
            started = time.perf_counter()
            scenario.run()
            times.append((time.perf_counter() - started) * 1000)
        finally:
            for capture in reversed(captures):
                capture.__exit__(None, None, None)
        queries = [(float(q["time"]) * 1000, q["sql"]) for capture in captures for q in capture.captured_queries]
        sql_times.append(sum(ms for ms, _sql in queries))
    return Result(
        what=scenario.what,
        times_ms=times,
        queries=len(queries),
        sql_ms=statistics.median(sql_times),
        slowest=sorted(queries, key=lambda item: -item[0])[:EXPLAINED_PER_ROW],
        note=scenario.note() if scenario.note else "",
    )


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def pages_of(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def scenarios() -> tuple[list[Scenario], dict[str, Any]]:
    """The pages to time, and what was chosen for them (for the results)."""
    officer = User.objects.filter(role=Role.OFFICER, is_active=True).order_by("pk").first()
    if officer is None:
        raise SystemExit("No officer in the database: run bench/seed.py first.")
    biggest = Complaint.objects.values("company").annotate(n=Count("pk")).order_by("-n").first()
    assert biggest is not None
    company = Company.objects.get(pk=biggest["company"])
    representation = Representation.objects.active().filter(company=company).select_related("user").first()
    assert representation is not None, "the biggest company has no representative"
    representative = representation.user
    conciliator = (
        User.objects.filter(role=Role.CONCILIATOR)
        .annotate(n=Count("hearings_conducted", filter=Q(hearings_conducted__status=Hearing.Status.SCHEDULED)))
        .order_by("-n", "pk")
        .first()
    )
    assert conciliator is not None
    with_hearings = (
        Hearing.objects.filter(complaint__company=company)
        .values("complaint")
        .annotate(n=Count("pk"))
        .order_by("-n", "-complaint")
        .first()
    )
    assert with_hearings is not None, "no case of the biggest company has a hearing"
    served = Complaint.objects.filter(company=company, status="company_notified").order_by("-company_notified_at")
    served_case = served.first()
    assert served_case is not None
    middle = Complaint.objects.exclude(number=None).order_by("pk").filter(pk__gte=Complaint.objects.count() // 2)
    sample = middle.first()
    assert sample is not None and sample.number is not None

    # Several companies per case (art. 40): the company named most often after the lead outside the
    # ten biggest, searched by its CUIT; and the biggest company's representative also speaks for
    # the second biggest, so that their list has the company filter (an idempotent grant).
    later = (
        CaseCompany.objects.filter(position__gt=1)
        .exclude(company__in=[row["company"] for row in _biggest(10)])
        .values("company")
        .annotate(n=Count("pk"))
        .order_by("-n", "company")
        .first()
    )
    assert later is not None, "no case names more than one company: reseed with bench/seed.py"
    later_company = Company.objects.get(pk=later["company"])
    second = Company.objects.get(pk=_biggest(2)[1]["company"])
    Representation.objects.get_or_create(user=representative, company=second, defaults={"is_admin": False})

    queue_pages = pages_of(Complaint.objects.filter(status="submitted").count())
    company_pages = pages_of(complaints_visible_to(representative).count())
    # The case list pages only through its first LIST_CAP cases (parties.paginator): its last page.
    deep_queue, deep_company = min(400, queue_pages), min(LIST_CAP // PAGE_SIZE, company_pages)
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())

    clients: dict[int, Client] = {}

    def client_for(user: User) -> Client:
        if user.pk not in clients:
            # Logged in as the tests log in (tests/conftest.py): staff with the second factor given,
            # or the staff MFA middleware sends them back to the login page.
            from tests.conftest import log_in

            clients[user.pk] = log_in(Client(), user)
        return clients[user.pk]

    office, rep, concil = client_for(officer), client_for(representative), client_for(conciliator)
    supervisor = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    assert supervisor is not None, "no supervisor: run bench/seed.py first"
    chief = client_for(supervisor)
    chosen = {
        "biggest company": f"{company.legal_name} (id {company.pk}, {biggest['n']:,} cases)",
        "case with hearings": f"{Complaint.objects.get(pk=with_hearings['complaint']).number} "
        f"({with_hearings['n']} hearings)",
        "served case for propose_slots": str(served_case.number),
        "search by number / DNI": f"{sample.number} / {sample.consumer_dni}",
        "company named after the lead": f"{later_company.legal_name} (id {later_company.pk}, "
        f"{later['n']:,} cases after the lead, {Complaint.objects.filter(company=later_company).count():,} as lead)",
        "admission queue pages": queue_pages,
        "representative's pages": company_pages,
    }
    return [
        Scenario("Admission queue, page 1 (officer)", page(office, "/oficina/admision/")),
        Scenario(f"Admission queue, page {deep_queue:,}", page(office, "/oficina/admision/", page=deep_queue)),
        Scenario("Case list, page 1 (office)", page(office, "/reclamos/")),
        Scenario("Case search “Gómez” (office)", page(office, "/reclamos/", q="Gómez")),
        Scenario("Case search “gomez” (office)", page(office, "/reclamos/", q="gomez")),
        Scenario("Case search by CUIT of the biggest company", page(office, "/reclamos/", q=company.cuit)),
        Scenario("Case search by case number", page(office, "/reclamos/", q=sample.number)),
        Scenario("Case search by DNI", page(office, "/reclamos/", q=sample.consumer_dni)),
        Scenario(
            "Case search by CUIT of a company named after the lead (office)",
            page(office, "/reclamos/", q=later_company.cuit),
        ),
        Scenario("Case list, page 1 (representative, biggest company)", page(rep, "/reclamos/")),
        Scenario(
            "Case list filtered by the biggest company (representative of two)",
            page(rep, "/reclamos/", company=company.pk),
        ),
        Scenario(
            "Case list filtered by the second company (representative of two)",
            page(rep, "/reclamos/", company=second.pk),
        ),
        Scenario(f"Case list, page {deep_company:,} (representative)", page(rep, "/reclamos/", page=deep_company)),
        Scenario("Case page with hearings (office)", page(office, f"/reclamos/{with_hearings['complaint']}/")),
        Scenario("Hearing list (office)", page(office, "/audiencias/")),
        Scenario(
            f"Calendar, week of {next_monday:%Y-%m-%d}, all conciliators (office)",
            page(office, "/calendario/", week=next_monday.isoformat()),
        ),
        Scenario("propose_slots() for a served case", lambda: propose_slots(served_case)),
        Scenario("Home page (conciliator)", page(concil, "/")),
        Scenario("Home page (officer)", page(office, "/")),
        Scenario("Supervisor's overdue list (page 1)", page(chief, "/oficina/plazos/")),
        Scenario(
            "Supervisor's overdue list, outcome not recorded, overdue only",
            page(chief, "/oficina/plazos/", kind="outcome_record", when="overdue"),
        ),
        *reporting_scenarios(chief=chief, rep=rep, company=company, chosen=chosen),
        *api_scenarios(company=company, chosen=chosen),
    ], chosen


def _url(name: str, *args: Any) -> str | None:
    """The address of a named page, or None while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _lines_read(lines: list[int]) -> str:
    return f"{lines[0]:,} lines, {lines[1] / 1e6:.1f} MB" if lines else ""


def reporting_scenarios(*, chief: Client, rep: Client, company: Company, chosen: dict[str, Any]) -> list[Scenario]:
    """Issue 14's pages: the dashboard with and without filters, a company's own figures, the public
    pages and the open-data export. They read the summary tables bench/seed.py builds at its end
    (reporting.refresh.rebuild()); a page whose URL does not exist yet is left out."""
    from reporting import opendata
    from reporting.models import CaseFact, CompanyFigure

    if not CaseFact.objects.exists():
        print("No reporting facts: run `bench/seed.py --refresh-only` first; the reporting rows are left out.")
        return []
    todo: list[Scenario] = []
    n = REPORTING_REPEAT
    public = Client()  # no login: the public pages
    sector = company.sector
    dashboard = _url("dashboard")
    if dashboard:
        todo += [
            Scenario("Dashboard, no filter (supervisor)", page(chief, dashboard), n),
            Scenario("Dashboard, province Buenos Aires", page(chief, dashboard, province="BA"), n),
            Scenario("Dashboard, the biggest company (its CUIT)", page(chief, dashboard, company=company.cuit), n),
            Scenario(f"Dashboard, sector {sector}", page(chief, dashboard, sector=sector), n),
            *two_filter_scenarios(chief, dashboard, company=company, chosen=chosen),
            # The same pages' figures as the first request after a refresh works them out, one per path.
            Scenario("Dashboard, no filter, figures worked out (the cube)", FiguresWorkedOut(chief, dashboard), n),
            Scenario(
                "Dashboard, the biggest company and channel web, figures worked out (pair rows)",
                FiguresWorkedOut(chief, dashboard, company=company.cuit, channel="web"),
                n,
            ),
            Scenario(
                f"Dashboard, province BA, sector {sector} and channel web, figures worked out (low-cardinality rows)",
                FiguresWorkedOut(chief, dashboard, province="BA", sector=sector, channel="web"),
                n,
            ),
            Scenario(
                "Dashboard, the biggest company, province BA and channel web, figures worked out (facts table)",
                FiguresWorkedOut(chief, dashboard, company=company.cuit, province="BA", channel="web"),
                n,
            ),
        ]
    export = _url("dashboard_export")
    if export:
        todo.append(
            Scenario("Dashboard download, every table (XLSX)", page(chief, export, table="all", format="xlsx"), n)
        )
    figures = _url("company_figures")
    if figures:
        todo.append(Scenario("Company's own figures, the biggest company (representative)", page(rep, figures), n))
    biggest_published = (
        CompanyFigure.objects.filter(published=True).select_related("company").order_by("-received").first()
    )
    if biggest_published is not None:
        chosen["biggest published company"] = (
            f"{biggest_published.company.legal_name} ({biggest_published.received:,} cases received in the window)"
        )
        public_company = _url("transparency_company", biggest_published.company.cuit)
        if public_company:
            todo.append(Scenario("Public page of the biggest published company", page(public, public_company), n))
    public_sector = _url("transparency_sector", sector)
    if public_sector:
        todo.append(Scenario(f"Public sector page ({sector})", page(public, public_sector), n))
    search = _url("transparency")
    if search:
        todo += [
            Scenario("Public search by name “telefonía”", page(public, search, q="telefonía"), n),
            Scenario("Public search by CUIT", page(public, search, q=company.cuit), n),
        ]
    months = (
        CaseFact.objects.filter(closed=True, closed_month__lt=opendata.current_month())
        .values("closed_month")
        .annotate(n=Count("pk"))
        .order_by("-n", "-closed_month")
        .first()
    )
    if months is not None and _url("open_data_file", 2000, 1, "csv"):
        month: date = months["closed_month"]  # type: ignore[assignment]  # closed=True: never null
        chosen["open-data month"] = f"{month:%Y-%m} ({months['n']:,} closed parts, the biggest month)"
        for fmt in ("csv", "json"):
            url = reverse("open_data_file", args=[month.year, month.month, fmt])
            lines: list[int] = []
            todo += [
                Scenario(
                    f"Open data {month:%Y-%m}.{fmt}: time to its first rows",
                    streamed(public, url, first_rows_only=True, rows=lines),
                    n,
                ),
                Scenario(
                    f"Open data {month:%Y-%m}.{fmt}: whole file streamed",
                    streamed(public, url, first_rows_only=False, rows=lines),
                    n,
                    note=functools.partial(_lines_read, lines),
                ),
            ]
    return todo


def two_filter_scenarios(chief: Client, dashboard: str, *, company: Company, chosen: dict[str, Any]) -> list[Scenario]:
    """The dashboard with two filters (the pair rows, reporting.models.PairFigure) and with three (the
    facts table): the biggest company with each other kind of filter, low-cardinality pairs, the
    longest period the form allows, and a company whose every month is below
    aggregate.COMPANY_PAIR_MIN_PARTS (its months read from the facts)."""
    from reporting import aggregate
    from reporting.forms_dashboard import MAX_MONTHS
    from reporting.models import Dimension, MonthlyFigure

    n = REPORTING_REPEAT
    sector = company.sector
    this_month = timezone.localdate().replace(day=1)
    year, index = divmod(this_month.year * 12 + this_month.month - 1 - (MAX_MONTHS - 1), 12)
    longest = {"start": f"{year}-{index + 1:02d}", "end": f"{this_month:%Y-%m}"}
    year, index = divmod(this_month.year * 12 + this_month.month - 1 - 11, 12)
    last_year = date(year, index + 1, 1)
    conciliator = (
        User.objects.filter(role=Role.CONCILIATOR)
        .annotate(n=Count("hearings_conducted", filter=Q(hearings_conducted__complaint__company=company)))
        .order_by("-n", "pk")
        .first()
    )
    assert conciliator is not None
    # The company with the most parts in the default period whose months all stay below the minimum.
    small = (
        MonthlyFigure.objects.filter(dim=Dimension.COMPANY, by_dim="", month__gte=last_year)
        .values("key")
        .annotate(most=Max("filed"), parts=Sum("filed"))
        .filter(most__lt=aggregate.COMPANY_PAIR_MIN_PARTS)
        .order_by("-parts", "key")
        .first()
    )
    todo = [
        Scenario(
            f"Dashboard, two filters: province BA and sector {sector} (pair rows)",
            page(chief, dashboard, province="BA", sector=sector),
            n,
        ),
        Scenario(
            "Dashboard, two filters: the biggest company and channel web (pair rows)",
            page(chief, dashboard, company=company.cuit, channel="web"),
            n,
        ),
        Scenario(
            "Dashboard, two filters: the biggest company and province BA (pair rows)",
            page(chief, dashboard, company=company.cuit, province="BA"),
            n,
        ),
        Scenario(
            "Dashboard, two filters: the biggest company and its busiest conciliator (pair rows)",
            page(chief, dashboard, company=company.cuit, conciliator=conciliator.pk),
            n,
        ),
        Scenario(
            "Dashboard, two filters: the biggest company and hipervulnerable consumers (pair rows)",
            page(chief, dashboard, company=company.cuit, vulnerable="on"),
            n,
        ),
        Scenario(
            f"Dashboard, two filters: sector {sector} and channel whatsapp (pair rows)",
            page(chief, dashboard, sector=sector, channel="whatsapp"),
            n,
        ),
        Scenario(
            "Dashboard, two filters: province BA and hipervulnerable consumers (pair rows)",
            page(chief, dashboard, province="BA", vulnerable="on"),
            n,
        ),
        Scenario(
            f"Dashboard, two filters over {MAX_MONTHS} months: the biggest company and channel web (pair rows)",
            page(chief, dashboard, company=company.cuit, channel="web", **longest),
            n,
        ),
    ]
    if small is not None:
        below = Company.objects.get(pk=int(small["key"]))
        chosen["company below the pair rows' minimum"] = (
            f"{below.legal_name} (id {below.pk}, {small['parts']:,} parts in the last 12 months, at most "
            f"{small['most']} a month; minimum {aggregate.COMPANY_PAIR_MIN_PARTS})"
        )
        todo.append(
            Scenario(
                "Dashboard, two filters: a company below the pair rows' minimum and channel web (its facts)",
                page(chief, dashboard, company=below.cuit, channel="web"),
                n,
            )
        )
    todo += [
        Scenario(
            f"Dashboard, three filters: province BA, sector {sector} and channel web (low-cardinality rows)",
            page(chief, dashboard, province="BA", sector=sector, channel="web"),
            n,
        ),
        Scenario(
            "Dashboard, three filters: the biggest company, province BA and channel web (facts table)",
            page(chief, dashboard, company=company.cuit, province="BA", channel="web"),
            n,
        ),
        Scenario(
            f"Dashboard, three filters: province BA, sector {sector} and hipervulnerable consumers "
            "(low-cardinality rows)",
            page(chief, dashboard, province="BA", sector=sector, vulnerable="on"),
            n,
        ),
        Scenario(
            "Dashboard, three filters: the biggest company's busiest conciliator, province BA and channel web "
            "(facts table)",
            page(chief, dashboard, conciliator=conciliator.pk, province="BA", channel="web"),
            n,
        ),
        Scenario(
            "Dashboard, three filters: province BA, sector retail and channel web (the largest of the period, "
            "low-cardinality rows)",
            page(chief, dashboard, province="BA", sector="retail", channel="web"),
            n,
        ),
        Scenario(
            f"Dashboard, three filters: the biggest company, its sector {sector} and channel web (pair rows)",
            page(chief, dashboard, company=company.cuit, sector=sector, channel="web"),
            n,
        ),
        Scenario(
            f"Dashboard, four filters: sector {sector}, channel whatsapp, hipervulnerable consumers and "
            "province BA (low-cardinality rows)",
            page(chief, dashboard, sector=sector, channel="whatsapp", vulnerable="on", province="BA"),
            n,
        ),
    ]
    return todo


API_DEEP = 40_000  # the deep page of the API's case list starts after this many of the company's cases


def api_scenarios(*, company: Company, chosen: dict[str, Any]) -> list[Scenario]:
    """Issue 15: the company API's case list (GET /api/v1/cases) for the biggest company, called with
    an API key in the Authorization header, as an integration would: the first page, a page deep in
    (its cursor, as the previous page would have handed it), and filtered by state (a common one and
    a rare one). Each row has its own key (scope read), so that the key's rate limit (a fixed
    minute window of API_RATE_LIMIT_PER_MINUTE calls) is not what is measured. The list's address is
    left out while the API does not exist."""
    url = _url("company_api:cases")
    if url is None:
        return []
    from api.auth import KeyContext
    from api.cursors import cursor_for
    from api.models import ApiKey
    from api.routers.cases import CURSOR_LIST
    from api.selectors import served_parts_for_key
    from api.services.keys import api_key_create

    admin = (
        Representation.objects.active()
        .filter(company=company, is_admin=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if admin is None:
        print("The biggest company has no administrator to create an API key: the API rows are left out.")
        return []

    def client() -> Client:
        _key, token = api_key_create(company=company, by=admin.user, name="bench/run.py", scopes=["read"])
        return Client(headers={"Authorization": f"Bearer {token}"})

    # What the key may read (api.selectors), as the list reads it.
    key = ApiKey(company=company, created_by=admin.user, scopes=["read"])
    context = KeyContext(key=key, company=company, user=admin.user)
    visible = served_parts_for_key(context)
    deep = visible.order_by("-complaint_id").values_list("complaint_id", flat=True)[API_DEEP : API_DEEP + 1]
    states = dict(
        visible.values_list("complaint__status")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("complaint__status", "n")
    )
    common = next((state for state in ("company_notified", "hearing_scheduled") if states.get(state)), None)
    rare = min(states, key=lambda state: (states[state], state)) if states else None
    chosen["API's biggest company"] = (
        f"{sum(states.values()):,} cases it may read; states filtered: {common} ({states.get(common or '', 0):,}), "
        f"breached ({states.get('breached', 0):,}), {rare} ({states.get(rare or '', 0):,}); deep page after "
        f"{API_DEEP:,} cases"
    )
    n = REPORTING_REPEAT
    todo = [Scenario("API case list, first page of 50 (biggest company)", page(client, url), n)]
    if deep:
        cursor = cursor_for(CURSOR_LIST, deep[0])
        todo.append(
            Scenario(f"API case list, a page after {API_DEEP:,} cases (cursor)", page(client, url, cursor=cursor), n)
        )
    if common:
        todo.append(Scenario(f"API case list, state {common}", page(client, url, state=common), n))
    # Breached agreements are older cases: the keyset walks past the newer ones to find them.
    if states.get("breached") and "breached" not in (common, rare):
        todo.append(Scenario("API case list, state breached (older cases)", page(client, url, state="breached"), n))
    if rare and rare != common:
        todo.append(Scenario(f"API case list, state {rare} (the rarest)", page(client, url, state=rare), n))
    return todo


def compare_paths() -> bool:
    """At the seeded volume, every pair of the dashboard's filters read from the pair rows and from the
    fact rows (reporting.indicators.figures with source="facts"): the Figures must be equal. The
    values: province BA, the biggest company, its sector, channel web, the conciliator who heard most
    of its cases, hipervulnerable consumers; and a company whose every month is below the pair rows'
    minimum (read from the facts inside the pairs path). The period: the dashboard's default, the 12
    months up to this one. Prints one line per pair; True when all are equal."""
    import dataclasses

    from reporting import aggregate
    from reporting.indicators import Filters, figures
    from reporting.models import Dimension, MonthlyFigure

    this_month = timezone.localdate().replace(day=1)
    year, index = divmod(this_month.year * 12 + this_month.month - 1 - 11, 12)
    start = date(year, index + 1, 1)
    biggest = Company.objects.get(pk=_biggest(1)[0]["company"])
    conciliator = (
        User.objects.filter(role=Role.CONCILIATOR)
        .annotate(n=Count("hearings_conducted", filter=Q(hearings_conducted__complaint__company=biggest)))
        .order_by("-n", "pk")
        .first()
    )
    assert conciliator is not None
    small = (
        MonthlyFigure.objects.filter(dim=Dimension.COMPANY, by_dim="", month__gte=start)
        .values("key")
        .annotate(most=Max("filed"), parts=Sum("filed"))
        .filter(most__lt=aggregate.COMPANY_PAIR_MIN_PARTS)
        .order_by("-parts", "key")
        .first()
    )
    values: dict[str, list[Any]] = {
        "province": ["BA"],
        "company_id": [biggest.pk, *([int(small["key"])] if small else [])],
        "sector": [biggest.sector],
        "channel": ["web"],
        "conciliator_id": [conciliator.pk],
        "vulnerable": [True],
    }
    equal = True
    for first, second in itertools.combinations(values, 2):
        for a in values[first]:
            for b in values[second]:
                filters = Filters(start=start, end=this_month, **{first: a, second: b})
                clock = time.perf_counter()
                pairs = figures(filters)
                middle = time.perf_counter()
                facts = figures(filters, source="facts")
                done = time.perf_counter()
                same = dataclasses.replace(pairs, source="") == dataclasses.replace(facts, source="")
                equal = equal and same
                print(
                    f"{'equal' if same else 'DIFFERENT':9} {first}={a} {second}={b}: {pairs.filed:,} filed; "
                    f"pairs {1000 * (middle - clock):.0f} ms, facts {1000 * (done - middle):.0f} ms",
                    flush=True,
                )
    # A company with its own sector and one more filter: the company's pair rows when the sector
    # holds every part of it in the period (indicators._company_sector_redundant).
    for company_id in values["company_id"]:
        own_sector = Company.objects.get(pk=company_id).sector
        for third in ("province", "channel", "conciliator_id", "vulnerable"):
            chosen = {"company_id": company_id, "sector": own_sector, third: values[third][0]}
            filters = Filters(start=start, end=this_month, **chosen)
            clock = time.perf_counter()
            natural = figures(filters)
            middle = time.perf_counter()
            facts = figures(filters, source="facts")
            done = time.perf_counter()
            same = dataclasses.replace(natural, source="") == dataclasses.replace(facts, source="")
            equal = equal and same
            print(
                f"{'equal' if same else 'DIFFERENT':9} {chosen}: {natural.filed:,} filed; "
                f"{natural.source} {1000 * (middle - clock):.0f} ms, facts {1000 * (done - middle):.0f} ms",
                flush=True,
            )
    # Three or four of the low-cardinality filters: their LowFigure rows.
    low: list[dict[str, Any]] = [
        {"province": "BA", "sector": biggest.sector, "channel": "web"},
        {"province": "BA", "sector": "retail", "channel": "web"},
        {"province": "BA", "sector": biggest.sector, "vulnerable": True},
        {"province": "BA", "channel": "web", "vulnerable": True},
        {"sector": biggest.sector, "channel": "whatsapp", "vulnerable": True},
        {"province": "BA", "sector": biggest.sector, "channel": "whatsapp", "vulnerable": True},
        {"province": "CABA", "sector": "retail", "channel": "phone", "vulnerable": False},
    ]
    for chosen in low:
        filters = Filters(start=start, end=this_month, **chosen)
        clock = time.perf_counter()
        natural = figures(filters)
        middle = time.perf_counter()
        facts = figures(filters, source="facts")
        done = time.perf_counter()
        same = dataclasses.replace(natural, source="") == dataclasses.replace(facts, source="")
        equal = equal and same
        print(
            f"{'equal' if same else 'DIFFERENT':9} {chosen}: {natural.filed:,} filed; "
            f"{natural.source} {1000 * (middle - clock):.0f} ms, facts {1000 * (done - middle):.0f} ms",
            flush=True,
        )
    return equal


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        comment = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    try:
        seeded = json.loads(comment or "{}")
    except ValueError:
        seeded = {}
    return {
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "postgresql": version,
        "python": platform.python_version(),
        "database size": size,
        "seed": (
            f"{seeded['cases']:,} cases seeded in {seeded['seconds'] // 60} min {seeded['seconds'] % 60} s "
            f"on {seeded['seeded_at']}"
            + (
                f", reporting tables built by reporting.refresh.rebuild() in {seeded['rebuild_seconds']:.0f} s"
                if seeded.get("rebuild_seconds")
                else ""
            )
            if seeded
            else "unknown (not seeded by bench/seed.py?)"
        ),
    }


def _biggest(count: int) -> list[Any]:
    """The companies that lead the most cases."""
    return list(Complaint.objects.values("company").annotate(n=Count("pk")).order_by("-n", "company")[:count])


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM complaints_complaint), (SELECT count(*) FROM parties_company), "
            "(SELECT count(*) FROM parties_user), (SELECT count(*) FROM hearings_hearing), "
            "(SELECT count(*) FROM complaints_caseevent), (SELECT count(*) FROM complaints_casecompany), "
            "(SELECT count(DISTINCT complaint_id) FROM complaints_casecompany WHERE position > 1), "
            "(SELECT count(*) FROM reporting_survey WHERE answered_at IS NOT NULL), "
            "(SELECT count(*) FROM reporting_casefact), (SELECT count(*) FROM reporting_monthlyfigure)"
        )
        row = cursor.fetchone()
    names = (
        "complaints",
        "companies",
        "users",
        "hearings",
        "case events",
        "case parts",
        "multi-company cases",
        "answered surveys",
        "reporting fact rows",
        "monthly cube rows",
    )
    return dict(zip(names, row, strict=True))


def table(results: list[Result], repeat: int) -> str:
    lines = [
        "| what | timed | ms, median | ms, p95 | queries | of which SQL, ms (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        what = f"{result.what} ({result.note})" if result.note else result.what
        lines.append(
            f"| {what} | {len(result.times_ms)} | {result.median_ms:.1f} | {result.p95_ms:.1f} | {result.queries} "
            f"| {result.sql_ms:.1f} |"
        )
    return "\n".join(lines)


def report(results: list[Result], args: argparse.Namespace, chosen: dict[str, Any], plans: list[str]) -> str:
    info = machine()
    data = counts()
    command = "DJANGO_ENV=test .venv/bin/python bench/run.py"
    if args.repeat != 5 or args.slow_ms != 200:
        command += f" --repeat {args.repeat} --slow-ms {args.slow_ms:g}"
    seeded_cases = info["seed"].split(" ", 1)[0].replace(",", "") if info["seed"][0].isdigit() else "1000000"
    parts = [
        "# Benchmark results",
        "",
        f"Run on {timezone.localtime():%Y-%m-%d %H:%M %Z} by `bench/run.py`; regenerate with the commands below.",
        "",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['cpu']}, {info['memory']} RAM; "
        f"PostgreSQL {info['postgresql']} on the same machine, default configuration; Python {info['python']}.",
        f"- Data: {info['seed']}; database size {info['database size']}.",
        "- Rows: " + ", ".join(f"{n:,} {what}" for what, n in data.items()) + ".",
        "- Chosen: " + "; ".join(f"{what}: {value}" for what, value in chosen.items()) + ".",
        "- Each row: one warm-up request, then the median and 95th percentile of the timed ones, through Django's "
        "test Client (middleware, session, MFA check, template rendering), DEBUG off; queries counted on every "
        "database alias.",
        "",
        "Commands:",
        "",
        "```sh",
        f"DJANGO_ENV=test .venv/bin/python bench/seed.py --cases {seeded_cases} --reset",
        command,
        "dropdb -h 127.0.0.1 -U postgres concilia_bench   # when done, to free the disk",
        "```",
        "",
        table(results, args.repeat),
        "",
    ]
    if plans:
        parts += [f"## Rows over {args.slow_ms:g} ms: their slowest queries, EXPLAIN (ANALYZE, BUFFERS)", "", *plans]
    else:
        parts.append(f"No row took more than {args.slow_ms:g} ms.")
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per row (default 5)")
    parser.add_argument("--slow-ms", type=float, default=200, help="EXPLAIN the rows slower than this (default 200)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"), help="where to write the results")
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    parser.add_argument("--only", help="run only the rows whose label contains this text")
    parser.add_argument(
        "--compare-paths",
        action="store_true",
        help="only compare the dashboard's figures read from the pair rows and from the facts, for every "
        "pair of filters (exit status 1 if any differs)",
    )
    args = parser.parse_args(argv)
    if args.compare_paths:
        raise SystemExit(0 if compare_paths() else 1)

    todo, chosen = scenarios()
    if args.only:
        todo = [s for s in todo if args.only.lower() in s.what.lower()]
    results = []
    for scenario in todo:
        result = measure(scenario, args.repeat)
        results.append(result)
        print(
            f"{result.median_ms:9.1f} ms  p95 {result.p95_ms:9.1f} ms {result.queries:4d} queries  {result.what}"
            + (f" ({result.note})" if result.note else ""),
            flush=True,
        )
    print()
    print(table(results, args.repeat))

    plans = []
    for result in results:
        if result.median_ms <= args.slow_ms:
            continue
        plans.append(f"### {result.what} — {result.median_ms:.0f} ms, {result.queries} queries")
        plans.append("")
        for ms, sql in result.slowest:
            plans += [f"{ms:.1f} ms:", "", "```sql", sql, "```", "", "```", explain(sql), "```", ""]
    if not args.no_write:
        output = Path(args.output)
        text = report(results, args, chosen, plans)
        previous = output.read_text(encoding="utf-8") if output.exists() else ""
        if NOTES_MARKER in previous:
            text += "\n" + NOTES_MARKER + previous.split(NOTES_MARKER, 1)[1]
        output.write_text(text, encoding="utf-8")
        print(f"\nWritten to {args.output}")


if __name__ == "__main__":
    main()
