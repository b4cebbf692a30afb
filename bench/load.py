"""Filing throughput and pages under load: gunicorn serving the project, driven by wrk (issue 16).

    DJANGO_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/concilia_load \\
        .venv/bin/python bench/load.py filing [--drafts 3000] [--duration 20] [--connections 8] [--workers 2]
    DJANGO_ENV=test .venv/bin/python bench/load.py pages [--duration 15] [--connections 4] [--workers 2] [--only TEXT]
    ... [--threads 2] [--output bench/RESULTS.md]   # wrk's threads; append the tables to a markdown file

Each mode starts its own gunicorn (`config.wsgi`, `--workers` sync workers on a free local port) with
DEBUG off (so Django's cached template loader, as in production), PostgreSQL pooled as configured, and
Celery with a real broker: tasks queued after commit really go to Redis (`--broker-url`, a database of
its own; nobody consumes it, and the run's queue is deleted at the end, after counting it), never run in
the request. The server runs under DJANGO_ENV=development, not test (which forces eager Celery) nor
production (which redirects plain HTTP to HTTPS and needs collectstatic's manifest); with DEBUG=0 and
the Redis cache (`--cache-url`) it is production-like otherwise. wrk replays the requests written for
it through bench/lua/replay.lua and reports latency percentiles from its own histogram; the server is
stopped after each mode.

filing: the database is DATABASE_URL (default concilia_load; created if missing, and migrated).
  It prepares `--drafts` consumers, each with one complete draft (as tests/complaints/factories.py's
  draft_case: the first through the services, the others copied from it in bulk), a session and a CSRF
  cookie and token, then, after a short warm-up (a few inserts and filings, not reported), runs:
  - bare insert: POST /bench/insert/ (bench/views.py), one INSERT through the same middleware, server
    and database: the yardstick. Requests/s of 204 answers.
  - signed-in insert: POST /bench/signed-in-insert/, the same INSERT as each draft's consumer (their session
    cookie and CSRF token, in turn): the session and the user are read and the token checked, as for a
    filing. What any signed-in write costs at least; the report gives the filing's ratio to it too.
  - filing: each request is the final POST of the next draft (/reclamos/<pk>/enviar/), as its consumer.
    filings/s counts only 302 answers to the receipt; any other answer is an error and its first one is
    shown. ratio = filings/s ÷ bare inserts/s (issue 16's goal: ≥ 0.5; a generic helpdesk: 0.06).
  - page alone, then page while filing: `--page` (default the consumer's case list) with 1 connection,
    alone and then beside a second wrk filing with `--connections`: does filing slow the pages?
  Then it checks in the database that every draft answered 302 was filed once, and that the year's case
  numbers are unique and gapless (1 to n). A thread that runs out of drafts stops filing ("ran out"): the
  rate is then a lower bound; the command says how many drafts to ask for.
pages: the database is DATABASE_URL (default concilia_bench, as bench/run.py; it writes only the log-in
  sessions, and what bench/run.py's rows write: an API key per API row). The rows are bench/run.py's,
  with its users (officer, conciliator, supervisor, the biggest company's representative, an API key):
  each page is first timed through the test client (median and p95 of `--client-repeat` requests, as
  bench/run.py does), then driven by wrk for `--duration` seconds: requests/s and p50/p95/p99 (issue
  16's goal: p95 ≤ 100 ms with 4 connections on 2 workers). Whole-file downloads are listed apart, by
  time to their last byte; rows that are not a request (propose_slots()) are left out, and so are the
  dashboard rows that time figures worked out (bench/run.py FiguresWorkedOut: the server keeps the figures
  after its first request, until the next refresh, so its dashboard rows time those).
  The API's per-key rate limit is lifted in the server, so that what is measured is the page.

Numbers: p50/p95/p99 are wrk's latency percentiles (ms) of every response, from the request sent to the
last byte received; "per second" counts expected answers over the run's wall time. The load average
(`uptime`) is printed with each table: the machine has 2 cores shared by gunicorn, PostgreSQL and wrk
itself (and by anything else running), so figures move with it; compare rates within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LUA = ROOT / "bench" / "lua" / "replay.lua"
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
DATABASES = {"filing": "concilia_load", "pages": "concilia_bench"}
RESULT_MARK = "LOAD_RESULT "
CELERY_QUEUE = "celery"  # Celery's default queue: the project routes every task there
WARM_UP_DRAFTS = 4  # filed before the measured runs (templates, imports, pooled connections)


# --- wrk -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """One request for wrk to send."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def line(self) -> str:
        fields = [self.method, self.path, self.body, *(f"{name}: {value}" for name, value in self.headers.items())]
        if any("\t" in item or "\n" in item for item in fields):
            raise ValueError(f"a tab or a newline in a request for wrk: {fields!r}")
        return "\t".join(fields)


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    what: str
    requests: int
    seconds: float
    ok: int
    unexpected: int
    ran_out: int
    first_unexpected: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int
    timeouts: int
    load_average: str

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> str:
        parts = []
        if self.unexpected:
            parts.append(f"{self.unexpected} unexpected (first: {self.first_unexpected})")
        if self.socket_errors or self.timeouts:
            parts.append(f"{self.socket_errors} socket errors, {self.timeouts} timeouts")
        if self.ran_out:
            parts.append(f"ran out of drafts ({self.ran_out} wrk threads stopped early)")
        return "; ".join(parts) or "none"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wrk_command(
    base_url: str, folder: Path, *, duration: int, connections: int, threads: int, cycle: bool, expect: str
) -> list[str]:
    status, _space, location = expect.partition(" ")
    return [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url,
        "--",
        str(folder),
        "1" if cycle else "0",
        status,
        *([location] if location else []),
    ]


def write_requests(folder: Path, requests: Sequence[Replay], threads: int, *, cycle: bool) -> None:
    """One file per wrk thread. Requests sent once are shared out (each thread takes every
    `threads`-th); a list asked again and again goes whole to every thread."""
    folder.mkdir(parents=True, exist_ok=True)
    for thread in range(threads):
        mine = requests if cycle else requests[thread::threads]
        (folder / f"requests-{thread}.txt").write_text("".join(r.line() + "\n" for r in mine), encoding="utf-8")


def parse_result(what: str, output: str) -> Load:
    line = next((line for line in output.splitlines() if line.startswith(RESULT_MARK)), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {what}:\n{output}")
    data = json.loads(line[len(RESULT_MARK) :])
    return Load(
        what=what,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        ok=data["ok"],
        unexpected=data["unexpected"],
        ran_out=data["ran_out"],
        first_unexpected=data["first_unexpected"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
        load_average=load_average(),
    )


class Wrk:
    """wrk runs against one server; requests are written to a scratch folder per run."""

    def __init__(self, base_url: str, scratch: Path, *, threads: int) -> None:
        self.base_url = base_url
        self.scratch = scratch
        self.threads = threads
        self.runs = 0

    def start(
        self,
        what: str,
        requests: Sequence[Replay],
        *,
        duration: int,
        connections: int,
        cycle: bool,
        expect: str,
    ) -> tuple[str, subprocess.Popen[str]]:
        self.runs += 1
        folder = self.scratch / f"run-{self.runs}"
        threads = min(self.threads, connections)
        write_requests(folder, requests, threads, cycle=cycle)
        command = wrk_command(
            self.base_url,
            folder,
            duration=duration,
            connections=connections,
            threads=threads,
            cycle=cycle,
            expect=expect,
        )
        return what, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @staticmethod
    def finish(started: tuple[str, subprocess.Popen[str]]) -> Load:
        what, process = started
        output, _ = process.communicate()
        return parse_result(what, output)

    def run(self, what: str, requests: Sequence[Replay], **options: Any) -> Load:
        result = self.finish(self.start(what, requests, **options))
        print(f"  {format_load(result)}", flush=True)
        return result


def format_load(result: Load) -> str:
    return (
        f"{result.what}: {result.per_second:.1f}/s, p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, {result.ok} expected of {result.requests}; errors: {result.errors}; "
        f"load average {result.load_average}"
    )


# --- gunicorn --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(*, settings_module: str, broker_url: str, cache_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        # test would run Celery tasks eagerly, inside the request; see the module's docstring.
        DJANGO_ENV="development",
        DEBUG="0",
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=cache_url,
        # The API's rate limit (calls per key per minute) would answer 429 to wrk, not the page.
        API_RATE_LIMIT_PER_MINUTE=str(10**9),
        LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"),
    )
    return env


@contextmanager
def gunicorn(*, settings_module: str, workers: int, broker_url: str, cache_url: str, log: Path) -> Iterator[str]:
    """A gunicorn serving the project until the block ends; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [str(GUNICORN), "config.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT)]
    env = server_environment(settings_module=settings_module, broker_url=broker_url, cache_url=cache_url)
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_until_answering(base_url, server, log)
        print(f"gunicorn ({workers} workers, {settings_module}) answers at {base_url}", flush=True)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_answering(base_url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(base_url + "/", timeout=5).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer: the app is up
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")


def empty_broker(broker_url: str) -> int:
    """Drop the tasks the run queued (nobody consumes the bench's broker) and say how many there were:
    proof that queueing after commit really happened."""
    import redis

    broker = redis.Redis.from_url(broker_url)
    queued = int(broker.llen(CELERY_QUEUE))
    broker.delete(CELERY_QUEUE)
    return queued


def check_broker(broker_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise SystemExit(f"The broker {broker_url} does not answer ({error}): tasks must really be queued.") from None


# --- Filing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    pk: int
    cookie: str
    token: str

    def submit(self) -> Replay:
        return Replay(
            "POST",
            f"/reclamos/{self.pk}/enviar/",
            {"Cookie": self.cookie},
            f"csrfmiddlewaretoken={self.token}&declaration=on",
        )

    def signed_in_insert(self) -> Replay:
        """The signed-in yardstick, as this draft's consumer: the same session, cookie and token."""
        return Replay("POST", "/bench/signed-in-insert/", {"Cookie": self.cookie}, f"csrfmiddlewaretoken={self.token}")


def prepare_drafts(count: int) -> list[Draft]:
    """`count` consumers with a verified e-mail, a profile (WhatsApp consent: three messages to render),
    a complete draft, a session and a CSRF cookie with its token. Consumer 0's draft is built by the
    services (tests/complaints/factories.py's draft_case); the others are copies of it with their own
    consumer's snapshot, written in bulk: a few thousand in seconds."""
    import secrets

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.utils import timezone

    from complaints.models import CaseCompany, Complaint
    from complaints.services.filing import SNAPSHOT_FIELDS
    from parties.models import Company, ConsumerProfile, Role, User
    from tests.complaints.factories import draft_case

    run = secrets.token_hex(4)
    dni_base = 10_000_000 + secrets.randbelow(80_000_000)
    now = timezone.now()
    company, _created = Company.objects.get_or_create(
        cuit="30712345671",
        defaults={"legal_name": "Electrodomésticos del Sur S.A.", "electronic_domicile": "legales@electrosur.test"},
    )
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                email=f"load-{run}-{i}@bench.test",
                role=Role.CONSUMER,
                first_name="Consumidora",
                last_name=f"Bench {i}",
                password=make_password(None),
            )
            for i in range(count)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        profiles = ConsumerProfile.objects.bulk_create(
            ConsumerProfile(
                user=user,
                dni=f"{(dni_base + i) % 100_000_000:08d}",
                phone=f"+54911{(dni_base + i) % 100_000_000:08d}",
                street_address="Av. San Juan 2150",
                city="CABA",
                province="CABA",
                whatsapp_consent_at=now,
            )
            for i, user in enumerate(users)
        )
    template = draft_case(users[0], company)
    copied = {
        f.attname: getattr(template, f.attname)
        for f in Complaint._meta.concrete_fields
        if not f.primary_key and f.attname != "consumer_id"
    }
    parts = list(CaseCompany.objects.filter(complaint=template))
    if snapshot_of(users[0], profiles[0]) != {name: getattr(template, name) for name in SNAPSHOT_FIELDS}:
        raise SystemExit("bench/load.py's snapshot_of() no longer copies what snapshot_consumer() does: update it.")
    with transaction.atomic():
        copies = Complaint.objects.bulk_create(
            [
                Complaint(**{**copied, **snapshot_of(user, profile)}, consumer=user)
                for user, profile in zip(users[1:], profiles[1:], strict=True)
            ],
            batch_size=1000,
        )
        CaseCompany.objects.bulk_create(
            [
                CaseCompany(**{f.attname: getattr(part, f.attname) for f in fields_of(part)}, complaint=case)
                for case in copies
                for part in parts
            ],
            batch_size=1000,
        )
    sessions = log_in_all(users)
    drafts = []
    for user, case in zip(users, [template, *copies], strict=True):
        request = HttpRequest()
        token = get_token(request)  # masked, as a form carries it; the cookie holds the secret
        csrf_secret = request.META["CSRF_COOKIE"]
        cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[user.pk]}; {settings.CSRF_COOKIE_NAME}={csrf_secret}"
        drafts.append(Draft(pk=case.pk, cookie=cookie, token=token))
    return drafts


def snapshot_of(user: Any, profile: Any) -> dict[str, str]:
    """What complaints.services.filing.snapshot_consumer() copies into a case, without its query per
    consumer (a query each took most of the time); checked against the services' own draft."""
    return {
        "consumer_name": user.get_full_name(),
        "consumer_email": user.email,
        "consumer_dni": profile.dni,
        "consumer_phone": profile.phone,
        "consumer_address": f"{profile.street_address}, {profile.city}",
        "consumer_province": profile.province,
    }


def log_in_all(users: Sequence[Any]) -> dict[int, str]:
    """A session for each user, as a log-in leaves it (a consumer needs no second factor): user id → session
    key. Written in bulk when sessions live in the database (one by one they took most of the time)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"]).SessionStore
    keys = {}
    rows = []
    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for user in users:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        if hasattr(store, "get_model_class"):  # the database backends
            keys[user.pk] = get_random_string(32, VALID_KEY_CHARS)
            rows.append(
                store.get_model_class()(
                    session_key=keys[user.pk], session_data=store().encode(data), expire_date=expire
                )
            )
        else:
            session = store()
            session.update(data)
            session.save()
            keys[user.pk] = str(session.session_key)
    if rows:
        store.get_model_class().objects.bulk_create(rows, batch_size=1000)
    return keys


def filed_per_second(drafts: Sequence[Draft]) -> float:
    """Filings per second between the first and the last one of these drafts (when a run ran out of
    drafts, wrk's rate counts the time after; this one does not)."""
    from django.db.models import Count, Max, Min

    from complaints.models import Complaint

    span = Complaint.objects.filter(pk__in=[d.pk for d in drafts]).aggregate(
        first=Min("submitted_at"), last=Max("submitted_at"), n=Count("submitted_at")
    )
    if span["n"] < 2:
        return 0.0
    return (span["n"] - 1) / max((span["last"] - span["first"]).total_seconds(), 0.001)


def fields_of(part: Any) -> list[Any]:
    return [f for f in type(part)._meta.concrete_fields if not f.primary_key and f.attname != "complaint_id"]


def check_numbers(drafts: Sequence[Draft], answered: int, *, in_flight: int) -> list[str]:
    """Problems found after the run (none: an empty list): every draft answered 302 was filed, and at most
    `in_flight` more (sent when a run ended, their answers unread); every filed case has a number; each
    year's numbers in the database are unique and gapless, 1 to n."""
    from collections import Counter

    from complaints.models import Complaint
    from complaints.states import State

    problems = []
    pks = [draft.pk for draft in drafts]
    submitted = Complaint.objects.filter(pk__in=pks).exclude(status=State.DRAFT)
    count = submitted.count()
    if not answered <= count <= answered + in_flight:
        problems.append(f"{count} drafts left the draft state, but {answered} filings were answered 302")
    else:
        print(f"  {count:,} drafts filed: {answered:,} answered 302, {count - answered} in flight as a run ended")
    unnumbered = submitted.filter(number=None).count()
    if unnumbered:
        problems.append(f"{unnumbered} submitted cases have no number")
    years = {
        str(number).rsplit("-", 1)[0] for number in submitted.exclude(number=None).values_list("number", flat=True)
    }
    for prefix in sorted(years):
        numbers = Complaint.objects.filter(number__startswith=f"{prefix}-").values_list("number", flat=True)
        serials = Counter(int(str(number).rsplit("-", 1)[1]) for number in numbers)
        repeated = sorted(serial for serial, n in serials.items() if n > 1)
        missing = sorted(set(range(1, max(serials) + 1)) - set(serials))
        if repeated:
            problems.append(f"{prefix}: numbers given twice: {repeated[:10]}")
        if missing:
            problems.append(f"{prefix}: {len(missing)} numbers missing, e.g. {missing[:10]}")
        if not (repeated or missing):
            print(f"  {prefix}-000001 … {prefix}-{max(serials):06d}: {len(serials):,} numbers, unique and gapless")
    return problems


def create_database_if_missing() -> None:
    import psycopg
    from django.db import connection
    from psycopg import sql

    db = connection.settings_dict
    server = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in server.items() if v}) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone() is None:
            print(f"Creating database {db['NAME']}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def filing(args: argparse.Namespace, scratch: Path) -> str:
    from django.core.management import call_command
    from django.db import connection

    from bench.views import CREATE_TABLE

    create_database_if_missing()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    started = time.monotonic()
    drafts = prepare_drafts(args.drafts)
    prepared_s = time.monotonic() - started
    print(f"{len(drafts):,} drafts with their consumers, sessions and CSRF tokens prepared in {prepared_s:.1f} s")
    page = Replay("GET", args.page, {"Cookie": drafts[0].cookie})
    bare = [Replay("POST", "/bench/insert/")]
    # A few drafts warm the workers up (templates, imports, pooled connections); of the others, the
    # first half are filed alone, the second half beside the page.
    warm, measured = drafts[:WARM_UP_DRAFTS], drafts[WARM_UP_DRAFTS:]
    alone_drafts, beside_drafts = measured[: len(measured) // 2], measured[len(measured) // 2 :]
    receipt = r"302 ^/reclamos/%d+/constancia/$"
    filing_run = {"duration": args.duration, "connections": args.connections, "cycle": False, "expect": receipt}
    insert_run = {"duration": args.duration, "connections": args.connections, "cycle": True, "expect": "204"}
    page_run = {"duration": args.duration, "connections": 1, "cycle": True, "expect": "200"}
    warm_s = min(2, args.duration)
    with gunicorn(
        settings_module="bench.settings",
        workers=args.workers,
        broker_url=args.broker_url,
        cache_url=args.cache_url,
        log=scratch / "gunicorn.log",
    ) as base_url:
        wrk = Wrk(base_url, scratch, threads=args.threads)
        wrk.run("warm-up (bare insert, not reported)", bare, **{**insert_run, "duration": warm_s, "connections": 2})
        submits = [draft.submit() for draft in warm]
        warm_up = wrk.run(
            "warm-up (filing, not reported)", submits, **{**filing_run, "duration": warm_s, "connections": 1}
        )
        insert = wrk.run("Bare one-row insert", bare, **insert_run)
        signed_in = wrk.run("Signed-in one-row insert", [draft.signed_in_insert() for draft in drafts], **insert_run)
        submits = [draft.submit() for draft in alone_drafts]
        filings = wrk.run("Filing POST (302 to the receipt)", submits, **filing_run)
        alone = wrk.run(f"Page {args.page} alone (1 connection)", [page], **page_run)
        submits = [draft.submit() for draft in beside_drafts]
        filing_beside = wrk.start("Filing POST beside the page", submits, **filing_run)
        beside = wrk.finish(wrk.start(f"Page {args.page} while filing", [page], **page_run))
        filings_beside = wrk.finish(filing_beside)
        for result in (beside, filings_beside):
            print(f"  {format_load(result)}", flush=True)
    queued = empty_broker(args.broker_url)
    print(f"  {queued:,} Celery tasks were queued to {args.broker_url} (dropped now: nobody consumes them)")
    # When a run ends (its time is up, or its drafts ran out) wrk drops the requests in flight: up to one
    # per connection was filed without its answer being read.
    answered = warm_up.ok + filings.ok + filings_beside.ok
    problems = check_numbers(drafts, answered, in_flight=1 + 2 * args.connections)
    warnings_: list[str] = []
    for result, phase in ((filings, alone_drafts), (filings_beside, beside_drafts)):
        if result.ran_out:
            needed = WARM_UP_DRAFTS + int(2 * 1.5 * filed_per_second(phase) * args.duration) + 1
            warning = f"{result.what}: the drafts ran out, so its rate is a lower bound; use --drafts {needed:,}"
            print(f"  {warning}")
            warnings_.append(warning)
    results = [insert, signed_in, filings, alone, beside, filings_beside]
    return filing_report(args, prepared_s, queued, results, problems, warnings_)


def filing_report(
    args: argparse.Namespace,
    prepared_s: float,
    queued: int,
    results: list[Load],
    problems: list[str],
    warnings_: list[str],
) -> str:
    insert, signed_in, filings = results[0], results[1], results[2]

    def ratio(a: Load, b: Load) -> float:
        return a.per_second / b.per_second if b.per_second else 0.0

    lines = [
        f"## Filing under load ({time.strftime('%Y-%m-%d %H:%M %Z')})",
        "",
        f"`{command_line(args)}`",
        "",
        f"- {machine()}; gunicorn {args.workers} sync workers; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per phase; {args.drafts:,} drafts prepared in "
        f"{prepared_s:.0f} s.",
        f"- **Filings/s ÷ bare inserts/s = {ratio(filings, insert):.3f}** (goal ≥ 0.5; a generic helpdesk 0.06).",
        f"- Filings/s ÷ signed-in inserts/s = {ratio(filings, signed_in):.3f}; signed-in inserts/s ÷ bare "
        f"inserts/s = {ratio(signed_in, insert):.3f}: what reading the session and the user and checking "
        "the CSRF token leave of the bare insert, before a filing does anything.",
        f"- Numbers: {'; '.join(problems) if problems else 'every filing numbered; unique and gapless'}. "
        f"{queued:,} Celery tasks queued to Redis during the run.",
        *(f"- **{warning}**." for warning in warnings_),
        "",
        load_table(results),
        "",
    ]
    return "\n".join(lines)


def load_table(results: Sequence[Load], client: dict[str, tuple[float, float]] | None = None) -> str:
    client_columns = " test client ms, median | p95 |" if client is not None else ""
    lines = [
        f"| what | per second | ms, p50 | p95 | p99 |{client_columns} answers | errors | load average |",
        "|---|---:|---:|---:|---:|" + ("---:|---:|" if client is not None else "") + "---:|---|---|",
    ]
    for r in results:
        measured = ""
        if client is not None:
            median, p95 = client.get(r.what, (float("nan"), float("nan")))
            measured = f" {median:.1f} | {p95:.1f} |"
        lines.append(
            f"| {r.what} | {r.per_second:.1f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} |{measured} "
            f"{r.ok:,} | {r.errors} | {r.load_average} |"
        )
    return "\n".join(lines)


# --- Pages -----------------------------------------------------------------------------------------


def pages(args: argparse.Namespace, scratch: Path) -> str:
    from bench import run

    todo, _chosen = run.scenarios()
    if args.only:
        todo = [s for s in todo if args.only.lower() in s.what.lower()]
    requests: list[tuple[str, Replay]] = []
    downloads: list[tuple[str, Replay]] = []
    client: dict[str, tuple[float, float]] = {}
    left_out = []
    for scenario in todo:
        get = scenario.run
        if not isinstance(get, run.Page) or isinstance(get, run.FiguresWorkedOut):
            left_out.append(scenario.what)
            continue
        if isinstance(get, run.Download):
            if not get.first_rows_only:  # wrk always reads to the end: one row per file
                downloads.append((scenario.what, Replay("GET", get.path, get.headers())))
            continue
        if args.client_repeat:
            measured = run.measure(scenario, args.client_repeat)
            client[scenario.what] = (measured.median_ms, measured.p95_ms)
            print(f"test client {measured.median_ms:7.1f} ms  p95 {measured.p95_ms:7.1f} ms  {scenario.what}")
        requests.append((scenario.what, Replay("GET", get.path, get.headers())))
    results: list[Load] = []
    files: list[Load] = []
    with gunicorn(
        settings_module="config.settings",
        workers=args.workers,
        broker_url=args.broker_url,
        cache_url=args.cache_url,
        log=scratch / "gunicorn.log",
    ) as base_url:
        wrk = Wrk(base_url, scratch, threads=args.threads)
        options = {"duration": args.duration, "connections": args.connections, "cycle": True, "expect": "200"}
        if requests:
            wrk.run("warm-up (not reported)", [requests[0][1]], **{**options, "duration": 2})
        for what, replay in requests:
            results.append(wrk.run(what, [replay], **options))
        for what, replay in downloads:
            files.append(wrk.run(what, [replay], **options))
    empty_broker(args.broker_url)  # a page may queue a task (e.g. an access log), never consumed here
    slow = [r.what for r in results if r.p95_ms > 100]
    lines = [
        f"## Pages under load ({time.strftime('%Y-%m-%d %H:%M %Z')})",
        "",
        f"`{command_line(args)}`",
        "",
        f"- {machine()}; gunicorn {args.workers} sync workers; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per page; test client: median and p95 of "
        f"{args.client_repeat} requests, one at a time (bench/run.py's measure()), before the server started.",
        f"- p95 over 100 ms: {len(slow)} of {len(results)} pages" + (f" ({'; '.join(slow)})." if slow else "."),
        "",
        load_table(results, client),
        "",
    ]
    if files:
        lines += ["Whole-file downloads, time to the last byte (not held to 100 ms):", "", load_table(files), ""]
    if left_out:
        lines += ["Not a request, left out: " + "; ".join(left_out) + ".", ""]
    return "\n".join(lines)


# --- Both ------------------------------------------------------------------------------------------


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores shared by gunicorn, PostgreSQL and wrk"


def command_line(args: argparse.Namespace) -> str:
    parts = [f"DJANGO_ENV={os.environ.get('DJANGO_ENV', '')}", ".venv/bin/python bench/load.py", args.mode]
    for name in ("drafts", "duration", "connections", "workers", "threads", "only"):
        value = getattr(args, name, None)
        if value is not None:
            parts.append(f"--{name} {value if name != 'only' else repr(value)}")
    return " ".join(parts)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("filing", "pages"))
    parser.add_argument("--duration", type=int, help="whole seconds per wrk run (filing: 20, pages: 15)")
    parser.add_argument("--connections", type=int, help="wrk's connections (filing: 8, pages: 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument("--drafts", type=int, default=3000, help="filing: drafts prepared (default 3000)")
    parser.add_argument("--page", default="/reclamos/", help="filing: the page measured beside it (a consumer's)")
    parser.add_argument("--only", help="pages: only the rows whose label contains this text")
    parser.add_argument("--client-repeat", type=int, default=5, help="pages: test-client requests per row (0: none)")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/6", help="Celery's broker, emptied after")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/7", help="the server's Redis cache")
    parser.add_argument("--output", help="append the table to this markdown file")
    args = parser.parse_args(argv)
    defaults = {"filing": (20, 8), "pages": (15, 4)}[args.mode]
    args.duration = args.duration if args.duration is not None else defaults[0]
    args.connections = args.connections if args.connections is not None else defaults[1]
    if args.mode == "pages":
        args.drafts = None
    elif args.drafts < WARM_UP_DRAFTS + 2:
        parser.error(f"--drafts must be {WARM_UP_DRAFTS + 2} or more ({WARM_UP_DRAFTS} to warm up, then two halves)")
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASES[args.mode]}")
    os.environ.setdefault("DEBUG", "0")
    warnings.filterwarnings("ignore", "No directory at")  # staticfiles/ exists only after collectstatic
    check_broker(args.broker_url)
    import django

    django.setup()
    with tempfile.TemporaryDirectory(prefix="concilia-load-") as folder:
        report = (filing if args.mode == "filing" else pages)(args, Path(folder))
    print()
    print(report)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as output:
            output.write("\n" + report)
        print(f"Appended to {args.output}")
    return report


if __name__ == "__main__":
    main()
