"""Reading messages as the person gets them.

The outbox writes rows with their event's context and no text; the worker renders them when it
delivers them (notifications/rendering.py). A test that reads a row's words right after a service
call, without running the worker, renders it the way the worker does first."""

from collections.abc import Iterable
from typing import overload

from notifications.models import Notification
from notifications.rendering import ensure_rendered


@overload
def rendered(rows: Notification) -> Notification: ...
@overload
def rendered(rows: Iterable[Notification]) -> list[Notification]: ...
def rendered(rows: Notification | Iterable[Notification]) -> Notification | list[Notification]:
    """The row (or rows), rendered and saved as the worker renders them."""
    if isinstance(rows, Notification):
        ensure_rendered([rows])
        return rows
    listed = list(rows)
    ensure_rendered(listed)
    return listed
