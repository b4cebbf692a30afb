"""Beat jobs of the privacy floor (config/beat.py)."""

import logging

from celery import shared_task

from privacy import services

logger = logging.getLogger("privacy")


@shared_task(acks_late=True)
def purge_access_log() -> int:
    """Delete access log rows older than ACCESS_LOG_RETENTION_DAYS."""
    return services.access_log_purge()


@shared_task(acks_late=True)
def anonymise_closed_cases() -> int:
    """Anonymise closed cases past CASE_RETENTION_YEARS."""
    return services.anonymise_closed_cases()
