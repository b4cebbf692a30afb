"""Deadline sweeps, run by Celery beat (config/settings.py CELERY_BEAT_SCHEDULE).

Far-future deadlines are never scheduled with countdown/eta: beat sweeps the database instead, so a
lost message or a restarted broker cannot lose a deadline. Each sweep takes a bounded batch and is
safe to run twice: the services lock each case and re-check its state, and the warnings carry an
idempotency key."""

import logging

from celery import shared_task

from complaints import services

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
