"""Reporting reads from a replica when one is configured (DATABASE_REPLICA_URL).

A view that only reports (the dashboard, a company's figures, the public pages, the open data) runs
under `reads_from_replica`: every read it makes goes to the "replica" connection. Everything else,
and every write, stays on "default", so filing and hearings never wait behind a report, and nothing
that must see its own write reads a lagging copy."""

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.db import connections

REPLICA = "replica"
_reporting: ContextVar[bool] = ContextVar("reporting_reads", default=False)

F = TypeVar("F", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in connections.databases


def read_database() -> str:
    """Where a report reads now: the replica inside a reporting view when there is one."""
    return REPLICA if _reporting.get() and replica_configured() else "default"


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reads_from_replica(view: F) -> F:
    """Decorate a reporting view: its reads go to the replica (when configured)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            response = view(*args, **kwargs)
        # A streamed response reads while it is sent, after the view has returned: each chunk is made
        # on the replica too (sync or async iterator alike).
        if getattr(response, "streaming", False):
            if response.is_async:
                response.streaming_content = _astream_on_replica(response.streaming_content)
            else:
                response.streaming_content = _stream_on_replica(response.streaming_content)
        return response

    return wrapper  # type: ignore[return-value]


# The replica is chosen around the making of each chunk, never across a `yield`: a generator that set
# the context variable and yielded would leave it set in the caller's context between chunks (the
# server, a signal handler) and, if never resumed, in that thread for good.


def _stream_on_replica(chunks: Iterable[Any]) -> Iterator[Any]:
    iterator = iter(chunks)
    while True:
        with replica_reads():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


async def _astream_on_replica(chunks: AsyncIterable[Any]) -> AsyncIterator[Any]:
    iterator = aiter(chunks)
    while True:
        with replica_reads():
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                return
        yield chunk


class ReportingReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if _reporting.get() and replica_configured() else None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # The replica copies the primary's schema; it is never migrated itself.
        return db != REPLICA
