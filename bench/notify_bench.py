"""Notification throughput through a real Celery worker, beside no-op tasks through the same worker.

    .venv/bin/python bench/notify_bench.py [--count 10000] [--concurrency 2] [--profile 200]

Issue 16's goal: 10,000 notifications delivered at >= 0.5x the rate of no-op tasks, same worker, same
broker, same run. What it does, in order:

1. Creates the database (DATABASE_URL, default concilia_bench_notify; its name must contain "bench")
   if missing and migrates it; empties its outbox (TRUNCATE: no dead rows of earlier runs) and the
   bench's queue.
2. Starts `celery -A config worker --pool prefork -c <concurrency> -Q bench-notify -I bench.tasks`
   against Redis (CELERY_BROKER_URL, default redis://127.0.0.1:6379/14: a database of its own), and
   waits until it answers.
3. No-op tasks: enqueues `--count` `bench.tasks.noop` (one Redis INCR each) and times from the first
   enqueue until the counter says all ran.
4. Notifications: writes `--count` outbox rows the way case moves do, in one transaction: notify() for
   consumers and several events (complaint_received, complaint_admitted, hearing_scheduled,
   offer_made with an amount and instalments), e-mail + inbox for every consumer, SMS + WhatsApp for
   those who consented (half of them). Times from the commit (each notify() call queues one task
   after it) until no row is pending, sending or failed.
5. Prints no-op tasks/s, notifications/s and their ratio; stops the worker.

Deliveries run the real channel code: e-mails are built and serialised to MIME bytes by
bench.tasks.SerializingNullBackend and then dropped (no SMTP server is part of the measure); SMS and
WhatsApp use the "console" provider, with logging at WARNING so that its lines cost nothing.

`--profile N` then puts N of the delivered rows back as written (pending, no text) and delivers them
in this process under cProfile, printing where the worker's time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUEUE = "bench-notify"
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_ENV": "development",  # not "test": tasks must go to the broker, not run in-process
    "DEBUG": "0",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/concilia_bench_notify",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
    "EMAIL_BACKEND": "bench.tasks.SerializingNullBackend",
    "SMS_PROVIDER": "console",
    "WHATSAPP_PROVIDER": "console",
    "LOG_LEVEL": "WARNING",
    # A generic approved template (Twilio's Content API), so WhatsApp messages outside a conversation
    # window go out as they do in production instead of being refused.
    "WHATSAPP_CONTENT_SIDS": json.dumps({"*": {"es-ar": "HX" + "0" * 32, "en": "HX" + "1" * 32}}),
    # Rows wait this long before the sweeper may take them; no beat runs here anyway.
    "NOTIFICATION_QUEUE_GRACE_SECONDS": "300",
}
for _key, _value in ENVIRONMENT.items():
    if _key not in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ[_key] = _value  # what is measured: never taken from the caller's shell
    else:
        os.environ.setdefault(_key, _value)

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.tasks import NOOP_COUNTER, noop  # noqa: E402
from config.celery import app  # noqa: E402
from notifications import delivery  # noqa: E402
from notifications.models import OPEN_STATUSES, Notification, Status  # noqa: E402
from notifications.services import notify  # noqa: E402
from parties.models import ConsumerProfile, Role, User  # noqa: E402

EMAIL_DOMAIN = "bench-notify.example"
CONSUMERS = 2000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    if "bench" not in db["NAME"]:
        sys.exit(f"Refusing to use {db['NAME']!r}: the database's name must contain 'bench'.")
    params: dict[str, Any] = {key.lower(): db.get(key) for key in ("HOST", "PORT", "USER", "PASSWORD") if db.get(key)}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone() is None:
            log(f"Creating database {db['NAME']}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    call_command("migrate", verbosity=0, interactive=False)


def consumers(count: int) -> list[User]:
    """`count` consumers with a profile and a phone; every other one consented to SMS and WhatsApp."""
    existing = list(User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).select_related("consumer_profile"))
    if len(existing) >= count:
        return existing[:count]
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()
    users = User.objects.bulk_create(
        User(
            email=f"consumer{n}@{EMAIL_DOMAIN}",
            password="!",  # unusable: nobody signs in here
            role=Role.CONSUMER,
            first_name=f"Nombre{n}",
            last_name="Bench",
            preferred_language="en" if n % 5 == 0 else "es-ar",
        )
        for n in range(count)
    )
    now = timezone.now()
    ConsumerProfile.objects.bulk_create(
        ConsumerProfile(
            user=user,
            dni=f"{30000000 + n}",
            phone=f"+54911{50000000 + n}",
            street_address="Av. de Mayo 500",
            city="CABA",
            province="CABA",
            sms_consent_at=now if n % 2 == 0 else None,
            whatsapp_consent_at=now if n % 2 == 0 else None,
        )
        for n, user in enumerate(users)
    )
    return list(User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).select_related("consumer_profile"))


def events(n: int) -> list[tuple[str, dict]]:
    """Several events of one case, with every kind of context value the templates format."""
    start = timezone.now() + timedelta(days=10, hours=n % 8)
    common = {"case_number": f"DC-2026-{n:06d}", "case_url": f"/reclamos/{n}/"}
    return [
        ("complaint_received", {**common, "company_name": "Electrodomésticos del Sur S.A.", "admission_due": start}),
        ("complaint_admitted", {**common, "company_name": "Electrodomésticos del Sur S.A."}),
        ("hearing_scheduled", {**common, "hearing_start": start, "hearing_url": f"/audiencias/{n}/"}),
        (
            "offer_made",
            {
                **common,
                "offer_text": "Cambio del producto por uno nuevo y reintegro del envío.",
                "company_name": "Electrodomésticos del Sur S.A.",
                "offer_amount": Decimal("90000.00"),
                "fulfil_by": date.today() + timedelta(days=30),
                "offer_instalments": [
                    {"number": i, "due": date.today() + timedelta(days=30 * i), "amount": Decimal("30000.00")}
                    for i in (1, 2, 3)
                ],
            },
        ),
    ]


def rows_per_call(user: User) -> int:
    profile = user.consumer_profile
    return 4 if profile.sms_consent_at and profile.whatsapp_consent_at else 2


def start_worker(concurrency: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config",
        "worker",
        "--pool",
        "prefork",
        "-c",
        str(concurrency),
        "-Q",
        QUEUE,
        "-I",
        "bench.tasks",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"bench-notify-{os.getpid()}@%h",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())


def wait_for(condition, *, timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def noop_rate(count: int, counter: redis.Redis) -> float:
    counter.delete(NOOP_COUNTER)
    url = settings.CELERY_BROKER_URL
    started = time.perf_counter()
    for _n in range(count):
        noop.apply_async(args=(url,))
    if not wait_for(lambda: int(counter.get(NOOP_COUNTER) or 0) >= count, timeout=600):
        sys.exit("The no-op tasks did not all run within 10 minutes.")
    return count / (time.perf_counter() - started)


def write_notifications(count: int, users: list[User]) -> tuple[int, int, float]:
    """Rows written, notify() calls, seconds spent writing (inside the transaction)."""
    written = calls = 0
    started = time.perf_counter()
    with transaction.atomic():
        for n in range(count):
            user = users[n % len(users)]
            for event, context in events(n // len(users)):
                left = count - written
                if left <= 0:
                    break
                channels = None if left >= rows_per_call(user) else ["email", "inbox"][:left]
                rows = notify(
                    recipient=user,
                    event=event,
                    context=context,
                    idempotency_key=f"bench:{n}",
                    case_number=context["case_number"],
                    channels=channels,
                )
                written += len(rows)
                calls += 1
            if written >= count:
                break
    return written, calls, time.perf_counter() - started


def notification_rate(count: int, users: list[User]) -> tuple[float, dict]:
    marks: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs first at commit: the clock starts before any task is queued.
        transaction.on_commit(lambda: marks.append(time.perf_counter()))
        written, calls, writing = write_notifications(count, users)
    open_rows = Notification.objects.filter(status__in=OPEN_STATUSES)
    if not wait_for(lambda: not open_rows.exists(), timeout=1200, every=0.05):
        sys.exit(f"{open_rows.count()} notifications were still not delivered after 20 minutes.")
    seconds = time.perf_counter() - marks[0]
    by_status = dict(Notification.objects.values_list("status").annotate(n=Count("pk")))
    return written / seconds, {"rows": written, "calls": calls, "writing_s": writing, "by_status": by_status}


def profile(count: int) -> None:
    """Deliver `count` rows again in this process under cProfile: what a worker spends per row."""
    pks = list(Notification.objects.order_by("pk").values_list("pk", flat=True)[:count])
    Notification.objects.filter(pk__in=pks).update(
        status=Status.PENDING, attempts=0, subject="", body_text="", body_html="", sent_at=None
    )
    groups: dict[str, list[int]] = {}
    for pk, key in Notification.objects.filter(pk__in=pks).values_list("pk", "idempotency_key"):
        groups.setdefault(key, []).append(pk)
    # The largest batch first (every channel): imports, URL resolver and templates load once per process.
    warm_up, *batches = sorted(groups.values(), key=len, reverse=True)
    delivery.deliver_many(warm_up)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for ids in batches:  # one task's worth at a time, as notify() queues them
        delivery.deliver_many(ids)
    profiler.disable()
    seconds = time.perf_counter() - started
    done = len(pks) - len(warm_up)
    print(f"\nIn-process delivery of {done} rows ({len(batches)} batches): {done / seconds:.0f} rows/s")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="no-op tasks, and notifications (default 10000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--profile", type=int, default=0, help="then profile N deliveries in-process")
    args = parser.parse_args()

    ensure_database()
    app.conf.task_default_queue = QUEUE
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    # Every run starts from an empty outbox table (no dead rows from earlier runs to step over).
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Notification._meta.db_table} RESTART IDENTITY CASCADE")
    users = consumers(CONSUMERS)
    connection.close()  # the worker's processes open their own

    log(f"Starting the worker (prefork, {args.concurrency} processes) on {settings.CELERY_BROKER_URL}, queue {QUEUE}")
    worker = start_worker(args.concurrency)
    try:
        broker.delete(NOOP_COUNTER)
        for _n in range(args.concurrency * 2):
            noop.apply_async(args=(settings.CELERY_BROKER_URL,))
        if not wait_for(lambda: int(broker.get(NOOP_COUNTER) or 0) >= args.concurrency * 2, timeout=60):
            sys.exit("The worker did not start within a minute.")

        log(f"{args.count} no-op tasks…")
        noops = noop_rate(args.count, broker)
        log(f"{args.count} notifications…")
        notifications, facts = notification_rate(args.count, users)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        broker.delete(QUEUE)

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    print(f"Machine: {platform.node()}, {os.cpu_count()} CPUs, load {' '.join(load)}")
    print(f"Worker: celery prefork -c {args.concurrency}, broker {settings.CELERY_BROKER_URL}")
    print(f"No-op tasks:    {args.count} in {args.count / noops:.2f} s = {noops:,.0f} tasks/s")
    print(
        f"Notifications:  {facts['rows']} rows ({facts['calls']} notify() calls = tasks) "
        f"in {facts['rows'] / notifications:.2f} s = {notifications:,.0f} notifications/s; "
        f"written in {facts['writing_s']:.2f} s; {facts['by_status']}"
    )
    print(f"Ratio:          {notifications / noops:.2f}x (goal >= 0.5x)")
    if args.profile:
        profile(args.profile)


if __name__ == "__main__":
    main()
