"""The one place this app reaches the deadline clocks (oversight/, the top-floor app beside it): run
the recompute after a change, and read which deadlines a change moved."""

import logging
from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, F, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber

from oversight.labels import describe
from oversight.models import DeadlineChange
from oversight.services.recompute import RecomputeBusy, recompute_deadlines

from .models import CalendarChange

logger = logging.getLogger(__name__)

EXAMPLES_PER_DAY = 5


def recompute_day(day: date) -> int | None:
    """Recompute the deadlines not yet passed that `day` touches: how many moved, or None when another
    worker is recomputing that day already."""
    try:
        return len(recompute_deadlines(day=day))
    except RecomputeBusy:
        # Another worker is recomputing this day: this change stays unmarked and is queued again.
        logger.info("Deadline recompute of %s already running elsewhere; it will be queued again.", day)
        return None


def deadline_label(what: str) -> str:
    """The words for a DeadlineChange.what code (oversight/labels.py holds them); never the code itself."""
    return describe(what)


def moved_deadlines(days: list[date]) -> tuple[dict[date, int], dict[date, list[Any]]]:
    """For each of `days` (declared now): how many deadlines its latest declaration moved (a change
    recorded from that declaration on, so an earlier declare-and-remove round on the same day does not
    add up), and the first few of them (with their case and a `label`). Two queries whatever the
    number of days and changes."""
    if not days:
        return {}, {}
    declared_at = (
        CalendarChange.objects.filter(day=OuterRef("day"), action=CalendarChange.Action.DECLARED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    # A day declared now: its latest change is that declaration, so nothing bounds the window above.
    changes = DeadlineChange.objects.filter(day__in=days, created_at__gte=Subquery(declared_at))
    counts = {row["day"]: row["n"] for row in changes.order_by().values("day").annotate(n=Count("pk"))}
    examples: dict[date, list[Any]] = defaultdict(list)
    first = (
        changes.select_related("complaint")
        .annotate(rank=Window(RowNumber(), partition_by=F("day"), order_by=[F("created_at").desc(), F("pk").desc()]))
        .filter(rank__lte=EXAMPLES_PER_DAY)
        .order_by("day", "rank")
    )
    rows: list[Any] = list(first)  # each gains the `label` the page shows
    for change in rows:
        change.label = deadline_label(change.what)
        examples[change.day].append(change)
    return counts, dict(examples)
