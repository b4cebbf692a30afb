"""The nightly integrity check (beat: config/settings.py CELERY_BEAT_SCHEDULE): verify every case's
record against its keyed chain (complaints/integrity.py) and, on any break, alert every active
supervisor through the outbox, once a day."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone, translation

from complaints.integrity import Report, verify_all
from notifications.services import notify
from parties.models import Role, User

logger = logging.getLogger("complaints.integrity")

# Lines listed in the alert; the command prints them all.
ALERT_LINES = 50


@shared_task(acks_late=True)
def verify_case_chains() -> int:
    report = verify_all()
    logger.info(
        "Checked %s case records (%.0f cases/s): %s broken.", report.cases, report.cases_per_second, report.broken_cases
    )
    return alert_supervisors(report)


def alert_supervisors(report: Report, *, now: datetime | None = None) -> int:
    """One `integrity_alert` to each active supervisor when `report` found breaks; at most one a day
    (the idempotency key carries the date), so a rerun the same night writes nothing. Returns how
    many outbox rows it wrote."""
    if not report.broken_cases:
        return 0
    logger.error("Integrity check: %s case record(s) do not match their chain.", report.broken_cases)
    now = now or timezone.now()
    today = timezone.localdate(now).isoformat()
    written = 0
    with transaction.atomic():
        for supervisor in User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk"):
            with translation.override(supervisor.preferred_language):
                lines = [
                    f"{found.case_number or f'#{found.case_id}'}: {found.describe()}"
                    for found in report.breaks[:ALERT_LINES]
                ]
            listed_cases = {found.case_id for found in report.breaks[:ALERT_LINES]}
            if len(report.breaks) > ALERT_LINES or report.broken_cases > len(listed_cases):
                lines.append("…")
            written += len(
                notify(
                    recipient=supervisor,
                    event="integrity_alert",
                    context={
                        "broken_cases": report.broken_cases,
                        "cases_checked": report.cases,
                        "details": "\n".join(lines),
                        "checked_at": now,
                    },
                    idempotency_key=f"integrity-alert:{today}",
                )
            )
    return written
