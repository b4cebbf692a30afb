"""Fixtures for the notifications tests: Celery in-process unless a test starts a real worker,
consenting and English-speaking consumers, a broker switch, a real worker, threads."""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from config.celery import app as celery_app
from parties.models import ConsumerProfile, Representation, Role, User
from tests.conftest import make_user

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def translated(language: str, msgid: str) -> str:
    """What a message says in `language`, whether or not the catalogue translates it yet."""
    from django.utils import translation

    with translation.override(language):
        return translation.gettext(msgid)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BUENOS_AIRES)


@pytest.fixture(autouse=True)
def _requirements(request):
    """Skip cleanly what this machine cannot run: a worker needs a broker (`postgres` is skipped on
    SQLite by tests/conftest.py)."""
    if request.node.get_closest_marker("celery_worker") and not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker (set CELERY_BROKER_URL)")


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process here; the tests that start a worker switch this off themselves."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _notifications_setup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://concilia.test"
    settings.SMS_PROVIDER = "console"
    settings.WHATSAPP_PROVIDER = "console"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 60
    settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = 3600
    settings.NOTIFICATION_LEASE_SECONDS = 600
    settings.NOTIFICATION_QUEUE_GRACE_SECONDS = 300
    settings.DEADLINES = {**settings.DEADLINES, "NOTICE_DEEMED_SERVED": 2}


@pytest.fixture
def consenting_consumer(db) -> User:
    """A consumer who accepted SMS and WhatsApp messages."""
    user = make_user("lucia@example.com", first_name="Lucía", last_name="Benítez")
    ConsumerProfile.objects.create(
        user=user,
        dni="28999888",
        phone="+5491155550000",
        street_address="Corrientes 1234",
        city="CABA",
        province="CABA",
        sms_consent_at=timezone.now(),
        whatsapp_consent_at=timezone.now(),
    )
    return user


@pytest.fixture
def english_consumer(db) -> User:
    return make_user("john@example.com", first_name="John", last_name="Smith", preferred_language="en")


@pytest.fixture
def second_representative(company) -> User:
    user = make_user("paula@electrosur.test", Role.REPRESENTATIVE, first_name="Paula", last_name="Díaz")
    Representation.objects.create(user=user, company=company)
    return user


@pytest.fixture
def outsider_representative(other_company) -> User:
    user = make_user("rep@conectar.test", Role.REPRESENTATIVE)
    Representation.objects.create(user=user, company=other_company)
    return user


@contextmanager
def broker(url: str, *, eager: bool = False) -> Iterator[None]:
    """Point the Celery app at another broker for a while (and forget its pooled connections)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)

    def forget_pools() -> None:
        from kombu import pools

        pools.reset()  # closes and forgets every pooled connection and producer
        # Celery has no public way to drop these pools; celery-types does not declare the private attributes.
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    forget_pools()
    # Item assignment is what Celery's `conf.x = ...` does (celery-types declares broker_url read-only).
    conf["broker_url"], conf["task_always_eager"] = url, eager
    try:
        yield
    finally:
        forget_pools()
        conf["broker_url"], conf["task_always_eager"] = saved


@contextmanager
def real_worker() -> Iterator[None]:
    """A real Celery worker, in a thread of this process, on the configured Redis broker and on a
    queue of its own, so nothing else on that Redis takes our tasks and we take nothing of theirs."""
    from celery.contrib.testing.worker import start_worker

    queue = f"test-notifications-{uuid.uuid4().hex[:8]}"
    saved_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        with (
            broker(django_settings.CELERY_BROKER_URL, eager=False),
            start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20),
        ):
            yield
    finally:
        celery_app.conf.task_default_queue = saved_queue
        import redis

        redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete(queue)


def wait_until(condition: Callable[[], bool], *, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def run_in_threads(target: Callable[[], object], count: int = 2) -> list[object]:
    """Run `target` in `count` threads released at the same instant; each thread has its own
    database connection, closed at the end."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def runner() -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(target())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results
