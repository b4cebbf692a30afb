"""Deadline sweeps, run by Celery beat (config/settings.py CELERY_BEAT_SCHEDULE).

Far-future deadlines are never scheduled with countdown/eta: beat sweeps the database instead, so a
lost message or a restarted broker cannot lose a deadline. Each sweep takes a bounded batch and is
safe to run twice: the services lock each case and re-check its state, and the warnings carry an
idempotency key."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.models import Complaint
from complaints.states import State
from notifications.services import notify
from parties.models import Role, User

logger = logging.getLogger("complaints.tasks")


@shared_task(acks_late=True)
def archive_uncorrected_complaints() -> int:
    done = services.archive_uncorrected_complaints()
    logger.info("Archived %s uncorrected complaints.", done)
    return done


@shared_task(acks_late=True)
def refer_complaints_without_domicile() -> int:
    done = services.refer_complaints_without_domicile()
    logger.info("Referred %s complaints whose company set up no electronic domicile.", done)
    return done


@shared_task(acks_late=True)
def serve_companies_with_new_domicile() -> int:
    done = services.serve_companies_with_new_domicile()
    logger.info("Served %s companies that set up their electronic domicile.", done)
    return done


@shared_task(acks_late=True)
def deadline_warnings() -> int:
    return warn_supervisors_of_overdue_reviews()


def warn_supervisors_of_overdue_reviews(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Tell every active supervisor about each complaint still awaiting review after its review
    deadline. Once per case per day: the idempotency key carries the date, so a second run the same
    day writes nothing. Returns how many cases got a new warning."""
    now = now or timezone.now()
    today = timezone.localdate(now).isoformat()
    supervisors = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    if not supervisors:
        return 0
    # The `complaint_queue` index (status, submitted_at) narrows this to the submitted cases.
    overdue = Complaint.objects.filter(status=State.SUBMITTED, review_due_at__lt=now).order_by("review_due_at", "pk")
    warned = 0
    for case in overdue[:limit]:
        written = 0
        with transaction.atomic():
            for supervisor in supervisors:
                with translation.override(supervisor.preferred_language):
                    what = _("Review complaint %(number)s: its admission review is overdue.") % {"number": case.number}
                written += len(
                    notify(
                        recipient=supervisor,
                        event="deadline_warning",
                        context={
                            "what": what,
                            "due": case.review_due_at,
                            "case_number": case.number,
                            "case_url": services.case_url(case),
                        },
                        idempotency_key=f"deadline-warning:{case.pk}:{today}",
                        case_number=case.number or "",
                    )
                )
        warned += 1 if written else 0
    return warned
