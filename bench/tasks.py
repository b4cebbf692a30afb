"""Worker-side pieces of bench/notify_bench.py, loaded into the bench's worker only (`-I bench.tasks`),
never into the project's own workers.

`noop` is the baseline: a task that does nothing but say it ran (one Redis INCR, so the bench can
tell when all have run). `SerializingNullBackend` is the bench's e-mail backend: it builds every
message's MIME bytes, as an SMTP backend would before it talks to the server, and then drops them.
Django's dummy backend would skip that work; locmem keeps it in the worker's memory, out of sight."""

from functools import cache

import redis
from celery import shared_task
from django.core.mail.backends.base import BaseEmailBackend

NOOP_COUNTER = "bench:notify:noop"


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@shared_task(ignore_result=True)
def noop(counter_url: str) -> None:
    _redis(counter_url).incr(NOOP_COUNTER)


class SerializingNullBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)
