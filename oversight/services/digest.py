"""The supervisors' daily digest: one message per supervisor per day with, per rule, how many waits
are overdue and how many fall due within the reminder window, and a link to the list. Never one
message per case."""

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import notify
from parties.business_days import deadline_after
from parties.models import Role, User

from ..models import Clock, Kind


def at_risk_horizon(now: datetime) -> datetime:
    """Waits due up to the end of this business day and the reminder window's are "at risk"."""
    return deadline_after(now, int(settings.CLOCK_REMINDER_DAYS_BEFORE))


def counts_per_rule(now: datetime) -> dict[str, tuple[int, int]]:
    """{kind: (overdue, at risk)} for the open clocks due up to the horizon: one query on the
    (kind, due_at) partial index."""
    horizon = at_risk_horizon(now)
    rows = (
        Clock.objects.filter(closed_at__isnull=True, due_at__lte=horizon)
        .values("kind")
        .annotate(overdue=Count("pk", filter=Q(due_at__lt=now)), at_risk=Count("pk", filter=Q(due_at__gte=now)))
        .order_by()
    )
    return {row["kind"]: (row["overdue"], row["at_risk"]) for row in rows}


def send_digest(*, now: datetime | None = None) -> int:
    """Write today's digest for every active supervisor (idempotent per supervisor and day). Nothing
    is sent on a day with nothing overdue or at risk. Returns the supervisors written to."""
    now = now or timezone.now()
    counts = counts_per_rule(now)
    overdue_total = sum(o for o, _r in counts.values())
    at_risk_total = sum(r for _o, r in counts.values())
    if not overdue_total and not at_risk_total:
        return 0
    today = timezone.localdate(now)
    list_url = settings.SITE_URL + reverse("clock_list")
    written = 0
    for supervisor in User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk"):
        with translation.override(supervisor.preferred_language or settings.LANGUAGE_CODE):
            lines = "\n".join(
                _("%(rule)s: %(overdue)s overdue, %(at_risk)s at risk")
                % {"rule": Kind(kind).label, "overdue": overdue, "at_risk": at_risk}
                for kind, (overdue, at_risk) in sorted(counts.items())
            )
        rows = notify(
            recipient=supervisor,
            event="clock_digest",
            context={
                "overdue_total": overdue_total,
                "at_risk_total": at_risk_total,
                "lines": lines,
                "list_url": list_url,
                "day": today,
            },
            idempotency_key=f"clock-digest:{supervisor.pk}:{today.isoformat()}",
        )
        written += 1 if rows else 0
    return written
